// SPDX-License-Identifier: MIT
#pragma once
// The Serving page: the shared source served by the serving simulator (core/serving) on a cost model,
// twice — with prefix caching and without — and compared side by side: the headline gives median and p99
// TTFT both ways, the ratio and why (ServingHeadline); four charts (ServingTtftChart, ServingQueueChart,
// ServingWaitChart, ServingPoolChart) each with its explanation. The simulations run in a ServingWorker on
// its own thread; the page drains its buffer on a 40 ms single-shot timer and replaces the charts' points.
// Changing a control while results are shown runs again (a stale run stops at its next step).
#include <vector>

#include "ui/page_widget.h"
#include "ui/serving_comparison.h"
#include "ui/serving_worker.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QThread;
class QTimer;

namespace kvlab {

class ChartPanel;
class ServingPoolChart;
class ServingQueueChart;
class ServingTtftChart;
class ServingWaitChart;
class SourceSelection;

class ServingPage : public PageWidget {
  Q_OBJECT
public:
  // selection: the app's shared source (nullptr: the page keeps its own).
  explicit ServingPage(SourceSelection* selection = nullptr, QWidget* parent = nullptr);
  ~ServingPage() override;  // stops the run and joins the worker thread

  // GUI thread. Starts (or restarts) both simulations with the controls' values.
  void start();
  void stop();
  bool isRunning() const { return m_running; }
  // Sets the shared source (trace path or scenario name).
  void setInput(const QString& input);
  void setSpeed(double speed);
  void setPoolBlocks(int blocks);  // 0 = auto
  // Tiers under the pool, tokens (0 = none), as simulate's --host-tokens/--remote-tokens/--remote-write.
  void setTiers(int hostTokens, int remoteTokens, bool writeThrough = true);
  const ServingComparison& comparison() const { return m_data; }
  const ServingSummary& lastSummary() const { return m_data.sides[0].summary; }  // with prefix caching
  void setExplanationsVisible(bool visible);
  QLabel* statusLabel() const { return m_status; }
  QList<ChartPanel*> charts() const;

  void runPage() override { start(); }
  bool isBusy() const override { return m_running; }
  bool hasResults() const override { return m_data.finished(); }
  void appendReport(ReportDocument& report) const override;
  QStringList exportFiles(const QDir& dir) const override;

Q_SIGNALS:
  void runFinished();           // both runs completed; comparison() is complete
  void runFailed(QString why);  // bad input or config

private:
  ServingJob jobFromControls() const;
  void scheduleRestart();
  void drain();
  void redraw();
  void exportRequestsCsv(const QString& path) const;
  QString summaryTableHtml() const;

  SourceSelection* m_selection = nullptr;
  QThread* m_thread = nullptr;
  ServingWorker* m_worker = nullptr;  // lives in m_thread
  QTimer* m_drainTimer = nullptr;
  QTimer* m_restartTimer = nullptr;
  int m_runId = 0;
  bool m_running = false;
  bool m_hasRun = false;

  QComboBox* m_model = nullptr;
  QComboBox* m_hardware = nullptr;
  QComboBox* m_policy = nullptr;
  QSpinBox* m_poolBlocks = nullptr;
  QSpinBox* m_maxBatched = nullptr;
  QSpinBox* m_maxRunning = nullptr;
  QSpinBox* m_outputTokens = nullptr;
  QSpinBox* m_hostTokens = nullptr;
  QSpinBox* m_remoteTokens = nullptr;
  QComboBox* m_remoteWrite = nullptr;
  QDoubleSpinBox* m_speed = nullptr;
  QPushButton* m_runButton = nullptr;
  QPushButton* m_stopButton = nullptr;
  QLabel* m_status = nullptr;

  ServingComparison m_data;  // GUI thread only

  ServingTtftChart* m_ttft = nullptr;
  ServingQueueChart* m_queue = nullptr;
  ServingWaitChart* m_wait = nullptr;
  ServingPoolChart* m_pool = nullptr;
};

}  // namespace kvlab
