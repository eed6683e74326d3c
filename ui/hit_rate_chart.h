// SPDX-License-Identifier: MIT
#pragma once
// Chart 1: token hit rate over requests, cumulative and over a sliding window; earlier runs faded.
#include "ui/chart_panel.h"

class QValueAxis;
class QLineSeries;

namespace kvlab {

class HitRateChart : public ChartPanel {
  Q_OBJECT
public:
  static constexpr std::size_t kWindow = 8;  // requests in the windowed rate
  explicit HitRateChart(const RunHistory* history, QWidget* parent = nullptr);

protected:
  void refresh() override;
  void rebuildEarlier() override;

private:
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  QLineSeries* m_cumulative = nullptr;
  QLineSeries* m_windowed = nullptr;
};

}  // namespace kvlab
