// SPDX-License-Identifier: MIT
#include "ui/tune_page.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>

#include "core/arch/model_config.h"
#include "core/arch/model_loader.h"
#include "core/arch/model_presets.h"
#include "core/hardware/hardware_profile.h"
#include "core/hardware/prefill_cost.h"
#include "core/policies/policy_registry.h"
#include "core/util/atomic_file.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "core/util/value_series.h"
#include "ui/headline_banner.h"
#include "ui/miss_ratio_chart.h"
#include "ui/model_picker.h"
#include "ui/prefill_savings_chart.h"
#include "ui/report_document.h"
#include "ui/source_picker.h"
#include "ui/source_requests.h"
#include "ui/source_selection.h"
#include "ui/trace_drop_filter.h"
#include "ui/ttl_heatmap_widget.h"
#include "ui/tune_headline.h"
#include "ui/tune_ranking_panel.h"
#include "ui/tune_report.h"

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

TunePage::TunePage(SourceSelection* selection, QWidget* parent)
    : PageWidget(QStringLiteral("tune"), parent),
      m_selection(selection ? selection : new SourceSelection(this)) {
  // A trace file or folder dropped on the page becomes the source of every page.
  connect(new TraceDropFilter(this), &TraceDropFilter::dropped, m_selection, &SourceSelection::openFile);
  m_model = new QComboBox;
  for (const ModelConfig& m : modelPresets()) m_model->addItem(qs(m.name));
  addOpenModelEntry(m_model, this);
  m_model->setToolTip(tr("Converts tokens to bytes of K/V and prices the prefill (cost model)"));
  m_hardware = new QComboBox;
  for (const std::string& h : hardwareProfileNames())
    if (h != "cpu-here") m_hardware->addItem(qs(h));  // cpu-here is measured: not for a spec-sheet estimate
  m_hardware->setCurrentText(qs(std::string(defaultHardwareProfileName())));
  m_hardware->setToolTip(tr("Cost-model hardware profile for the prefill time saved"));
  m_blockSize = new QSpinBox;
  m_blockSize->setRange(0, 1 << 20);
  m_blockSize->setSpecialValueText(tr("source's"));
  m_blockSize->setToolTip(tr("Tokens per block; source's: the trace's own (512 for Mooncake, the declared size "
                             "for the formats that declare one), the scenario's own"));
  m_sizes = new QLineEdit;
  m_sizes->setPlaceholderText(tr("auto: footprint/1024 … footprint, 16 sizes"));
  m_sizes->setToolTip(
      tr("Cache sizes in tokens: a list (100000,1000000) or a range FROM:TO:logN / linN; empty "
         "= 16 sizes on a log scale up to the source's footprint (distinct blocks)"));
  m_policies = new QLineEdit(QStringLiteral("all"));
  m_policies->setToolTip(tr("Curve policies: all (%1) or a comma-separated list").arg(qs(policyList(true))));
  m_heatPolicy = new QComboBox;
  for (const std::string& p : replayPolicyNames()) m_heatPolicy->addItem(qs(p));
  m_heatPolicy->setCurrentText(QStringLiteral("lru"));
  m_heatPolicy->setToolTip(tr("The policy of the size × TTL heatmap"));
  m_ttls = new QLineEdit(QStringLiteral("auto"));
  m_ttls->setToolTip(
      tr("Heatmap rows: idle TTLs (time since last use). auto: off and the 50th, 75th and 90th "
         "percentiles of the source's reuse times; or a list, e.g. off,30s,5m,1h"));
  m_sweepButton = new QPushButton(tr("Sweep"));
  m_sweepButton->setObjectName(QStringLiteral("tuneSweep"));
  m_sweepButton->setToolTip(tr("Replay every policy at every size (Ctrl+R)"));
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

  auto* controls = new QWidget;
  auto* grid = new QGridLayout(controls);
  grid->setContentsMargins(0, 0, 0, 0);
  const auto add = [&](int row, int col, const QString& label, QWidget* w) {
    grid->addWidget(new QLabel(label), row, col * 2);
    grid->addWidget(w, row, col * 2 + 1);
  };
  grid->addWidget(new QLabel(tr("Source")), 0, 0);
  grid->addWidget(new SourcePicker(m_selection), 0, 1, 1, 3);
  add(0, 2, tr("Model (bytes)"), m_model);
  add(0, 3, tr("Hardware (cost model)"), m_hardware);
  add(0, 4, tr("Block size"), m_blockSize);
  add(1, 0, tr("Sizes (tokens)"), m_sizes);
  add(1, 1, tr("Policies"), m_policies);
  add(1, 2, tr("Heatmap policy"), m_heatPolicy);
  add(1, 3, tr("Heatmap TTLs"), m_ttls);
  grid->setColumnStretch(1, 3);
  grid->setColumnStretch(3, 2);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_sweepButton);
  buttons->addWidget(m_cancelButton);
  buttons->addWidget(m_progress, 1);
  buttons->addWidget(m_exportButton);
  grid->addLayout(buttons, 2, 0, 1, 10);
  m_status = new QLabel;
  m_status->setObjectName(QStringLiteral("tuneStatus"));
  m_status->setWordWrap(true);
  m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
  grid->addWidget(m_status, 3, 0, 1, 10);

  m_curves = new MissRatioChart;
  m_curves->setObjectName(QStringLiteral("tuneMissRatioChart"));
  m_savings = new PrefillSavingsChart;
  m_savings->setObjectName(QStringLiteral("tuneSavingsChart"));
  m_heatmap = new TtlHeatmapWidget;
  m_heatmap->setObjectName(QStringLiteral("tuneHeatmap"));
  m_ranking = new TuneRankingPanel;
  connect(m_ranking, &TuneRankingPanel::sizeChosen, this, [this](quint64 tokens) {
    m_chosen = tokens;
    m_curves->setChosenSize(tokens);
    redraw();
  });
  connect(m_curves, &MissRatioChart::pointActivated, this,
          [this](const QString& policy, quint64 tokens) { openInLive(policy, 0, tokens); });
  connect(m_heatmap, &TtlHeatmapWidget::cellActivated, this, &TunePage::openInLive);

  auto* right = new QSplitter(Qt::Vertical);
  right->addWidget(m_ranking);
  right->addWidget(m_heatmap);
  right->setStretchFactor(0, 1);
  right->setStretchFactor(1, 1);
  auto* left = new QSplitter(Qt::Vertical);
  left->addWidget(m_curves);
  left->addWidget(m_savings);
  left->setStretchFactor(0, 3);
  left->setStretchFactor(1, 2);
  auto* area = new QSplitter(Qt::Horizontal);
  area->addWidget(left);
  area->addWidget(right);
  area->setStretchFactor(0, 1);
  area->setStretchFactor(1, 1);
  auto* empty =
      new QLabel(tr("<p>Choose a source above (a trace or a scenario) and press <b>Sweep</b>.</p>"
                    "<p>Every eviction policy is replayed on the source's requests at every cache size, "
                    "against the infinite-cache bound and the Belady reference; a heatmap adds TTLs "
                    "taken from how long the source's blocks wait between uses.</p>"));
  empty->setObjectName(QStringLiteral("tuneEmptyState"));
  empty->setWordWrap(true);
  empty->setAlignment(Qt::AlignCenter);
  empty->setMargin(40);
  m_stack = new QStackedWidget;
  m_stack->addWidget(empty);
  m_stack->addWidget(area);
  addSlide(m_curves, m_curves->title());
  addSlide(m_ranking, tr("Ranking at the chosen size"));
  addSlide(m_savings, m_savings->title());
  addSlide(m_heatmap, m_heatmap->title());
  setParts(controls, m_stack);

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

  connect(m_selection, &SourceSelection::sourceChanged, this, &TunePage::sourceChanged);
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

void TunePage::setSource(const QString& source) { m_selection->setSource(source); }
QString TunePage::source() const { return m_selection->source(); }
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

void TunePage::setTypeScale(const TypeScale& scale) {
  PageWidget::setTypeScale(scale);
  m_heatmap->setTypeScale(scale);
  const QFont body = scale.font(TextRole::Body, font());
  m_ranking->setTypeScale(scale);
  m_stack->widget(0)->setFont(scale.font(TextRole::HeadlineDetail, font()));
}

void TunePage::setPreferredBytes(Bytes bytes) { m_ranking->setPreferredBytes(bytes, m_results); }

void TunePage::setChosenSize(quint64 tokens) { m_ranking->setChosenSize(tokens); }

QTableWidget* TunePage::kneeTable() const { return m_ranking->table(); }

QComboBox* TunePage::sizeSelector() const { return m_ranking->selector(); }

void TunePage::sourceChanged() {
  // The model the Live view would use: llama-3-8b for a trace (its convention), the scenario's own.
  const QString src = source();
  QString model = QString::fromLatin1("llama-3-8b");
  if (!SourceSelection::isTrace(src)) {
    try {
      model = qs(loadSourceRequests(src.toStdString(), m_scenarioDir, 1).scenarioModel);
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
    job.prompts = m_selection->promptOptions();
    job.sizes = m_sizes->text().trimmed().toStdString();
    if (!job.sizes.empty() && job.sizes != "auto") {
      if (parseCountSeries(job.sizes, "sizes").empty()) throw InputError("", 0, "sizes", "no size given");
    } else {
      job.sizes.clear();
    }
    job.policies = parsePolicies(m_policies->text());
    job.heatmapPolicy = m_heatPolicy->currentText().toStdString();
    const QString ttls = m_ttls->text().trimmed();
    job.ttlsAuto = ttls.isEmpty() || ttls == QLatin1String("auto");
    if (!job.ttlsAuto) {
      std::vector<std::int64_t> parsed = parseDurationList(ttls.toStdString(), "heatmap TTLs");
      job.ttlsMs.assign(parsed.begin(), parsed.end());
    }
    if (job.ttlsMs.empty()) job.ttlsMs = {0};
    job.threads = m_threads;
  } catch (const std::exception& e) {
    const QString why = QString::fromUtf8(e.what());
    m_status->setText(tr("Cannot sweep: %1").arg(why));
    Q_EMIT sweepFailed(why);
    Q_EMIT workFinished(false);
    return false;
  }
  if (m_cancel) m_cancel->store(true);  // a running sweep stops at its next request
  m_cancel = job.cancel;
  const int runId = ++m_runId;
  m_results = TuneResults{};
  m_done = 0;
  m_total = 0;
  m_chosen = 0;
  m_ranking->clear();
  m_running = true;
  m_sweepButton->setEnabled(false);
  m_cancelButton->setEnabled(true);
  m_progress->setRange(0, 0);  // busy until the source is read
  m_status->setText(tr("Reading %1…").arg(SourceSelection::displayName(source())));
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
  bool started = false;
  for (TuneBatch& b : m_worker->take()) {
    if (b.runId != m_runId) continue;  // a superseded run
    if (b.started) {
      m_results.info = std::move(b.info);
      started = true;
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
  if (started) m_ranking->setSizes(m_results);
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
    Q_EMIT workFinished(false);
  } else if (finished) {
    Q_EMIT sweepFinished(m_results.cancelled);
    Q_EMIT workFinished(!m_results.cancelled);
  }
}

void TunePage::updateDisplayChoices() {
  m_results.model = currentModelSource(m_model).toStdString();
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
  m_stack->setCurrentIndex(m_results.empty() ? 0 : 1);
  m_curves->setResults(m_results);
  m_curves->setChosenSize(m_chosen);
  m_savings->setResults(m_results);
  m_heatmap->setResults(m_results);
  m_ranking->showResults(m_results);
  const TuneHeadlineText text = TuneHeadline::compose(m_results, m_chosen, m_running);
  headline()->setText(text.headline, text.detail);
  if (m_results.empty()) return;
  const TuneSourceInfo& i = m_results.info;
  // TTLs that expire nothing give identical heatmap rows: say why instead of leaving the reader to wonder.
  QString note;
  if (i.ttlsFromReuse)
    note = tr("TTLs from the source's reuse times: half of the reuses come within %1, 90 % within %2")
               .arg(qs(formatDurationMs(i.reuseMedianMs)), qs(formatDurationMs(i.reuseP90Ms)));
  else if (i.reuses > 0 && std::all_of(i.ttlsMs.begin(), i.ttlsMs.end(),
                                       [&](TimeMs t) { return t == 0 || t > i.reuseP90Ms * 10; }))
    note = tr("Every TTL is over 10× the source's 90th-percentile reuse time (%1): rows barely differ. Try "
              "auto.")
               .arg(qs(formatDurationMs(i.reuseP90Ms)));
  m_heatmap->setNote(note);
  const QString what =
      tr("%1: %2 requests, %3 prompt tokens, block size %4, footprint %5 tokens (%6 of K/V for %7)")
          .arg(i.format.empty() ? SourceSelection::displayName(qs(i.source))
                                : SourceSelection::displayName(qs(i.source)) + QStringLiteral(" (") +
                                      qs(i.format) + QLatin1Char(')'))
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
  writeFileAtomically(path.toStdString(), TuneReport::csv(m_results));
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
  return tr("<h2>Tuning</h2>") + TuneReport::summaryHtml(m_results) +
         tr("<p><b>Ranking at %1</b></p>").arg(TuneHeadline::sizeText(m_results, m_chosen).toHtmlEscaped()) +
         TuneReport::tableHtml(*m_ranking->table()) +
         tr("<p><small>Of the bound: the hit rate as a share of the infinite cache's (every reuse of a "
            "prefix "
            "hits). 90 % of bound at: the smallest swept size (tokens) where the policy reaches 90 % of it. "
            "Knees "
            "on the chart: the smallest size reaching 90 % of that policy's hit rate at the largest size "
            "swept. "
            "Belady (farthest next use) runs over the prefix tree (the leaf needed farthest ahead goes; a "
            "block needed later than everything cached is not cached): a reference, not a proven "
            "optimum.</small></p>");
}

void TunePage::appendReport(ReportDocument& report) const {
  report.section(tr("Tune: which policy, at which size"), headline()->headline(), headline()->detail());
  report.html(reportHtml());
  report.chart(*m_curves, 0.45);
  report.chart(*m_savings, 0.35);
  report.drawing([this](QPainter& painter,
                        const QRectF& target) { m_heatmap->paint(painter, target, TypeScale::exported()); },
                 0.4, m_heatmap->note().toHtmlEscaped());
}

}  // namespace kvlab
