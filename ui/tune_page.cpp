// SPDX-License-Identifier: MIT
#include "ui/tune_page.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <exception>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "core/arch/model_config.h"
#include "core/arch/model_loader.h"
#include "core/arch/model_presets.h"
#include "core/hardware/hardware_profile.h"
#include "core/hardware/prefill_cost.h"
#include "core/policies/policy_registry.h"
#include "core/runner/scenario_runner.h"
#include "core/util/atomic_file.h"
#include "core/util/csv_writer.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "core/util/value_series.h"
#include "core/workload/scenario.h"
#include "ui/miss_ratio_chart.h"
#include "ui/prefill_savings_chart.h"
#include "ui/trace_drop_filter.h"
#include "ui/trace_file_dialog.h"
#include "ui/ttl_heatmap_widget.h"

namespace kvlab {

namespace {

constexpr int kDrainMs = 40;  // coalesce redraws: at most ~25 a second
constexpr QSize kExportSize{1200, 750};

QString qs(const std::string& s) { return QString::fromStdString(s); }


void writeBytes(const QString& path, const QByteArray& bytes) {
  if (bytes.isEmpty()) throw std::runtime_error("nothing to write to " + path.toStdString());
  writeFileAtomically(path.toStdString(), bytes.toStdString());
}

std::vector<std::string> parsePolicies(const QString& text) {
  const QString t = text.trimmed();
  if (t.isEmpty() || t == QLatin1String("all")) return replayPolicyNames();
  std::vector<std::string> out;
  for (const QString& part : t.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    const std::string name = part.trimmed().toStdString();
    if (!findReplayPolicy(name)) throw InputError("", 0, "policies", unknownPolicyMessage(name, true));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

}  // namespace

TunePage::TunePage(QWidget* parent) : QWidget(parent) {
  m_source = new QComboBox;
  m_source->setEditable(true);
  m_source->setObjectName(QStringLiteral("tuneSource"));
  for (const std::string& n : bundledScenarioNames()) m_source->addItem(qs(n));
  m_source->setCurrentText(QStringLiteral("multi-turn-chat"));
  m_source->setToolTip(
      tr("A trace of any supported format (file, or folder: drop it here), a bundled scenario or a scenario "
         ".json (turned into its token-block stream: no model runs)"));
  auto* browse = new QPushButton(tr("Open trace…"));
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = askForTrace(this, tr("Open a trace or a scenario"), {}, /*withScenarios=*/true);
    if (!path.isEmpty()) setSource(path);
  });
  connect(new TraceDropFilter(this), &TraceDropFilter::dropped, this, &TunePage::setSource);
  m_model = new QComboBox;
  for (const ModelConfig& m : modelPresets()) m_model->addItem(qs(m.name));
  m_model->setToolTip(tr("Converts tokens to bytes of K/V and prices the prefill (cost model)"));
  m_hardware = new QComboBox;
  for (const std::string& h : hardwareProfileNames())
    if (h != "cpu-here") m_hardware->addItem(qs(h));  // cpu-here is measured: not for a spec-sheet estimate
  m_hardware->setCurrentText(qs(std::string(defaultHardwareProfileName())));
  m_hardware->setToolTip(tr("Cost-model hardware profile for the prefill time saved"));
  m_blockSize = new QSpinBox;
  m_blockSize->setRange(0, 1 << 20);
  m_blockSize->setSpecialValueText(tr("default"));
  m_blockSize->setToolTip(
      tr("Tokens per block; default: the trace's own (512 for Mooncake, the declared size for the formats "
         "that declare one), the scenario's own"));
  m_sizes = new QLineEdit;
  m_sizes->setPlaceholderText(tr("auto: footprint/256 … footprint, 12 sizes"));
  m_sizes->setToolTip(
      tr("Cache sizes in tokens: a list (100000,1000000) or a range FROM:TO:logN / linN; empty "
         "= 12 sizes on a log scale up to the source's footprint (distinct blocks)"));
  m_policies = new QLineEdit(QStringLiteral("all"));
  m_policies->setToolTip(tr("Curve policies: all (%1) or a comma-separated list").arg(qs(policyList(true))));
  m_heatPolicy = new QComboBox;
  for (const std::string& p : replayPolicyNames()) m_heatPolicy->addItem(qs(p));
  m_heatPolicy->setCurrentText(QStringLiteral("lru"));
  m_heatPolicy->setToolTip(tr("The policy of the size × TTL heatmap"));
  m_ttls = new QLineEdit(QStringLiteral("off,1m,5m,30m"));
  m_ttls->setToolTip(tr("Heatmap rows: idle TTLs (time since last use), e.g. off,30s,5m,1h"));
  m_sweepButton = new QPushButton(tr("Sweep"));
  m_sweepButton->setObjectName(QStringLiteral("tuneSweep"));
  m_cancelButton = new QPushButton(tr("Cancel"));
  m_cancelButton->setObjectName(QStringLiteral("tuneCancel"));
  m_cancelButton->setEnabled(false);
  m_exportButton = new QPushButton(tr("Export…"));
  m_exportButton->setEnabled(false);
  connect(m_sweepButton, &QPushButton::clicked, this, &TunePage::start);
  connect(m_cancelButton, &QPushButton::clicked, this, &TunePage::cancel);
  m_progress = new QProgressBar;
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_progress->setFormat(tr("%v of %m configurations"));

  auto* controls = new QGridLayout;
  const auto add = [&](int row, int col, const QString& label, QWidget* w) {
    controls->addWidget(new QLabel(label), row, col * 2);
    controls->addWidget(w, row, col * 2 + 1);
  };
  add(0, 0, tr("Source"), m_source);
  controls->addWidget(browse, 0, 2);
  add(0, 2, tr("Model (bytes)"), m_model);
  add(0, 3, tr("Hardware (cost model)"), m_hardware);
  add(0, 4, tr("Block size"), m_blockSize);
  add(1, 0, tr("Sizes (tokens)"), m_sizes);
  add(1, 2, tr("Policies"), m_policies);
  add(1, 3, tr("Heatmap policy"), m_heatPolicy);
  add(1, 4, tr("Heatmap TTLs"), m_ttls);
  controls->setColumnStretch(1, 3);
  controls->setColumnStretch(5, 1);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_sweepButton);
  buttons->addWidget(m_cancelButton);
  buttons->addWidget(m_progress, 1);
  buttons->addWidget(m_exportButton);

  m_status =
      new QLabel(tr("Sweep a trace or a scenario: every policy at every size, replayed on the real "
                    "request stream (hit rates are counted, not estimated)."));
  m_status->setWordWrap(true);
  m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

  m_curves = new MissRatioChart;
  m_curves->setObjectName(QStringLiteral("tuneMissRatioChart"));
  m_savings = new PrefillSavingsChart;
  m_savings->setObjectName(QStringLiteral("tuneSavingsChart"));
  m_heatmap = new TtlHeatmapWidget;
  m_heatmap->setObjectName(QStringLiteral("tuneHeatmap"));
  m_table = new QTableWidget(0, 6);
  m_table->setObjectName(QStringLiteral("tuneKnees"));
  m_table->setHorizontalHeaderLabels({tr("Policy"), tr("Knee (tokens)"), tr("Knee (bytes)"),
                                      tr("Hit rate at knee"), tr("Hit rate, largest size"),
                                      tr("Prefill saved, largest (cost model)")});
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->verticalHeader()->hide();
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  connect(m_curves, &MissRatioChart::pointActivated, this,
          [this](const QString& policy, quint64 tokens) { openInLive(policy, 0, tokens); });
  connect(m_heatmap, &TtlHeatmapWidget::cellActivated, this, &TunePage::openInLive);

  auto* right = new QSplitter(Qt::Vertical);
  right->addWidget(m_heatmap);
  right->addWidget(m_table);
  auto* left = new QSplitter(Qt::Vertical);
  left->addWidget(m_curves);
  left->addWidget(m_savings);
  left->setStretchFactor(0, 1);
  left->setStretchFactor(1, 1);
  right->setStretchFactor(0, 3);
  right->setStretchFactor(1, 2);
  auto* area = new QSplitter(Qt::Horizontal);
  area->addWidget(left);
  area->addWidget(right);
  area->setStretchFactor(0, 5);
  area->setStretchFactor(1, 4);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addLayout(buttons);
  layout->addWidget(m_status);
  layout->addWidget(area, 1);

  // Exports: a menu on the button and right-click on each chart, as on the Live page.
  auto* menu = new QMenu(this);
  const auto exportOne = [this](const QString& stem, const QString& format) {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export"), stem + QLatin1Char('.') + format,
                                     format.toUpper() + QStringLiteral(" (*.") + format + QLatin1Char(')'));
    if (path.isEmpty()) return;
    try {
      if (format == QLatin1String("csv"))
        exportCsv(path);
      else if (stem == m_heatmap->fileStem())
        writeBytes(path, format == QLatin1String("png") ? m_heatmap->toPng(kExportSize)
                                                        : m_heatmap->toSvg(kExportSize));
      else {
        const ChartPanel* chart =
            stem == m_curves->fileStem() ? static_cast<ChartPanel*>(m_curves) : m_savings;
        writeBytes(path,
                   format == QLatin1String("png") ? chart->toPng(kExportSize) : chart->toSvg(kExportSize));
      }
    } catch (const std::exception& e) {
      QMessageBox::warning(this, tr("Export"), QString::fromUtf8(e.what()));
    }
  };
  for (const auto& [stem, target] : {std::pair<QString, QWidget*>{m_curves->fileStem(), m_curves},
                                     std::pair<QString, QWidget*>{m_savings->fileStem(), m_savings},
                                     std::pair<QString, QWidget*>{m_heatmap->fileStem(), m_heatmap}}) {
    for (const QString& format : {QStringLiteral("png"), QStringLiteral("svg")}) {
      auto* action = new QAction(tr("%1 as %2…").arg(stem, format.toUpper()), target);
      connect(action, &QAction::triggered, this,
              [exportOne, stem = stem, format] { exportOne(stem, format); });
      menu->addAction(action);
      target->addAction(action);
    }
    target->setContextMenuPolicy(Qt::ActionsContextMenu);
  }
  menu->addAction(tr("Sweep table as CSV…"), this,
                  [exportOne] { exportOne(QStringLiteral("tune-sweep"), QStringLiteral("csv")); });
  m_exportButton->setMenu(menu);

  connect(m_source, &QComboBox::currentTextChanged, this, &TunePage::sourceChanged);
  connect(m_model, &QComboBox::currentTextChanged, this, &TunePage::updateDisplayChoices);
  connect(m_hardware, &QComboBox::currentTextChanged, this, &TunePage::updateDisplayChoices);
  sourceChanged();

  m_drainTimer = new QTimer(this);
  m_drainTimer->setSingleShot(true);
  m_drainTimer->setInterval(kDrainMs);
  connect(m_drainTimer, &QTimer::timeout, this, &TunePage::drain);
  m_thread = new QThread(this);
  m_thread->setObjectName(QStringLiteral("tune-worker"));
  m_worker = new TuneWorker;
  m_worker->moveToThread(m_thread);
  connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  connect(m_worker, &TuneWorker::dataAvailable, this, [this] {
    if (!m_drainTimer->isActive()) m_drainTimer->start();
  });
  m_thread->start();
  redraw();
}

TunePage::~TunePage() {
  if (m_cancel) m_cancel->store(true);  // the sweep stops at its next request
  m_thread->quit();
  m_thread->wait();
}

void TunePage::setSource(const QString& source) {
  if (m_source->findText(source) < 0) m_source->addItem(source);
  m_source->setCurrentText(source);
}
QString TunePage::source() const { return m_source->currentText().trimmed(); }
void TunePage::setSizes(const QString& series) { m_sizes->setText(series); }
void TunePage::setPolicies(const QString& list) { m_policies->setText(list); }
void TunePage::setHeatmapPolicy(const QString& policy) { m_heatPolicy->setCurrentText(policy); }
void TunePage::setTtls(const QString& list) { m_ttls->setText(list); }
void TunePage::setModel(const QString& preset) { m_model->setCurrentText(preset); }
void TunePage::setHardware(const QString& profile) { m_hardware->setCurrentText(profile); }
void TunePage::setBlockSize(int tokens) { m_blockSize->setValue(tokens); }
QString TunePage::statusText() const { return m_status->text(); }
void TunePage::setExplanationsVisible(bool visible) {
  m_curves->setExplanationVisible(visible);
  m_savings->setExplanationVisible(visible);
}

void TunePage::sourceChanged() {
  // The model the Live view would use: llama-3-8b for a trace (its convention), the scenario's own.
  const QString src = source();
  QString model = QString::fromLatin1("llama-3-8b");
  if (!isTraceSource(src)) {
    try {
      model =
          qs(loadScenarioFile(resolveScenario(src.toStdString(),
                                              m_scenarioDir.empty() ? defaultScenarioDir() : m_scenarioDir))
                 .model);
    } catch (const std::exception&) {
      return;  // not (yet) a readable scenario: keep the model; a sweep reports the error
    }
  }
  if (m_model->findText(model) >= 0) m_model->setCurrentText(model);
}

bool TunePage::start() {
  TuneJob job;
  try {
    job.source = source().toStdString();
    if (job.source.empty()) throw InputError("", 0, "source", "choose a trace or a scenario");
    job.scenarioDir = m_scenarioDir;
    job.blockSize = std::uint32_t(m_blockSize->value());
    job.sizes = m_sizes->text().trimmed().toStdString();
    if (!job.sizes.empty() && job.sizes != "auto") {
      if (parseCountSeries(job.sizes, "sizes").empty()) throw InputError("", 0, "sizes", "no size given");
    } else {
      job.sizes.clear();
    }
    job.policies = parsePolicies(m_policies->text());
    job.heatmapPolicy = m_heatPolicy->currentText().toStdString();
    std::vector<std::int64_t> ttls =
        parseDurationList(m_ttls->text().trimmed().toStdString(), "heatmap TTLs");
    job.ttlsMs.assign(ttls.begin(), ttls.end());
    if (job.ttlsMs.empty()) job.ttlsMs = {0};
    job.threads = m_threads;
  } catch (const std::exception& e) {
    const QString why = QString::fromUtf8(e.what());
    m_status->setText(tr("Cannot sweep: %1").arg(why));
    Q_EMIT sweepFailed(why);
    return false;
  }
  if (m_cancel) m_cancel->store(true);  // a running sweep stops at its next request
  m_cancel = job.cancel;
  const int runId = ++m_runId;
  m_results = TuneResults{};
  m_done = 0;
  m_total = 0;
  m_running = true;
  m_sweepButton->setEnabled(false);
  m_cancelButton->setEnabled(true);
  m_progress->setRange(0, 0);  // busy until the source is read
  m_status->setText(tr("Reading %1…").arg(source()));
  updateDisplayChoices();
  TuneWorker* worker = m_worker;
  QMetaObject::invokeMethod(
      worker, [worker, job, runId] { worker->run(job, runId); }, Qt::QueuedConnection);
  Q_EMIT sweepStarted();
  return true;
}

void TunePage::cancel() {
  if (!m_running) return;
  if (m_cancel) m_cancel->store(true);  // the worker finishes its batch with cancelled = true
  m_status->setText(tr("Cancelling…"));
  m_cancelButton->setEnabled(false);
}

void TunePage::setIdle() {
  m_running = false;
  m_sweepButton->setEnabled(true);
  m_cancelButton->setEnabled(false);
  m_exportButton->setEnabled(hasResults());
}

void TunePage::drain() {
  bool finished = false;
  QString error;
  bool added = false;
  for (TuneBatch& b : m_worker->take()) {
    if (b.runId != m_runId) continue;  // a superseded run
    if (b.started) {
      m_results.info = std::move(b.info);
    }
    added = added || !b.curves.empty() || !b.heatmap.empty();
    m_results.curves.insert(m_results.curves.end(), b.curves.begin(), b.curves.end());
    m_results.heatmap.insert(m_results.heatmap.end(), b.heatmap.begin(), b.heatmap.end());
    m_done = std::max(m_done, b.done);
    if (b.total) m_total = b.total;
    if (!b.error.isEmpty()) error = b.error;
    if (b.finished) {
      finished = true;
      m_results.finished = b.error.isEmpty() && !b.cancelled;
      m_results.cancelled = b.cancelled;
      m_results.elapsedS = b.elapsedS;
    }
  }
  if (finished) setIdle();
  updateDisplayChoices();  // also redraws, with the final status once finished
  if (m_total) {
    m_progress->setRange(0, int(m_total));
    m_progress->setValue(int(m_done));
  } else if (finished) {
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
  }
  if (added) Q_EMIT pointsAdded(int(m_done), int(m_total));
  if (!error.isEmpty()) {
    m_status->setText(tr("Could not sweep: %1").arg(error));
    Q_EMIT sweepFailed(error);
  } else if (finished) {
    Q_EMIT sweepFinished(m_results.cancelled);
  }
}

void TunePage::updateDisplayChoices() {
  m_results.model = m_model->currentText().toStdString();
  m_results.hardware = m_hardware->currentText().toStdString();
  // A preset, or a config.json / model directory; an unreadable one prices nothing (bytes per token 1).
  std::optional<ModelConfig> model;
  try {
    model = loadModel(m_results.model);
  } catch (const std::exception&) {
  }
  // The GiB axis: what a cached token costs for the model's architecture (windows and states excluded).
  m_results.bytesPerToken = model ? std::max<std::uint64_t>(kvBytesPerToken(*model), 1) : 1;
  const HardwareProfile* hw = findHardwareProfile(m_results.hardware);
  m_results.prefillSecondsPerToken =
      model && hw
          ? prefillSecondsPerToken(*model, *hw, std::uint32_t(std::max(1.0, m_results.info.meanPromptTokens)))
          : 0;
  redraw();
}

void TunePage::redraw() {
  m_curves->setResults(m_results);
  m_savings->setResults(m_results);
  m_heatmap->setResults(m_results);
  fillTable();
  if (m_results.empty()) return;
  const TuneSourceInfo& i = m_results.info;
  const QString what =
      tr("%1: %2 requests, %3 prompt tokens, block size %4, footprint %5 tokens (%6 of K/V for %7)")
          .arg(i.format.empty() ? qs(i.source) : qs(i.source) + QStringLiteral(" (") + qs(i.format) + QLatin1Char(')'))
          .arg(i.requests)
          .arg(i.promptTokens)
          .arg(i.blockSize)
          .arg(i.footprintTokens)
          .arg(qs(formatBytes(saturatingMul(i.footprintTokens, m_results.bytesPerToken))),
               qs(m_results.model));
  if (m_running)
    m_status->setText(tr("Sweeping: %1 of %2 configurations done · %3").arg(m_done).arg(m_total).arg(what));
  else
    m_status->setText(tr("%1 configurations %2 in %3 s (measured, this machine) · %4")
                          .arg(m_results.curves.size() + m_results.heatmap.size())
                          .arg(m_results.cancelled ? tr("finished before Cancel") : tr("swept"))
                          .arg(m_results.elapsedS, 0, 'f', 2)
                          .arg(what));
}

void TunePage::fillTable() {
  std::vector<SweepPoint> points = m_results.curves;
  TraceSweep::markKnees(points);
  const TuneSourceInfo& info = m_results.info;
  m_table->setRowCount(0);
  const QString hw = qs(m_results.hardware);
  const auto saved = [&](std::uint64_t hits) {
    return tr("%1 s%2 (cost model, %3)")
        .arg(TuneResults::secondsText(m_results.savedSeconds(hits)))
        .arg(m_results.perHour() ? tr("/h") : QString(), hw);
  };
  const auto addRow = [&](const QStringList& cells) {
    const int r = m_table->rowCount();
    m_table->insertRow(r);
    for (int c = 0; c < cells.size(); ++c) m_table->setItem(r, c, new QTableWidgetItem(cells[c]));
  };
  for (const std::string& policy : info.policies) {
    const SweepPoint* knee = nullptr;
    const SweepPoint* largest = nullptr;
    std::size_t count = 0;
    for (const SweepPoint& p : points)
      if (p.config.policy == policy) {
        ++count;
        if (p.knee) knee = &p;
        if (!largest || p.config.maxTokens > largest->config.maxTokens) largest = &p;
      }
    if (count != info.sizes.size() || !largest) continue;  // knees only for complete curves
    addRow(
        {qs(policyLabel(policy)), knee ? QString::number(knee->config.maxTokens) : tr("none"),
         knee ? qs(formatBytes(saturatingMul(knee->config.maxTokens, m_results.bytesPerToken))) : QString(),
         knee ? QStringLiteral("%1%").arg(100 * knee->result.tokenHitRate(), 0, 'f', 1) : QString(),
         QStringLiteral("%1%").arg(100 * largest->result.tokenHitRate(), 0, 'f', 1),
         saved(largest->result.hitTokens)});
  }
  if (!m_results.empty() && !points.empty())
    addRow({tr("infinite cache (bound)"), QString::number(info.footprintTokens),
            qs(formatBytes(saturatingMul(info.footprintTokens, m_results.bytesPerToken))), QString(),
            QStringLiteral("%1%").arg(100 * info.unlimited.tokenHitRate(), 0, 'f', 1),
            saved(info.unlimited.hitTokens)});
}

void TunePage::openInLive(const QString& policy, qint64 ttlMs, quint64 maxTokens) {
  if (m_results.empty()) return;
  const std::string name = policy.toStdString();
  if (const PolicyInfo* p = findReplayPolicy(name); !p || p->needsWholeTrace) {
    m_status->setText(
        tr("%1 needs the whole trace in advance: the Live view cannot run it. Pick another curve's "
           "point at this size.")
            .arg(qs(policyLabel(name))));
    return;
  }
  RunSettings s;
  s.scenario = m_results.info.source;
  s.scenarioDir = m_scenarioDir;
  s.granularity = Granularity::Block;
  s.blockSize = m_results.info.blockSize;
  s.policy = name;
  s.maxBytes = saturatingMul(maxTokens, std::max<std::uint64_t>(m_results.bytesPerToken, 1));
  s.ttlMs = ttlMs;
  s.ttlMode = TtlMode::Idle;
  s.model = m_results.model;
  Q_EMIT openInLiveRequested(s);
}

void TunePage::exportCsv(const QString& path) const {
  std::ostringstream out;
  CsvWriter csv(out);
  const std::string saved =
      std::string(m_results.perHour() ? "prefill_s_saved_per_hour" : "prefill_s_saved") + "_cost_model_" +
      m_results.hardware;
  csv.row({"source", "policy", "label", "block_size", "ttl_ms", "max_tokens", "max_bytes", "model",
           "prompt_tokens", "hit_tokens", "token_hit_rate", "blocks", "hit_blocks", "block_hit_rate",
           "evictions", "knee", saved});
  std::vector<SweepPoint> points = m_results.curves;
  TraceSweep::markKnees(points);
  points.insert(points.end(), m_results.heatmap.begin(), m_results.heatmap.end());
  // Rows in display order (points arrive in finish order): TTL, then policy as listed, then size.
  const std::vector<std::string>& order = m_results.info.policies;
  const auto rank = [&](const std::string& p) {
    return std::find(order.begin(), order.end(), p) - order.begin();
  };
  std::stable_sort(points.begin(), points.end(), [&](const SweepPoint& a, const SweepPoint& b) {
    return std::tuple(a.config.ttlMs, rank(a.config.policy), a.config.maxTokens) <
           std::tuple(b.config.ttlMs, rank(b.config.policy), b.config.maxTokens);
  });
  const auto write = [&](const std::string& policy, const std::string& label, std::int64_t ttl,
                         const std::string& tokens, const std::string& bytes, const ReplayResult& r,
                         bool evictionsCounted, bool knee) {
    csv.field(m_results.info.source).field(policy).field(label).field(m_results.info.blockSize).field(ttl);
    csv.field(tokens).field(bytes).field(m_results.model).field(r.promptTokens).field(r.hitTokens);
    csv.field(r.tokenHitRate()).field(r.blocks).field(r.hitBlocks).field(r.blockHitRate());
    if (evictionsCounted)
      csv.field(r.evictions);
    else
      csv.empty();
    csv.field(knee ? 1 : 0).field(m_results.savedSeconds(r.hitTokens));
    csv.endRow();
  };
  for (const SweepPoint& p : points)
    write(p.config.policy, policyLabel(p.config.policy), p.config.ttlMs, std::to_string(p.config.maxTokens),
          std::to_string(saturatingMul(p.config.maxTokens, m_results.bytesPerToken)), p.result,
          p.evictionsCounted, p.knee);
  if (!m_results.empty())
    write("infinite", "infinite cache (every reuse hits)", 0, "unlimited", "unlimited",
          m_results.info.unlimited, true, false);
  writeFileAtomically(path.toStdString(), out.str());
}

QStringList TunePage::exportAll(const QString& dir) const {
  QStringList written;
  if (!hasResults()) return written;
  QDir().mkpath(dir);
  const QDir d(dir);
  for (const ChartPanel* chart :
       {static_cast<const ChartPanel*>(m_curves), static_cast<const ChartPanel*>(m_savings)}) {
    written << d.filePath(chart->fileStem() + QStringLiteral(".png"));
    writeBytes(written.last(), chart->toPng(kExportSize));
    written << d.filePath(chart->fileStem() + QStringLiteral(".svg"));
    writeBytes(written.last(), chart->toSvg(kExportSize));
  }
  written << d.filePath(m_heatmap->fileStem() + QStringLiteral(".png"));
  writeBytes(written.last(), m_heatmap->toPng(kExportSize));
  written << d.filePath(m_heatmap->fileStem() + QStringLiteral(".svg"));
  writeBytes(written.last(), m_heatmap->toSvg(kExportSize));
  written << d.filePath(QStringLiteral("tune-sweep.csv"));
  exportCsv(written.last());
  return written;
}

QString TunePage::reportHtml() const {
  if (!hasResults()) return {};
  const TuneSourceInfo& i = m_results.info;
  QString html =
      tr("<h2>Tuning</h2><p>Sweep of %1 (%2 requests, block size %3 tokens): %4 sizes from %5 to %6 "
         "tokens × %7 policies, heatmap of %8 × %9 TTLs; %10 configurations in %11 s (measured)%12. "
         "Hit rates are counted by replaying the source; bytes are K/V of %13; prefill time saved comes "
         "from the cost model (%14).</p>")
          .arg(qs(i.source).toHtmlEscaped())
          .arg(i.requests)
          .arg(i.blockSize)
          .arg(i.sizes.size())
          .arg(i.sizes.empty() ? 0 : i.sizes.front())
          .arg(i.sizes.empty() ? 0 : i.sizes.back())
          .arg(i.policies.size())
          .arg(qs(policyLabel(i.heatmapPolicy)).toHtmlEscaped())
          .arg(i.ttlsMs.size())
          .arg(m_results.curves.size() + m_results.heatmap.size())
          .arg(m_results.elapsedS, 0, 'f', 2)
          .arg(m_results.cancelled ? tr(", cancelled before the end") : QString())
          .arg(qs(m_results.model).toHtmlEscaped(), tr("cost model, %1").arg(qs(m_results.hardware)));
  html += QStringLiteral("<table border=1 cellspacing=0 cellpadding=3><tr>");
  for (int c = 0; c < m_table->columnCount(); ++c)
    html += QStringLiteral("<th>%1</th>").arg(m_table->horizontalHeaderItem(c)->text().toHtmlEscaped());
  html += QStringLiteral("</tr>");
  for (int r = 0; r < m_table->rowCount(); ++r) {
    html += QStringLiteral("<tr>");
    for (int c = 0; c < m_table->columnCount(); ++c)
      html += QStringLiteral("<td>%1</td>")
                  .arg(m_table->item(r, c) ? m_table->item(r, c)->text().toHtmlEscaped() : QString());
    html += QStringLiteral("</tr>");
  }
  html += tr(
      "</table><p><small>Knee: the smallest size reaching 90% of that policy's hit rate at the largest size "
      "swept. Belady (farthest next use) is a reference, not a proven optimum under prefix "
      "chains.</small></p>");
  return html;
}

}  // namespace kvlab
