// SPDX-License-Identifier: MIT
#pragma once
// The Serving page: a trace or scenario through the serving simulator (core/serving) on a cost model, drawn
// live: queue length and running batch over time with preemptions as events, the KV pool split into
// running / cached-free / free blocks, and TTFT and TPOT percentiles over time. The simulation runs in a
// ServingWorker on its own thread; the page drains its buffer on a 40 ms single-shot timer and replaces the
// series' points. Changing a control while a run is shown restarts it (a stale run stops at its next step).
#include <QWidget>
#include <vector>

#include "core/serving/serving_types.h"
#include "ui/serving_worker.h"

class QAreaSeries;
class QCheckBox;
class QChart;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineSeries;
class QPushButton;
class QScatterSeries;
class QSpinBox;
class QThread;
class QTimer;
class QValueAxis;

namespace kvlab {

class ServingPage : public QWidget {
  Q_OBJECT
public:
  explicit ServingPage(QWidget* parent = nullptr);
  ~ServingPage() override;  // stops the run and joins the worker thread

  // GUI thread. Starts (or restarts) a simulation with the controls' values.
  void start();
  void stop();
  bool isRunning() const { return m_running; }
  // Sets the input (trace path or scenario name) shown in the input box.
  void setInput(const QString& input);
  const ServingSummary& lastSummary() const { return m_summary; }

Q_SIGNALS:
  void runFinished();           // the current run completed; lastSummary() is valid
  void runFailed(QString why);  // bad input or config

private:
  ServingJob jobFromControls() const;
  void scheduleRestart();
  void drain();
  void redraw();
  void resetData();
  void buildCharts(QWidget* area);

  QThread* m_thread = nullptr;
  ServingWorker* m_worker = nullptr;  // lives in m_thread
  QTimer* m_drainTimer = nullptr;
  QTimer* m_restartTimer = nullptr;
  int m_runId = 0;
  bool m_running = false;
  bool m_hasRun = false;

  // Controls.
  QComboBox* m_input = nullptr;
  QComboBox* m_model = nullptr;
  QComboBox* m_hardware = nullptr;
  QComboBox* m_policy = nullptr;
  QSpinBox* m_poolBlocks = nullptr;
  QSpinBox* m_maxBatched = nullptr;
  QSpinBox* m_maxRunning = nullptr;
  QSpinBox* m_outputTokens = nullptr;
  QDoubleSpinBox* m_speed = nullptr;
  QCheckBox* m_prefixCache = nullptr;
  QPushButton* m_runButton = nullptr;
  QPushButton* m_stopButton = nullptr;
  QLabel* m_status = nullptr;

  // Data of the current run (GUI thread only).
  ServingConfig m_config;
  std::uint64_t m_requests = 0;
  std::vector<ServingTimelinePoint> m_points;
  std::vector<ServingRequestResult> m_done;
  ServingSummary m_summary;
  double m_wallS = 0;

  // Charts.
  QChart* m_queueChart = nullptr;
  QLineSeries* m_waiting = nullptr;
  QLineSeries* m_runningSeries = nullptr;
  QScatterSeries* m_preemptions = nullptr;
  QValueAxis* m_queueX = nullptr;
  QValueAxis* m_queueY = nullptr;
  QValueAxis* m_preemptY = nullptr;
  QChart* m_poolChart = nullptr;
  QLineSeries* m_poolZero = nullptr;
  QLineSeries* m_poolUsed = nullptr;
  QLineSeries* m_poolCached = nullptr;
  QLineSeries* m_poolTotal = nullptr;
  QValueAxis* m_poolX = nullptr;
  QValueAxis* m_poolY = nullptr;
  QChart* m_ttftChart = nullptr;
  QLineSeries* m_ttftP50 = nullptr;
  QLineSeries* m_ttftP90 = nullptr;
  QValueAxis* m_ttftX = nullptr;
  QValueAxis* m_ttftY = nullptr;
  QChart* m_tpotChart = nullptr;
  QLineSeries* m_tpotP50 = nullptr;
  QLineSeries* m_tpotP90 = nullptr;
  QValueAxis* m_tpotX = nullptr;
  QValueAxis* m_tpotY = nullptr;
};

}  // namespace kvlab
