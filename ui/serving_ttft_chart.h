// SPDX-License-Identifier: MIT
#pragma once
// Serving page: the distribution of time to first token with prefix caching and without, as two
// cumulative curves (share of requests whose first token came within x seconds) on a log time axis, so a
// 2 s median and a 3,700 s one fit on one chart. Fed by ServingPage (setData). Cost model: the axis says so.
#include "ui/chart_panel.h"

class QLogValueAxis;

namespace kvlab {

struct ServingComparison;

class ServingTtftChart : public ChartPanel {
  Q_OBJECT
public:
  explicit ServingTtftChart(QWidget* parent = nullptr);
  void setData(const ServingComparison& data);
  QLineSeries* curve(int side) const { return side == 0 ? m_with : m_without; }
  std::string csv() const override;

protected:
  void refresh() override {}

private:
  QLogValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  QLineSeries* m_with = nullptr;
  QLineSeries* m_without = nullptr;
};

}  // namespace kvlab
