// SPDX-License-Identifier: MIT
#pragma once
// Serving page: how TTFT develops over the run, with prefix caching and without: the median TTFT of the
// requests that got their first token in each of 40 time windows, on a log axis (so seconds and hours fit
// together). A rising line is a growing queue. Fed by ServingPage (setData). Cost model: the axes say so.
#include "ui/chart_panel.h"

class QLogValueAxis;

namespace kvlab {

struct ServingComparison;

class ServingWaitChart : public ChartPanel {
  Q_OBJECT
public:
  static constexpr int kWindows = 40;
  explicit ServingWaitChart(QWidget* parent = nullptr);
  void setData(const ServingComparison& data);
  QValueAxis* timeAxis() const { return m_x; }

protected:
  void refresh() override {}

private:
  QValueAxis* m_x = nullptr;
  QLogValueAxis* m_y = nullptr;
  QLineSeries* m_with = nullptr;
  QLineSeries* m_without = nullptr;
};

}  // namespace kvlab
