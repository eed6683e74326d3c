// SPDX-License-Identifier: MIT
#pragma once
// The Tune page: sweeps of cache size x policy (and size x TTL for one policy) over a trace or a bundled
// scenario (turned into its token-block stream, no model run), answering "how big, which policy and TTL,
// and how far from the best possible": miss-ratio curves (MissRatioChart), a size x TTL heatmap
// (TtlHeatmapWidget), prefill time saved from the cost model (PrefillSavingsChart) and a table of knees.
// The sweep runs in a TuneWorker on its own thread; the page drains its buffer on a 40 ms single-shot
// timer, so curves fill in as configurations finish and the GUI thread never waits. Clicking a point or a
// cell asks for that configuration in the Live view (openInLiveRequested). Model and hardware only change
// how results are shown (bytes, cost model): changing them redraws without sweeping again.
#include <QString>
#include <QStringList>
#include <QWidget>
#include <atomic>
#include <memory>

#include "core/runner/run_types.h"
#include "ui/tune_results.h"
#include "ui/tune_worker.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QThread;
class QTimer;

namespace kvlab {

class MissRatioChart;
class PrefillSavingsChart;
class TtlHeatmapWidget;

class TunePage : public QWidget {
  Q_OBJECT
public:
  explicit TunePage(QWidget* parent = nullptr);
  ~TunePage() override;  // cancels the sweep and joins the worker thread

  // GUI thread. Starts a sweep with the controls' values (a running one is cancelled first). Returns false
  // and emits sweepFailed when a field does not parse (the message names it).
  bool start();
  void cancel();
  bool isRunning() const { return m_running; }
  const TuneResults& results() const { return m_results; }
  bool hasResults() const { return !m_results.empty() && !m_results.curves.empty(); }

  // The controls, for the command line and tests.
  void setSource(const QString& source);  // trace path, bundled scenario name or scenario .json
  QString source() const;
  void setSizes(const QString& series);   // "" = auto, else "100000:8000000:log12" or a list
  void setPolicies(const QString& list);  // "all" or "lru,fifo,opt"
  void setHeatmapPolicy(const QString& policy);
  void setTtls(const QString& list);  // "off,1m,5m"
  void setModel(const QString& preset);
  void setHardware(const QString& profile);
  void setBlockSize(int tokens);  // 0 = the source's default
  void setScenarioDir(const QString& dir) { m_scenarioDir = dir.toStdString(); }
  void setThreads(unsigned threads) { m_threads = threads; }

  MissRatioChart* missRatioChart() const { return m_curves; }
  PrefillSavingsChart* savingsChart() const { return m_savings; }
  TtlHeatmapWidget* heatmap() const { return m_heatmap; }
  QTableWidget* kneeTable() const { return m_table; }
  QProgressBar* progressBar() const { return m_progress; }
  QString statusText() const;
  // View ▸ Explanations: the text beside each chart.
  void setExplanationsVisible(bool visible);

  // Exports (GUI thread; throw std::runtime_error naming the path on failure).
  void exportCsv(const QString& path) const;  // one row per finished configuration + the infinite cache
  // Every chart as PNG and SVG plus tune-sweep.csv into dir; returns the written paths (none before a sweep).
  QStringList exportAll(const QString& dir) const;
  // HTML of the "Tuning" section of the PDF report: source, settings, knees table.
  QString reportHtml() const;

  // What a click on (policy, ttl, size) opens in the Live view: same source and block size, that policy,
  // TTL and size (bytes of the chosen model). Emits openInLiveRequested unless the policy cannot run live.
  void openInLive(const QString& policy, qint64 ttlMs, quint64 maxTokens);

Q_SIGNALS:
  void sweepStarted();
  void pointsAdded(int done, int total);  // after each drain that brought points
  void sweepFinished(bool cancelled);
  void sweepFailed(const QString& why);
  void openInLiveRequested(const kvlab::RunSettings& settings);

private:
  void drain();
  void redraw();
  void updateDisplayChoices();  // model bytes and cost-model hardware -> m_results, then redraw
  void sourceChanged();
  void setIdle();
  void fillTable();

  QThread* m_thread = nullptr;
  TuneWorker* m_worker = nullptr;  // lives in m_thread
  QTimer* m_drainTimer = nullptr;
  std::shared_ptr<std::atomic<bool>> m_cancel;  // the running job's flag
  int m_runId = 0;
  bool m_running = false;
  std::string m_scenarioDir;
  unsigned m_threads = 0;
  TuneResults m_results;
  std::size_t m_done = 0;
  std::size_t m_total = 0;

  QComboBox* m_source = nullptr;
  QComboBox* m_model = nullptr;
  QComboBox* m_hardware = nullptr;
  QSpinBox* m_blockSize = nullptr;
  QLineEdit* m_sizes = nullptr;
  QLineEdit* m_policies = nullptr;
  QComboBox* m_heatPolicy = nullptr;
  QLineEdit* m_ttls = nullptr;
  QPushButton* m_sweepButton = nullptr;
  QPushButton* m_cancelButton = nullptr;
  QPushButton* m_exportButton = nullptr;
  QProgressBar* m_progress = nullptr;
  QLabel* m_status = nullptr;
  MissRatioChart* m_curves = nullptr;
  PrefillSavingsChart* m_savings = nullptr;
  TtlHeatmapWidget* m_heatmap = nullptr;
  QTableWidget* m_table = nullptr;
};

}  // namespace kvlab
