// SPDX-License-Identifier: MIT
#pragma once
// Measures how responsive the GUI thread is: a 10 ms precise timer records how late each tick fires
// (lateness = time since the previous tick - 10 ms). p50/p99 of the recorded lateness are what
// `kvlab --measure-lag` prints at exit. GUI thread only.
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <vector>

namespace kvlab {

class EventLoopLagProbe : public QObject {
  Q_OBJECT
public:
  static constexpr int kIntervalMs = 10;
  explicit EventLoopLagProbe(QObject* parent = nullptr);

  void start();  // clears earlier samples
  void stop();
  bool isRunning() const { return m_timer.isActive(); }
  std::size_t samples() const { return m_lateMs.size(); }
  double percentileMs(double p) const;  // p in [0, 100]; 0 without samples
  double maxMs() const { return percentileMs(100); }
  QString report() const;  // "event-loop lag over N ticks: p50 X ms, p99 Y ms, max Z ms"

private:
  void onTick();

  QTimer m_timer;
  QElapsedTimer m_clock;
  qint64 m_lastNs = 0;
  std::vector<double> m_lateMs;
};

}  // namespace kvlab
