// SPDX-License-Identifier: MIT
#pragma once
// The Workload page: "how cacheable is this workload?" for the shared source, without choosing a cache
// size: kvlab-cli analyze's report (core/analyze) on screen and in the PDF. The headline gives the
// infinite-cache bound and the LRU size reaching 90 % of it; the chart, the LRU hit rate at every size
// (LruCurveChart); beside it the report's tables (ui/workload_report.h: the same HTML as the PDF). Opening a
// trace (File ▸ Open, a page's Open…, a drop) brings this page forward (MainWindow), and the page analyzes
// whenever its source, block size or warm-up changes while it is shown, or when it is next shown. Model and
// hardware only change how sizes and savings are shown: no new pass.
// The pass runs on its own QThread; its result comes back through a queued call tagged with the run's id
// (a stale one is dropped), so the GUI thread never waits. A newer request cancels the running pass
// (AnalyzeOptions::cancel) and starts when it has stopped.
#include <QString>
#include <atomic>
#include <memory>

#include "ui/page_widget.h"
#include "ui/workload_report.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTextBrowser;
class QThread;
class QTimer;

namespace kvlab {

class LruCurveChart;
class SourceSelection;
class TokenizerPicker;
struct TraceAnalysis;

class WorkloadPage : public PageWidget {
  Q_OBJECT
public:
  // selection: the app's shared source (nullptr: the page keeps its own).
  explicit WorkloadPage(SourceSelection* selection = nullptr, QWidget* parent = nullptr);
  ~WorkloadPage() override;  // cancels the pass and joins its thread

  // GUI thread. Analyzes the source with the controls' values (a running pass is cancelled first).
  void start();
  const TraceAnalysis* analysis() const { return m_analysis.get(); }
  QString statusText() const;
  QString reportHtml() const;

  // The controls, for the command line and tests.
  void setBlockSize(int tokens);          // 0 = the source's own
  void setWarmupFraction(double fraction);  // of the requests, not measured
  void setModel(const QString& preset);     // "" = none
  void setHardware(const QString& profile);  // "" = none
  LruCurveChart* curveChart() const { return m_chart; }
  QTextBrowser* reportView() const { return m_report; }
  TokenizerPicker* tokenizerPicker() const { return m_tokenizer; }

  void setTypeScale(const TypeScale& scale) override;
  void runPage() override { start(); }
  bool isBusy() const override { return m_thread != nullptr; }
  bool hasResults() const override { return m_analysis != nullptr; }
  void appendReport(ReportDocument& report) const override;
  QStringList exportFiles(const QDir& dir) const override;

protected:
  void showEvent(QShowEvent* event) override;

private:
  void sourceChanged();
  void receive(int runId, const QString& source, std::shared_ptr<const TraceAnalysis> analysis, const QString& error,
               bool cancelled);
  void threadFinished();
  void redraw();
  WorkloadPricing pricing() const;

  SourceSelection* m_selection = nullptr;
  QThread* m_thread = nullptr;
  std::shared_ptr<std::atomic<bool>> m_cancel;  // the running pass's flag
  bool m_restart = false;                        // start again when the running pass has stopped
  bool m_stale = true;                           // the source or a setting changed since the last pass
  int m_runId = 0;
  std::shared_ptr<const TraceAnalysis> m_analysis;
  QString m_analyzedSource;
  QString m_error;

  QSpinBox* m_blockSize = nullptr;
  QDoubleSpinBox* m_warmup = nullptr;
  QComboBox* m_model = nullptr;
  QComboBox* m_hardware = nullptr;
  QPushButton* m_analyze = nullptr;
  QLabel* m_status = nullptr;
  QTimer* m_settle = nullptr;  // spin boxes: analyze once the value stops changing
  LruCurveChart* m_chart = nullptr;
  QTextBrowser* m_report = nullptr;
  TokenizerPicker* m_tokenizer = nullptr;
};

}  // namespace kvlab
