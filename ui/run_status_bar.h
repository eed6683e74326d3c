// SPDX-License-Identifier: MIT
#pragma once
// Status bar: run state (and when done the run's hit rate), progress bar, requests done / total, elapsed
// time, compute device and BLAS library. Observes the RunController (state) and the RunHistory (progress,
// run info). These describe the Live run: on the other pages they are hidden and the bar only carries
// messages (setLiveWidgetsVisible).
#include <QElapsedTimer>
#include <QStatusBar>
#include <QTimer>

class QLabel;
class QProgressBar;

namespace kvlab {

class RunController;
class RunHistory;

class RunStatusBar : public QStatusBar {
  Q_OBJECT
public:
  RunStatusBar(const RunController* controller, const RunHistory* history, QWidget* parent = nullptr);

  QString requestsText() const;
  QString stateText() const;
  QString elapsedText() const;
  void setLiveWidgetsVisible(bool visible);

private:
  void refresh();
  void showBlas(const QString& blas, const QString& matmul);
  void onStateChanged();

  const RunController* m_controller;
  const RunHistory* m_history;
  QLabel* m_state = nullptr;
  QProgressBar* m_progress = nullptr;
  QLabel* m_requests = nullptr;
  QLabel* m_elapsed = nullptr;
  QLabel* m_device = nullptr;
  QLabel* m_blas = nullptr;
  QElapsedTimer m_clock;
  QTimer m_tick;  // refreshes the elapsed time while a run is active (4 Hz)
};

}  // namespace kvlab
