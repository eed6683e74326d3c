// SPDX-License-Identifier: MIT
#pragma once
// Chart 4: time to first token with and without the cache, per request, and the cumulative speedup
// (sum uncached / sum cached; thick) with the ideal one (sum uncached FLOPs / sum cached FLOPs; dashed) on
// a second axis whose grid lines coincide with the time axis's (both have the same number of intervals).
// Times switch to seconds when they are large. Trace replays take both times from the cost model and say
// which hardware. Earlier runs show their cumulative speedup faded.
#include "ui/chart_panel.h"

class QValueAxis;
class QLineSeries;

namespace kvlab {

class SpeedupChart : public ChartPanel {
  Q_OBJECT
public:
  explicit SpeedupChart(const RunHistory* history, QWidget* parent = nullptr);
  // Runs up to this many requests draw each request's TTFT; longer ones a moving mean (the hit-rate window).
  static constexpr std::size_t kPerRequestUpTo = 300;

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
  QLineSeries* m_ideal = nullptr;
  double m_timeDivisor = 1;  // ms per y unit: 1 (ms) or 1000 (s)
};

}  // namespace kvlab
