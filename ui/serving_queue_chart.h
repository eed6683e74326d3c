// SPDX-License-Identifier: MIT
#pragma once
// Serving page: requests waiting for admission over simulated time, with prefix caching and without (left
// axis), and, thin and dashed on the right axis, the preemptions so far in each run. The time axis ends
// where the longer run's data ends. Fed by ServingPage (setData). Cost model: the axis says so.
#include "ui/chart_panel.h"

namespace kvlab {

struct ServingComparison;

class ServingQueueChart : public ChartPanel {
  Q_OBJECT
public:
  explicit ServingQueueChart(QWidget* parent = nullptr);
  void setData(const ServingComparison& data);
  QValueAxis* timeAxis() const { return m_x; }
  QLineSeries* waiting(int side) const { return side == 0 ? m_waitWith : m_waitWithout; }
  std::string csv() const override;

protected:
  void refresh() override {}

private:
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  QValueAxis* m_preemptY = nullptr;
  QLineSeries* m_waitWith = nullptr;
  QLineSeries* m_waitWithout = nullptr;
  QLineSeries* m_preemptWith = nullptr;
  QLineSeries* m_preemptWithout = nullptr;
};

}  // namespace kvlab
