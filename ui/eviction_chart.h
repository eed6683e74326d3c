// SPDX-License-Identifier: MIT
#pragma once
// Chart 3: evicted tokens over the scenario's simulated time, one cumulative step line per reason (capacity,
// TTL, max size lowered). Tokens are the unit every granularity shares; the tooltip adds entries. Live
// events between requests extend the lines at once. An empty chart says why it is empty.
#include <array>

#include "ui/chart_panel.h"

class QValueAxis;
class QLineSeries;

namespace kvlab {

class EvictionChart : public ChartPanel {
  Q_OBJECT
public:
  explicit EvictionChart(const RunHistory* history, QWidget* parent = nullptr);

protected:
  void refresh() override;

private:
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  std::array<QLineSeries*, 3> m_series{};  // Capacity, Ttl, PolicyChange
  double m_divisor = 1;                    // tokens per y unit: 1, or 1000 for large counts
};

}  // namespace kvlab
