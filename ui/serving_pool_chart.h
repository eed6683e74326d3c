// SPDX-License-Identifier: MIT
#pragma once
// Serving page: the KV block pool of the run with prefix caching over simulated time, split into blocks
// held by running sequences, cached-free blocks (no longer used but still holding a prefix a later request
// can hit; evicted first when blocks run out) and empty ones. Without prefix caching no block stays
// cached, which is the whole difference between the two runs. Fed by ServingPage (setData).
#include "ui/chart_panel.h"

namespace kvlab {

struct ServingComparison;

class ServingPoolChart : public ChartPanel {
  Q_OBJECT
public:
  explicit ServingPoolChart(QWidget* parent = nullptr);
  void setData(const ServingComparison& data);
  QValueAxis* timeAxis() const { return m_x; }

protected:
  void refresh() override {}

private:
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  QLineSeries* m_zero = nullptr;
  QLineSeries* m_used = nullptr;
  QLineSeries* m_cached = nullptr;
  QLineSeries* m_total = nullptr;
};

}  // namespace kvlab
