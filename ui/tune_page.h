// SPDX-License-Identifier: MIT
#pragma once
// The Tune page: sweeps of cache size x policy (and size x TTL for one policy) over the shared source (a
// trace, or a bundled scenario turned into its token-block stream, no model run), answering "how big,
// which policy at my size, and how far from the best possible": the headline names the best policy at the
// chosen size with its distance to the infinite-cache bound and to Belady and the size reaching 90 % of the
// bound (TuneHeadline); a size selector ranks every policy at that size (the table); miss-ratio curves
// (MissRatioChart), prefill time saved from the cost model (PrefillSavingsChart) and a size x TTL heatmap
// (TtlHeatmapWidget) whose TTLs are by default derived from the source's reuse times.
// The sweep runs in a TuneWorker on its own thread; the page drains its buffer on a 40 ms single-shot
// timer, so curves fill in as configurations finish and the GUI thread never waits. Clicking a point or a
// cell asks for that configuration in the Live view (openInLiveRequested). Model and hardware only change
// how results are shown (bytes, cost model): changing them redraws without sweeping again.
#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>

#include "core/runner/run_types.h"
#include "ui/page_widget.h"
#include "ui/tune_results.h"
#include "ui/tune_worker.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;
class QThread;
class QTimer;

namespace kvlab {

class MissRatioChart;
class PrefillSavingsChart;
class SourceSelection;
class TtlHeatmapWidget;
class TuneRankingPanel;

class TunePage : public PageWidget {
  Q_OBJECT
public:
  // selection: the app's shared source (nullptr: the page keeps its own).
  explicit TunePage(SourceSelection* selection = nullptr, QWidget* parent = nullptr);
  ~TunePage() override;  // cancels the sweep and joins the worker thread

  // GUI thread. Starts a sweep with the controls' values (a running one is cancelled first). Returns false
  // and emits sweepFailed when a field does not parse (the message names it).
  bool start();
  void cancel();
  bool isRunning() const { return m_running; }
  const TuneResults& results() const { return m_results; }

  // The controls, for the command line and tests.
  void setSource(const QString& source);  // sets the shared source
  QString source() const;
  void setSizes(const QString& series);   // "" = auto, else "100000:8000000:log12" or a list
  void setPolicies(const QString& list);  // "all" or "lru,fifo,opt"
  void setHeatmapPolicy(const QString& policy);
  void setTtls(const QString& list);  // "auto" (from the source's reuse times) or "off,1m,5m"
  void setModel(const QString& preset);
  void setHardware(const QString& profile);
  void setBlockSize(int tokens);  // 0 = the source's default
  void setScenarioDir(const QString& dir) { m_scenarioDir = dir.toStdString(); }
  void setThreads(unsigned threads) { m_threads = threads; }
  // The size the ranking starts at: the swept size nearest to these bytes of K/V (the Live max size).
  void setPreferredBytes(Bytes bytes);
  // The size ranked in the table and the headline (tokens, one of the swept sizes).
  void setChosenSize(quint64 tokens);
  quint64 chosenSize() const { return m_chosen; }

  MissRatioChart* missRatioChart() const { return m_curves; }
  PrefillSavingsChart* savingsChart() const { return m_savings; }
  TtlHeatmapWidget* heatmap() const { return m_heatmap; }
  QTableWidget* kneeTable() const;  // the ranking at the chosen size
  QComboBox* sizeSelector() const;
  QProgressBar* progressBar() const { return m_progress; }
  QString statusText() const;
  // View ▸ Explanations: the text beside each chart.
  void setExplanationsVisible(bool visible);

  // Exports (GUI thread; throw std::runtime_error naming the path on failure).
  void exportCsv(const QString& path) const;  // one row per finished configuration + the infinite cache
  // Every chart as PNG and SVG plus tune-sweep.csv into dir; returns the written paths (none before a sweep).
  QStringList exportAll(const QString& dir) const;
  // HTML of the "Tuning" section of the PDF report: source, settings, the ranking table.
  QString reportHtml() const;

  // What a click on (policy, ttl, size) opens in the Live view: same source and block size, that policy,
  // TTL and size (bytes of the chosen model). Emits openInLiveRequested unless the policy cannot run live.
  void openInLive(const QString& policy, qint64 ttlMs, quint64 maxTokens);

  void setTypeScale(const TypeScale& scale) override;
  void runPage() override { start(); }
  bool isBusy() const override { return m_running; }
  bool hasResults() const override { return !m_results.empty() && !m_results.curves.empty(); }
  void appendReport(ReportDocument& report) const override;
  QStringList exportFiles(const QDir& dir) const override { return exportAll(dir.path()); }

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

  SourceSelection* m_selection = nullptr;
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
  quint64 m_chosen = 0;  // tokens, as the ranking panel chose; 0 = not chosen yet

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
  QStackedWidget* m_stack = nullptr;  // the empty state, then the results
  TuneRankingPanel* m_ranking = nullptr;
  MissRatioChart* m_curves = nullptr;
  PrefillSavingsChart* m_savings = nullptr;
  TtlHeatmapWidget* m_heatmap = nullptr;
};

}  // namespace kvlab
