// SPDX-License-Identifier: MIT
#include "ui/workload_page.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTextBrowser>
#include <QThread>
#include <QTimer>
#include <chrono>

#include "core/analyze/trace_analysis.h"
#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/hardware/hardware_profile.h"
#include "core/hardware/prefill_cost.h"
#include "core/replay/replay_warmup.h"
#include "core/trace/trace.h"
#include "core/trace/trace_format.h"
#include "core/util/atomic_file.h"
#include "ui/headline_banner.h"
#include "ui/lru_curve_chart.h"
#include "ui/report_document.h"
#include "ui/source_picker.h"
#include "ui/source_requests.h"
#include "ui/source_selection.h"
#include "ui/tokenizer_picker.h"
#include "ui/trace_drop_filter.h"

namespace kvlab {

namespace {

// The source as one in-memory trace: a trace file read whole (its own block size unless overridden), or a
// scenario's token-block stream (no model runs), labelled as a scenario.
Trace workloadTrace(const std::string& source, std::uint32_t blockSize, const PromptTextOptions& prompts) {
  if (looksLikeTrace(source)) return openSourceTrace(source, blockSize, prompts);
  SourceRequests s = loadSourceRequests(source, {}, blockSize);
  Trace t;
  t.info.path = source;
  t.info.format = "scenario";
  t.info.blockSize = s.blockSize;
  t.info.blockSizeDeclared = true;
  t.requests = std::move(s.requests);
  return t;
}

constexpr int kSettleMs = 300;

}  // namespace

WorkloadPage::WorkloadPage(SourceSelection* selection, QWidget* parent)
    : PageWidget(QStringLiteral("workload"), parent),
      m_selection(selection ? selection : new SourceSelection(this)) {
  connect(m_selection, &SourceSelection::sourceChanged, this, &WorkloadPage::sourceChanged);
  connect(m_selection, &SourceSelection::tokenizerChanged, this, [this] {
    if (looksLikeTrace(m_selection->source().toStdString())) sourceChanged();  // a prompts file reads anew
  });
  // A trace file or folder dropped on the page becomes the source of every page.
  connect(new TraceDropFilter(this), &TraceDropFilter::dropped, m_selection, &SourceSelection::openFile);

  m_blockSize = new QSpinBox;
  m_blockSize->setRange(0, 1 << 20);
  m_blockSize->setSpecialValueText(tr("source's"));
  m_blockSize->setToolTip(tr("Tokens per block key; source's = the trace's own (512 for Mooncake, the declared "
                             "size for the formats that declare one), a scenario's own block size"));
  m_warmup = new QDoubleSpinBox;
  m_warmup->setRange(0, 99);
  m_warmup->setDecimals(0);
  m_warmup->setSuffix(tr(" % of requests"));
  m_warmup->setToolTip(tr("Warm-up: the first requests fill the cache and are not counted (published "
                          "hit-rate tables count the second half: 50 %)"));
  m_model = new QComboBox;
  m_model->addItem(tr("none"), QString());
  for (const ModelConfig& m : modelPresets())
    m_model->addItem(QString::fromStdString(m.name), QString::fromStdString(m.name));
  m_model->setToolTip(tr("The model whose K/V bytes per token turn sizes into bytes"));
  m_hardware = new QComboBox;
  m_hardware->addItem(tr("none"), QString());
  for (const std::string& h : hardwareProfileNames())
    if (h != "cpu-here") m_hardware->addItem(QString::fromStdString(h), QString::fromStdString(h));
  m_hardware->setToolTip(tr("With a model: the prefill time the cache saves (cost model, at the trace's mean "
                            "prompt length)"));
  m_analyze = new QPushButton(tr("Analyze"));
  m_analyze->setObjectName(QStringLiteral("workloadAnalyze"));
  m_analyze->setToolTip(tr("Analyze the source again (Ctrl+R)"));
  connect(m_analyze, &QPushButton::clicked, this, &WorkloadPage::start);
  m_settle = new QTimer(this);
  m_settle->setSingleShot(true);
  m_settle->setInterval(kSettleMs);
  connect(m_settle, &QTimer::timeout, this, &WorkloadPage::start);
  connect(m_blockSize, &QSpinBox::valueChanged, this, [this] { m_settle->start(); });
  connect(m_warmup, &QDoubleSpinBox::valueChanged, this, [this] { m_settle->start(); });
  connect(m_model, &QComboBox::currentIndexChanged, this, &WorkloadPage::redraw);
  connect(m_hardware, &QComboBox::currentIndexChanged, this, &WorkloadPage::redraw);

  auto* controls = new QWidget;
  auto* grid = new QGridLayout(controls);
  grid->setContentsMargins(0, 0, 0, 0);
  const auto add = [&](int col, const QString& label, QWidget* w) {
    grid->addWidget(new QLabel(label), 0, col * 2);
    grid->addWidget(w, 0, col * 2 + 1);
  };
  grid->addWidget(new QLabel(tr("Source")), 0, 0);
  grid->addWidget(new SourcePicker(m_selection), 0, 1);
  add(1, tr("Block size"), m_blockSize);
  add(2, tr("Warm-up"), m_warmup);
  add(3, tr("Model"), m_model);
  add(4, tr("Hardware"), m_hardware);
  grid->addWidget(m_analyze, 0, 10);
  grid->setColumnStretch(1, 2);
  m_tokenizer = new TokenizerPicker(m_selection);
  m_tokenizer->setObjectName(QStringLiteral("workloadTokenizer"));
  grid->addWidget(new QLabel(tr("Tokenizer")), 1, 0);
  grid->addWidget(m_tokenizer, 1, 1, 1, 9);
  m_status = new QLabel;
  m_status->setObjectName(QStringLiteral("workloadStatus"));
  m_status->setWordWrap(true);
  m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  grid->addWidget(m_status, 2, 0, 1, 11);

  m_chart = new LruCurveChart;
  m_chart->setObjectName(QStringLiteral("workloadCurveChart"));
  m_report = new QTextBrowser;
  m_report->setObjectName(QStringLiteral("workloadReport"));
  m_report->setOpenLinks(false);
  auto* body = new QSplitter(Qt::Horizontal);
  body->addWidget(m_chart);
  body->addWidget(m_report);
  body->setStretchFactor(0, 3);
  body->setStretchFactor(1, 2);
  addSlide(m_chart, m_chart->title());
  addSlide(m_report, tr("The workload report"));
  setParts(controls, body);
  redraw();
}

WorkloadPage::~WorkloadPage() {
  if (m_cancel) m_cancel->store(true);
  if (m_thread) {
    m_thread->wait();
    delete m_thread;
  }
}

void WorkloadPage::setBlockSize(int tokens) { m_blockSize->setValue(tokens); }
void WorkloadPage::setWarmupFraction(double fraction) { m_warmup->setValue(100 * fraction); }
void WorkloadPage::setModel(const QString& preset) {
  m_model->setCurrentIndex(std::max(0, m_model->findData(preset)));
}
void WorkloadPage::setHardware(const QString& profile) {
  m_hardware->setCurrentIndex(std::max(0, m_hardware->findData(profile)));
}

void WorkloadPage::setTypeScale(const TypeScale& scale) {
  PageWidget::setTypeScale(scale);
  m_report->setFont(scale.font(TextRole::Body, font()));
}

void WorkloadPage::showEvent(QShowEvent* event) {
  PageWidget::showEvent(event);
  if (m_stale && !m_thread) start();
}

void WorkloadPage::sourceChanged() {
  m_stale = true;
  if (isVisible()) start();
}

void WorkloadPage::start() {
  m_settle->stop();
  if (m_thread) {  // one pass at a time: stop this one, then start again
    m_cancel->store(true);
    m_restart = true;
    return;
  }
  m_stale = false;
  const QString source = m_selection->source();
  const std::uint32_t blockSize = std::uint32_t(m_blockSize->value());
  const double warmup = m_warmup->value() / 100;
  const PromptTextOptions prompts = m_selection->promptOptions();
  const int runId = ++m_runId;
  m_cancel = std::make_shared<std::atomic<bool>>(false);
  auto cancel = m_cancel;
  m_thread = QThread::create([this, runId, cancel, source, blockSize, warmup, prompts] {
    std::shared_ptr<TraceAnalysis> result;
    QString error;
    bool cancelled = false;
    try {
      const Trace trace = workloadTrace(source.toStdString(), blockSize, prompts);
      AnalyzeOptions options;
      options.blockSize = trace.info.format == "scenario" ? 0 : blockSize;
      WarmupSpec spec;
      spec.fraction = true;
      spec.value = warmup;
      options.warmupRequests = spec.requestsOf(trace.requests.size());
      options.cancel = cancel.get();
      result = std::make_shared<TraceAnalysis>(analyzeTrace(trace, options));
    } catch (const AnalysisCancelled&) {
      cancelled = true;
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(
        this, [this, runId, source, result, error, cancelled] { receive(runId, source, result, error, cancelled); },
        Qt::QueuedConnection);
  });
  connect(m_thread, &QThread::finished, this, &WorkloadPage::threadFinished);
  m_status->setText(tr("Analyzing %1…").arg(SourceSelection::displayName(source)));
  m_analyze->setEnabled(false);
  m_thread->start();
}

void WorkloadPage::receive(int runId, const QString& source, std::shared_ptr<const TraceAnalysis> analysis,
                           const QString& error, bool cancelled) {
  if (runId != m_runId || cancelled) return;  // superseded: the next pass reports
  m_error = error;
  m_analysis = error.isEmpty() ? std::move(analysis) : nullptr;
  m_analyzedSource = source;  // the source this pass read, even if the selection moved on since
  redraw();
  Q_EMIT workFinished(error.isEmpty());
}

void WorkloadPage::threadFinished() {
  m_thread->wait();
  delete m_thread;
  m_thread = nullptr;
  m_analyze->setEnabled(true);
  if (m_restart) {
    m_restart = false;
    start();
  }
}

WorkloadPricing WorkloadPage::pricing() const {
  WorkloadPricing p;
  const ModelConfig* model = findModelPreset(m_model->currentData().toString().toStdString());
  if (!model) return p;
  p.model = QString::fromStdString(model->name);
  p.bytesPerToken = kvBytesPerToken(*model);
  const HardwareProfile* hw = findHardwareProfile(m_hardware->currentData().toString().toStdString());
  if (hw && m_analysis && m_analysis->requests) {
    p.hardware = QString::fromStdString(hw->name);
    const auto meanPrompt = std::uint32_t(std::max<std::uint64_t>(1, m_analysis->promptTokens / m_analysis->requests));
    p.prefillSecondsPerToken = prefillSecondsPerToken(*model, *hw, meanPrompt);
  }
  return p;
}

void WorkloadPage::redraw() {
  const WorkloadPricing p = pricing();
  const QString name = SourceSelection::displayName(m_analyzedSource);
  if (!m_error.isEmpty()) {
    headline()->setText(tr("Cannot analyze %1").arg(name.toHtmlEscaped()), m_error.toHtmlEscaped());
    m_chart->setAnalysis(nullptr, 0, tr("No curve: %1").arg(m_error));
    m_report->clear();
    m_status->setText(m_error);
    return;
  }
  if (!m_analysis) {
    headline()->setText(tr("How cacheable is your workload?"),
                        tr("Open a trace (File ▸ Open, or drop it on this page): any supported format, or your "
                           "own prompts. The page shows the infinite-cache bound, the LRU hit rate at every "
                           "size and the reuse structure, without choosing a cache size."));
    m_chart->setAnalysis(nullptr, 0);
    m_report->clear();
    return;
  }
  const TraceAnalysis& a = *m_analysis;
  headline()->setText(workloadHeadline(a, p), workloadDetail(a, p));
  m_chart->setAnalysis(&a, p.bytesPerToken);
  m_report->setHtml(workloadReportHtml(a, p, name));
  m_status->setText(tr("%1: %2 trace, %3 requests measured, blocks of %4 tokens")
                        .arg(name, QString::fromStdString(a.format))
                        .arg(a.requests)
                        .arg(a.blockSize));
}

QString WorkloadPage::statusText() const { return m_status->text(); }

QString WorkloadPage::reportHtml() const {
  return m_analysis ? workloadReportHtml(*m_analysis, pricing(), SourceSelection::displayName(m_analyzedSource))
                    : QString();
}

void WorkloadPage::appendReport(ReportDocument& report) const {
  report.section(tr("Workload: how cacheable is it?"), headline()->headline(), headline()->detail());
  report.chart(*m_chart);
  report.html(reportHtml());
}

QStringList WorkloadPage::exportFiles(const QDir& dir) const {
  QStringList written;
  if (!hasResults()) return written;
  QDir().mkpath(dir.path());
  written << m_chart->writeFiles(dir.path());
  const QString html = dir.filePath(QStringLiteral("workload-report.html"));
  const QString page = QStringLiteral("<html><head><meta charset=\"utf-8\"><title>%1</title></head><body><h2>%1</h2>"
                                      "<p>%2</p>%3</body></html>")
                           .arg(headline()->headline().toHtmlEscaped(), headline()->detail().toHtmlEscaped(),
                                reportHtml());
  writeFileAtomically(html.toStdString(), page.toStdString());
  written << html;
  return written;
}

}  // namespace kvlab
