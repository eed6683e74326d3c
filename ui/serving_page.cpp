// SPDX-License-Identifier: MIT
#include "ui/serving_page.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <limits>
#include <sstream>

#include "core/arch/model_config.h"
#include "core/arch/model_loader.h"
#include "core/arch/model_presets.h"
#include "core/hardware/hardware_profile.h"
#include "core/policies/policy_registry.h"
#include "core/util/atomic_file.h"
#include "core/util/csv_writer.h"
#include "core/util/units.h"
#include "ui/chart_panel.h"
#include "ui/headline_banner.h"
#include "ui/model_picker.h"
#include "ui/report_document.h"
#include "ui/serving_headline.h"
#include "ui/serving_pool_chart.h"
#include "ui/serving_queue_chart.h"
#include "ui/serving_ttft_chart.h"
#include "ui/serving_wait_chart.h"
#include "ui/source_picker.h"
#include "ui/source_selection.h"
#include "ui/trace_drop_filter.h"

namespace kvlab {

namespace {

constexpr int kDrainMs = 40;     // coalesce redraws: at most ~25 a second
constexpr int kRestartMs = 250;  // a control change runs again after this quiet time

QComboBox* comboOf(const std::vector<std::string>& names, const std::string& current) {
  auto* box = new QComboBox;
  for (const std::string& n : names) box->addItem(QString::fromStdString(n));
  box->setCurrentText(QString::fromStdString(current));
  return box;
}

QSpinBox* spin(int min, int max, int value, const QString& special = {}) {
  auto* s = new QSpinBox;
  s->setRange(min, max);
  s->setValue(value);
  if (!special.isEmpty()) s->setSpecialValueText(special);
  return s;
}

}  // namespace

ServingPage::ServingPage(SourceSelection* selection, QWidget* parent)
    : PageWidget(QStringLiteral("serving"), parent),
      m_selection(selection ? selection : new SourceSelection(this)) {
  // A trace file or folder dropped on the page becomes the source of every page.
  connect(new TraceDropFilter(this), &TraceDropFilter::dropped, m_selection, &SourceSelection::openFile);
  std::vector<std::string> models;
  for (const ModelConfig& m : modelPresets()) models.push_back(m.name);
  m_model = comboOf(models, "llama-3-8b");
  addOpenModelEntry(m_model, this);
  m_hardware = comboOf(hardwareProfileNames(), std::string(defaultHardwareProfileName()));
  m_policy = comboOf(policyNames(), "lru");
  m_poolBlocks = spin(0, 100000000, 0, tr("auto: 90 % of memory − weights"));
  m_poolBlocks->setToolTip(
      tr("KV pool size in blocks; auto = 90% of the hardware's memory minus the weights"));
  m_maxBatched = spin(1, 1 << 20, 8192);
  m_maxRunning = spin(1, 1 << 16, 256);
  m_outputTokens = spin(0, 1 << 16, 0, tr("source's"));
  m_outputTokens->setToolTip(
      tr("Output tokens of every request of a scenario; \"source's\" = its output_tokens (traces carry their "
         "own)"));
  // Tiers under the pool (with prefix caching): simulate's --host-tokens, --remote-tokens, --remote-write.
  m_hostTokens = spin(0, std::numeric_limits<int>::max(), 0, tr("none"));
  m_hostTokens->setObjectName(QStringLiteral("servingHostTokens"));
  m_hostTokens->setToolTip(tr("A host (DRAM) tier under the KV pool, in tokens: blocks the pool evicts go "
                              "down to it, and a request's prefix found there is loaded (PCIe, cost model) "
                              "instead of computed. With prefix caching only."));
  m_remoteTokens = spin(0, std::numeric_limits<int>::max(), 0, tr("none"));
  m_remoteTokens->setObjectName(QStringLiteral("servingRemoteTokens"));
  m_remoteTokens->setToolTip(tr("A remote tier (a Mooncake-style store) under the host tier, in tokens; "
                                "loads cross the network and PCIe (cost model)"));
  m_remoteWrite = new QComboBox;
  m_remoteWrite->setObjectName(QStringLiteral("servingRemoteWrite"));
  m_remoteWrite->addItem(tr("write-through"), true);
  m_remoteWrite->addItem(tr("write-back"), false);
  m_remoteWrite->setToolTip(tr("write-through: every block the pool files is also written to the remote tier; "
                               "write-back: only what falls out of the tiers above"));
  m_speed = new QDoubleSpinBox;
  m_speed->setObjectName(QStringLiteral("servingSpeed"));
  m_speed->setRange(0.01, 1000);
  m_speed->setDecimals(2);
  m_speed->setValue(1);
  m_speed->setToolTip(tr("Arrival times are divided by this: 2 = twice the load, 0.5 = half"));
  m_runButton = new QPushButton(tr("Simulate"));
  m_runButton->setObjectName(QStringLiteral("servingSimulate"));
  m_runButton->setToolTip(tr("Serve the source with and without prefix caching (Ctrl+R)"));
  m_stopButton = new QPushButton(tr("Stop"));
  m_stopButton->setEnabled(false);
  connect(m_runButton, &QPushButton::clicked, this, &ServingPage::start);
  connect(m_stopButton, &QPushButton::clicked, this, &ServingPage::stop);

  auto* controls = new QWidget;
  auto* grid = new QGridLayout(controls);
  grid->setContentsMargins(0, 0, 0, 0);
  const auto add = [&](int row, int col, const QString& label, QWidget* w) {
    grid->addWidget(new QLabel(label), row, col * 2);
    grid->addWidget(w, row, col * 2 + 1);
  };
  grid->addWidget(new QLabel(tr("Source")), 0, 0);
  grid->addWidget(new SourcePicker(m_selection), 0, 1, 1, 3);
  add(0, 2, tr("Model"), m_model);
  add(0, 3, tr("Hardware"), m_hardware);
  add(0, 4, tr("Speed"), m_speed);
  add(1, 0, tr("Pool blocks"), m_poolBlocks);
  add(1, 1, tr("Max batched tokens"), m_maxBatched);
  add(1, 2, tr("Max running"), m_maxRunning);
  add(1, 3, tr("Output tokens"), m_outputTokens);
  add(1, 4, tr("Eviction"), m_policy);
  add(2, 0, tr("Host tier (tokens)"), m_hostTokens);
  add(2, 1, tr("Remote tier (tokens)"), m_remoteTokens);
  add(2, 2, tr("Remote write"), m_remoteWrite);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_runButton);
  buttons->addWidget(m_stopButton);
  grid->addLayout(buttons, 0, 10, 2, 1);
  grid->setColumnStretch(1, 2);
  m_status =
      new QLabel(tr("Every time on this page comes from a cost model (docs/serving.md), not from running a "
                    "model."));
  m_status->setObjectName(QStringLiteral("servingStatus"));
  m_status->setWordWrap(true);
  m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // wrap instead of widening the page
  m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
  grid->addWidget(m_status, 3, 0, 1, 11);

  m_ttft = new ServingTtftChart;
  m_queue = new ServingQueueChart;
  m_wait = new ServingWaitChart;
  m_pool = new ServingPoolChart;
  auto* body = new QWidget;
  auto* chartGrid = new QGridLayout(body);
  chartGrid->setContentsMargins(0, 0, 0, 0);
  chartGrid->addWidget(m_ttft, 0, 0);
  chartGrid->addWidget(m_queue, 0, 1);
  chartGrid->addWidget(m_wait, 1, 0);
  chartGrid->addWidget(m_pool, 1, 1);
  for (int i = 0; i < 2; ++i) {
    chartGrid->setRowStretch(i, 1);
    chartGrid->setColumnStretch(i, 1);
  }
  for (ChartPanel* chart : charts()) addSlide(chart, chart->title());
  setParts(controls, body);
  redraw();

  // Live controls: while results are shown, a change runs again after a short quiet time.
  m_restartTimer = new QTimer(this);
  m_restartTimer->setSingleShot(true);
  m_restartTimer->setInterval(kRestartMs);
  connect(m_restartTimer, &QTimer::timeout, this, &ServingPage::start);
  for (QComboBox* c : {m_model, m_hardware, m_policy, m_remoteWrite})
    connect(c, &QComboBox::currentTextChanged, this, &ServingPage::scheduleRestart);
  for (QSpinBox* s : {m_poolBlocks, m_maxBatched, m_maxRunning, m_outputTokens, m_hostTokens, m_remoteTokens})
    connect(s, &QSpinBox::valueChanged, this, &ServingPage::scheduleRestart);
  connect(m_speed, &QDoubleSpinBox::valueChanged, this, &ServingPage::scheduleRestart);
  connect(m_selection, &SourceSelection::sourceChanged, this, &ServingPage::scheduleRestart);

  // The worker thread and the coalescing drain timer.
  m_drainTimer = new QTimer(this);
  m_drainTimer->setSingleShot(true);
  m_drainTimer->setInterval(kDrainMs);
  connect(m_drainTimer, &QTimer::timeout, this, &ServingPage::drain);
  m_thread = new QThread(this);
  m_thread->setObjectName(QStringLiteral("serving-worker"));
  m_worker = new ServingWorker;
  m_worker->moveToThread(m_thread);
  connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  connect(m_worker, &ServingWorker::dataAvailable, this, [this] {
    if (!m_drainTimer->isActive()) m_drainTimer->start();
  });
  m_thread->start();
}

ServingPage::~ServingPage() {
  m_worker->setWantedRun(-1);  // the running simulation stops at its next step
  m_thread->quit();
  m_thread->wait();
}

QList<ChartPanel*> ServingPage::charts() const { return {m_ttft, m_queue, m_wait, m_pool}; }

void ServingPage::setExplanationsVisible(bool visible) {
  for (ChartPanel* chart : charts()) chart->setExplanationVisible(visible);
}

void ServingPage::setInput(const QString& input) { m_selection->setSource(input); }

void ServingPage::setSpeed(double speed) { m_speed->setValue(speed); }
void ServingPage::setPoolBlocks(int blocks) { m_poolBlocks->setValue(blocks); }
void ServingPage::setTiers(int hostTokens, int remoteTokens, bool writeThrough) {
  m_hostTokens->setValue(hostTokens);
  m_remoteTokens->setValue(remoteTokens);
  m_remoteWrite->setCurrentIndex(m_remoteWrite->findData(writeThrough));
}

ServingJob ServingPage::jobFromControls() const {
  ServingJob job;
  job.input = m_selection->source().toStdString();
  job.prompts = m_selection->promptOptions();
  job.outputTokens = std::uint32_t(m_outputTokens->value());
  job.poolBlocks = std::uint64_t(m_poolBlocks->value());
  job.hostTokens = std::uint64_t(m_hostTokens->value());
  job.remoteTokens = std::uint64_t(m_remoteTokens->value());
  job.remoteWriteThrough = m_remoteWrite->currentData().toBool();
  ServingConfig& c = job.config;
  try {  // a preset, or a config.json / model directory
    c.model = loadModel(currentModelSource(m_model).toStdString());
  } catch (const std::exception&) {
  }
  if (const HardwareProfile* h = findHardwareProfile(m_hardware->currentText().toStdString()))
    c.hardware = *h;
  c.policy = m_policy->currentText().toStdString();
  c.maxBatchedTokens = std::uint32_t(m_maxBatched->value());
  c.maxRunning = std::uint32_t(m_maxRunning->value());
  c.speed = m_speed->value();
  return job;
}

void ServingPage::start() {
  m_restartTimer->stop();
  const ServingJob job = jobFromControls();
  const int runId = ++m_runId;
  m_worker->setWantedRun(runId);  // a stale run stops at its next step
  m_data = ServingComparison{};
  m_running = m_hasRun = true;
  m_runButton->setEnabled(false);
  m_stopButton->setEnabled(true);
  m_status->setText(tr("Simulating %1 with and without prefix caching… (cost model)")
                        .arg(SourceSelection::displayName(QString::fromStdString(job.input))));
  ServingWorker* worker = m_worker;
  QMetaObject::invokeMethod(
      worker, [worker, job, runId] { worker->run(job, runId); }, Qt::QueuedConnection);
}

void ServingPage::stop() {
  if (!m_running) return;
  m_worker->setWantedRun(-1);
  ++m_runId;  // drop anything still buffered for the stopped run
  m_running = false;
  m_runButton->setEnabled(true);
  m_stopButton->setEnabled(false);
  m_status->setText(m_status->text() + tr(" — stopped"));
  Q_EMIT workFinished(false);
}

void ServingPage::scheduleRestart() {
  if (m_hasRun) m_restartTimer->start();
}

void ServingPage::drain() {
  bool finished = false;
  QString error;
  for (ServingBatch& b : m_worker->take()) {
    if (b.runId != m_runId) continue;  // a superseded or stopped run
    if (b.started) {
      m_data.config = b.config;
      m_data.requests = b.requests;
      m_data.arrivalSpanS = b.arrivalSpanS;
    }
    for (std::size_t side = 0; side < 2; ++side) {
      ServingSideBatch& in = b.sides[side];
      ServingSide& out = m_data.sides[side];
      out.points.insert(out.points.end(), in.points.begin(), in.points.end());
      std::move(in.done.begin(), in.done.end(), std::back_inserter(out.done));
      if (in.finished) {
        out.finished = true;
        out.summary = in.summary;
        out.wallS = in.wallS;
        out.tiers = std::move(in.tiers);
      }
    }
    finished = finished || m_data.finished();
    if (!b.error.isEmpty()) error = b.error;
  }
  redraw();
  if (!error.isEmpty() || finished) {
    m_running = false;
    m_runButton->setEnabled(true);
    m_stopButton->setEnabled(false);
  }
  if (!error.isEmpty()) {
    m_status->setText(tr("Could not simulate: %1").arg(error));
    Q_EMIT runFailed(error);
    Q_EMIT workFinished(false);
  } else if (finished) {
    Q_EMIT runFinished();
    Q_EMIT workFinished(true);
  }
}

void ServingPage::redraw() {
  m_ttft->setData(m_data);
  m_queue->setData(m_data);
  m_wait->setData(m_data);
  m_pool->setData(m_data);
  const ServingHeadlineText text = ServingHeadline::compose(m_data);
  headline()->setText(text.headline, text.detail);
  if (m_data.finished()) {
    const ServingConfig& c = m_data.config;
    m_status->setText(
        tr("%1 requests · pool %2 blocks × %3 tokens (%4) · eviction %5 · max batched %6 · max running %7 · "
           "speed %8 · cost model %9 on %10 · computed here in %11 s (measured)")
            .arg(m_data.requests)
            .arg(c.poolBlocks)
            .arg(c.blockSize)
            .arg(QString::fromStdString(
                formatBytes(std::uint64_t(c.poolBlocks) * c.blockSize * kvBytesPerToken(c.model))))
            .arg(QString::fromStdString(c.policy))
            .arg(c.maxBatchedTokens)
            .arg(c.maxRunning)
            .arg(c.speed, 0, 'g', 3)
            .arg(QString::fromStdString(c.model.name), QString::fromStdString(c.hardware.name))
            .arg(m_data.sides[0].wallS + m_data.sides[1].wallS, 0, 'f', 2));
    if (c.hostBlocks || c.remoteBlocks)
      m_status->setText(m_status->text() +
                        tr(" · tiers with prefix caching: host %1 blocks, remote %2 blocks (%3)")
                            .arg(c.hostBlocks)
                            .arg(c.remoteBlocks)
                            .arg(c.remoteWriteThrough ? tr("write-through") : tr("write-back")));
  }
}

QString ServingPage::summaryTableHtml() const {
  const ServingSummary& a = m_data.sides[0].summary;
  const ServingSummary& b = m_data.sides[1].summary;
  QString html = QStringLiteral(
      "<table border=1 cellspacing=0 cellpadding=3><tr><th></th><th>with prefix caching</th>"
      "<th>without</th></tr>");
  const auto rowOf = [&](const QString& name, const QString& x, const QString& y) {
    html += QStringLiteral("<tr><td><b>%1</b></td><td align=right>%2</td><td align=right>%3</td></tr>")
                .arg(name.toHtmlEscaped(), x.toHtmlEscaped(), y.toHtmlEscaped());
  };
  const auto ms = [](double v) { return ServingHeadline::duration(v); };
  rowOf(tr("Requests completed / rejected"), QStringLiteral("%1 / %2").arg(a.completed).arg(a.rejected),
        QStringLiteral("%1 / %2").arg(b.completed).arg(b.rejected));
  rowOf(tr("TTFT p50 / p90 / p99"), ms(a.ttftMsP50) + " / " + ms(a.ttftMsP90) + " / " + ms(a.ttftMsP99),
        ms(b.ttftMsP50) + " / " + ms(b.ttftMsP90) + " / " + ms(b.ttftMsP99));
  rowOf(tr("TPOT p50 / p90"),
        QStringLiteral("%1 / %2 ms").arg(a.tpotMsP50, 0, 'f', 1).arg(a.tpotMsP90, 0, 'f', 1),
        QStringLiteral("%1 / %2 ms").arg(b.tpotMsP50, 0, 'f', 1).arg(b.tpotMsP90, 0, 'f', 1));
  rowOf(tr("Mean latency"), ms(a.latencyMsMean), ms(b.latencyMsMean));
  rowOf(tr("Throughput (output tokens/s)"), QString::number(a.throughputTokensPerS, 'f', 0),
        QString::number(b.throughputTokensPerS, 'f', 0));
  rowOf(tr("Token hit rate"), QStringLiteral("%1 %").arg(100 * a.tokenHitRate, 0, 'f', 1),
        QStringLiteral("%1 %").arg(100 * b.tokenHitRate, 0, 'f', 1));
  rowOf(tr("Prompt tokens computed"), QString::number(m_data.sides[0].computedTokens()),
        QString::number(m_data.sides[1].computedTokens()));
  rowOf(tr("Preemptions / tokens they discarded"),
        QStringLiteral("%1 / %2").arg(a.preemptions).arg(a.recomputedTokens),
        QStringLiteral("%1 / %2").arg(b.preemptions).arg(b.recomputedTokens));
  rowOf(tr("Mean waiting requests"), QString::number(a.meanWaiting, 'f', 1),
        QString::number(b.meanWaiting, 'f', 1));
  rowOf(tr("Simulated duration"), ServingHeadline::span(a.simDurationS),
        ServingHeadline::span(b.simDurationS));
  return html + QStringLiteral("</table>");
}

void ServingPage::appendReport(ReportDocument& report) const {
  report.section(tr("Serving: with vs without prefix caching"), headline()->headline(), headline()->detail());
  report.html(QStringLiteral("<p>%1</p>").arg(m_status->text().toHtmlEscaped()) + summaryTableHtml() +
              tr("<p><small>Every time here comes from the serving simulator's cost model (docs/serving.md), "
                 "the same figures as <code>kvlab-cli simulate %1 --compare --speed %2</code>.</small></p>")
                  .arg(m_selection->source().toHtmlEscaped())
                  .arg(m_data.config.speed, 0, 'g', 3));
  for (const ChartPanel* chart : charts()) report.chart(*chart);
}

void ServingPage::exportRequestsCsv(const QString& path) const {
  // The columns of `kvlab-cli simulate --out`'s requests CSV for completed requests, one block per side.
  std::ostringstream out;
  CsvWriter csv(out);
  csv.row({"prefix_cache", "request", "arrival_s", "input_tokens", "output_tokens", "hit_tokens", "ttft_ms",
           "tpot_ms", "latency_ms", "preemptions", "recomputed_tokens", "recompute_hit_tokens"});
  for (std::size_t side = 0; side < 2; ++side)
    for (const ServingRequestResult& r : m_data.sides[side].done) {
      csv.field(side == 0 ? "on" : "off").field(r.index).field(r.arrivalS).field(r.inputTokens);
      csv.field(r.outputTokens).field(r.hitTokens).field(r.ttftMs());
      if (r.tpotMs() >= 0)
        csv.field(r.tpotMs());
      else
        csv.empty();
      csv.field(r.latencyMs()).field(r.preemptions).field(r.recomputedTokens).field(r.recomputeHitTokens);
      csv.endRow();
    }
  writeFileAtomically(path.toStdString(), out.str());
}

QStringList ServingPage::exportFiles(const QDir& dir) const {
  QStringList written;
  if (!hasResults()) return written;
  QDir().mkpath(dir.path());
  for (const ChartPanel* chart : charts()) written << chart->writeFiles(dir.path());
  written << dir.filePath(QStringLiteral("serving-requests.csv"));
  exportRequestsCsv(written.last());
  return written;
}

}  // namespace kvlab
