// SPDX-License-Identifier: MIT
#pragma once
// Chart 4: time to first token with and without the cache, per request, and the cumulative speedup
// (sum uncached / sum cached) on a second axis. Trace replays take both times from the cost model and the
// title says so. Earlier runs show their cumulative speedup faded.
#include "ui/chart_panel.h"

class QValueAxis;
class QLineSeries;

namespace kvlab {

class SpeedupChart : public ChartPanel {
  Q_OBJECT
public:
  explicit SpeedupChart(const RunHistory* history, QWidget* parent = nullptr);

protected:
  void refresh() override;
  void rebuildEarlier() override;

private:
  QValueAxis* m_x = nullptr;
  QValueAxis* m_ms = nullptr;
  QValueAxis* m_factor = nullptr;
  QLineSeries* m_cached = nullptr;
  QLineSeries* m_uncached = nullptr;
  QLineSeries* m_speedup = nullptr;
};

}  // namespace kvlab
