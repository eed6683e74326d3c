// SPDX-License-Identifier: MIT
#pragma once
// Status bar: run state, progress bar, requests done / total, elapsed time, compute device and BLAS
// library. Observes the RunController (state) and the RunHistory (progress, run info).
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

private:
  void refresh();
  void showBlas(const QString& blas);
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
