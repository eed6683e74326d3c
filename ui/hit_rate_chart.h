// SPDX-License-Identifier: MIT
#pragma once
// Chart 1: token hit rate over requests, cumulative and over a sliding window; earlier runs dashed, each in
// its own colour. The y axis fits the data (a 4 % hit rate is not drawn on the floor of a 0-100 % axis);
// the infinite-cache bound, when known, is a dashed line (or, far above the data, named in the legend).
#include <optional>

#include "ui/chart_panel.h"

class QValueAxis;
class QLineSeries;

namespace kvlab {

class HitRateChart : public ChartPanel {
  Q_OBJECT
public:
  static constexpr std::size_t kWindow = 8;  // requests in the windowed rate
  explicit HitRateChart(const RunHistory* history, QWidget* parent = nullptr);
  // The source's infinite-cache token hit rate (0..1); nullopt = unknown (not drawn).
  void setBound(std::optional<double> bound);
  QValueAxis* yAxis() const { return m_y; }
  QLineSeries* boundLine() const { return m_boundLine; }

protected:
  void refresh() override;
  void rebuildEarlier() override;

private:
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  QLineSeries* m_cumulative = nullptr;
  QLineSeries* m_windowed = nullptr;
  QLineSeries* m_boundLine = nullptr;
  std::optional<double> m_bound;
};

}  // namespace kvlab
