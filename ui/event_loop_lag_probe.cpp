// SPDX-License-Identifier: MIT
#include "ui/event_loop_lag_probe.h"

#include <algorithm>
#include <cmath>

namespace kvlab {

EventLoopLagProbe::EventLoopLagProbe(QObject* parent) : QObject(parent) {
  m_timer.setTimerType(Qt::PreciseTimer);
  m_timer.setInterval(kIntervalMs);
  connect(&m_timer, &QTimer::timeout, this, &EventLoopLagProbe::onTick);
}

void EventLoopLagProbe::start() {
  m_lateMs.clear();
  m_clock.start();
  m_lastNs = 0;
  m_timer.start();
}

void EventLoopLagProbe::stop() { m_timer.stop(); }

void EventLoopLagProbe::onTick() {
  const qint64 now = m_clock.nsecsElapsed();
  const double late = double(now - m_lastNs) / 1e6 - kIntervalMs;
  m_lastNs = now;
  m_lateMs.push_back(std::max(0.0, late));
}

double EventLoopLagProbe::percentileMs(double p) const {
  if (m_lateMs.empty()) return 0;
  std::vector<double> sorted = m_lateMs;
  std::sort(sorted.begin(), sorted.end());
  const auto rank = std::size_t(std::ceil(p / 100.0 * double(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

QString EventLoopLagProbe::report() const {
  return QStringLiteral("event-loop lag over %1 ticks of %2 ms: p50 %3 ms, p99 %4 ms, max %5 ms")
      .arg(m_lateMs.size())
      .arg(kIntervalMs)
      .arg(percentileMs(50), 0, 'f', 2)
      .arg(percentileMs(99), 0, 'f', 2)
      .arg(maxMs(), 0, 'f', 2);
}

}  // namespace kvlab
