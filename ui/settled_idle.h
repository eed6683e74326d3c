// SPDX-License-Identifier: MIT
#pragma once
// Tells when the thread's event loop has settled: stayed idle for a short while after its last wake-up,
// not merely gone idle once. Quiet timing hands the compute back to the worker at that moment. Going idle
// once is not enough: a repaint is drawn on a short platform timer after the loop first blocks (and the X
// server draws after that), so a worker released on the first aboutToBlock timed its next prefill against
// the GUI's painting (docs/gui.md: the first prefill after each hand-over ran 10-25 ms slow).
#include <QObject>
#include <QTimer>

namespace kvlab {

class SettledIdle : public QObject {
  Q_OBJECT
public:
  // settleMs: how long the loop must stay blocked; fallbackMs: the latest moment settled() comes anyway (a
  // caller spinning processEvents, as QTest's QTRY_* loops do, never blocks, so never settles).
  SettledIdle(int settleMs, int fallbackMs, QObject* parent = nullptr);

  // settled() comes once, after the loop has stayed idle for settleMs since it last woke (or at fallbackMs).
  // Arming again before that restarts the wait (one settled() for both).
  void arm();
  void disarm();
  bool armed() const { return m_armed; }

Q_SIGNALS:
  void settled();

private:
  void onAboutToBlock();
  void fire();

  QTimer m_settle;    // restarted whenever the loop goes idle: it fires only if nothing woke the loop since
  QTimer m_fallback;  // started by arm(), never restarted
  bool m_armed = false;
};

}  // namespace kvlab
