// SPDX-License-Identifier: MIT
#pragma once
// Chart 3: evictions over the scenario's simulated time, one cumulative step line per reason (capacity,
// TTL, policy change). Live events between requests extend the lines at once.
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
};

}  // namespace kvlab
