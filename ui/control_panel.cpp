// SPDX-License-Identifier: MIT
#include "ui/control_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/hardware/hardware_profile.h"
#include "core/model/compute_info.h"
#include "core/policies/policy_registry.h"
#include "core/runner/scenario_runner.h"
#include "core/trace/trace_format.h"
#include "core/util/units.h"
#include "core/workload/scenario.h"
#include "ui/model_picker.h"
#include "ui/source_selection.h"
#include "ui/tokenizer_picker.h"
#include "ui/source_selection.h"
#include "ui/tier_controls.h"
#include "ui/trace_drop_filter.h"
#include "ui/trace_file_dialog.h"

namespace kvlab {

namespace {
constexpr double kMinSizeLog2 = 20;  // 1 MiB
constexpr double kMaxSizeLog2 = 36;  // 64 GiB
constexpr double kMinTtlMs = 100;
constexpr double kMaxTtlMs = 2 * 3600 * 1000;

QString qs(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

Bytes ControlPanel::sliderToBytes(int position) {
  const double log2 = kMinSizeLog2 + (kMaxSizeLog2 - kMinSizeLog2) * double(position) / kSizeSteps;
  const double bytes = std::exp2(log2);
  return Bytes(std::llround(bytes / 1024.0)) * 1024;  // whole KiB
}

int ControlPanel::bytesToSlider(Bytes bytes) {
  const double log2 = std::log2(std::max<double>(1, double(bytes)));
  const double t = (log2 - kMinSizeLog2) / (kMaxSizeLog2 - kMinSizeLog2);
  return std::clamp(int(std::lround(t * kSizeSteps)), 0, kSizeSteps);
}

TimeMs ControlPanel::sliderToTtl(int position) {
  if (position <= 0) return 0;
  const double t = double(position - 1) / double(kTtlSteps - 1);
  return TimeMs(std::llround(kMinTtlMs * std::pow(kMaxTtlMs / kMinTtlMs, t)));
}

int ControlPanel::ttlToSlider(TimeMs ttlMs) {
  if (ttlMs <= 0) return 0;
  const double t = std::log(std::max(kMinTtlMs, double(ttlMs)) / kMinTtlMs) / std::log(kMaxTtlMs / kMinTtlMs);
  return std::clamp(1 + int(std::lround(t * (kTtlSteps - 1))), 1, kTtlSteps);
}

ControlPanel::ControlPanel(RunController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller) {
  // Scenario
  m_scenario = new QComboBox(this);
  m_scenario->setObjectName(QStringLiteral("scenarioCombo"));
  m_scenario->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_scenario->setMinimumContentsLength(14);
  const std::string dir = defaultScenarioDir();
  for (const std::string& name : bundledScenarioNames()) {
    QString title = qs(name);
    try {
      title = qs(loadScenarioFile(resolveScenario(name, dir)).title);
    } catch (const std::exception&) {
    }
    m_scenario->addItem(title, qs(name));
  }
  auto* open = new QToolButton(this);
  open->setText(tr("Open…"));
  open->setToolTip(tr("Run a scenario .json file or replay a trace of any supported format (Ctrl+O; or drop "
                      "a trace file or folder on this panel)"));
  connect(open, &QToolButton::clicked, this, &ControlPanel::openScenarioFile);
  connect(new TraceDropFilter(this), &TraceDropFilter::dropped, this, &ControlPanel::openPath);
  m_description = new QLabel(this);
  m_description->setWordWrap(true);
  m_description->setObjectName(QStringLiteral("scenarioDescription"));
  QFont small = m_description->font();
  if (small.pointSizeF() > 0)
    small.setPointSizeF(small.pointSizeF() * 0.92);
  else
    small.setPixelSize(std::max(8, int(small.pixelSize() * 0.92)));
  m_description->setFont(small);

  // Next run
  m_model = new QComboBox(this);
  m_model->setObjectName(QStringLiteral("modelCombo"));
  m_model->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_model->setMinimumContentsLength(14);
  for (const ModelConfig& preset : modelPresets()) {
    const QString text =
        preset.computable ? qs(preset.name) : tr("%1 (trace replay only)").arg(qs(preset.name));
    m_model->addItem(text, qs(preset.name));
    m_model->setItemData(m_model->count() - 1,
                         tr("%1 layers, %2 K/V heads × %3, %4 of K/V per token")
                             .arg(preset.layers)
                             .arg(preset.kvHeads)
                             .arg(preset.headDim)
                             .arg(qs(formatBytes(kvBytesPerToken(preset)))),
                         Qt::ToolTipRole);
  }
  addOpenModelEntry(m_model, this);
  m_granularity = new QComboBox(this);
  m_granularity->setObjectName(QStringLiteral("granularityCombo"));
  for (const std::string& name : granularityNames()) m_granularity->addItem(qs(name), qs(name));
  m_granularity->setToolTip(
      tr("prompt: whole prompts per layer · block: fixed-size token blocks · radix: a token "
         "tree sharing every common prefix"));
  m_blockSize = new QSpinBox(this);
  m_blockSize->setObjectName(QStringLiteral("blockSizeSpin"));
  m_blockSize->setRange(1, 65536);
  m_blockSize->setSuffix(tr(" tokens"));
  m_device = new QComboBox(this);
  m_device->setObjectName(QStringLiteral("deviceCombo"));
  m_device->addItem(QStringLiteral("cpu"), QStringLiteral("cpu"));
  m_device->addItem(QStringLiteral("cuda"), QStringLiteral("cuda"));
  if (!cudaAvailable()) {
    if (auto* items = qobject_cast<QStandardItemModel*>(m_device->model())) {
      items->item(1)->setEnabled(false);
      items->item(1)->setToolTip(
          tr("No CUDA device: this LibTorch build or this machine has no usable GPU."));
    }
    m_device->setToolTip(
        tr("cuda is disabled: no CUDA device is available to LibTorch %1.").arg(qs(torchVersion())));
  }
  m_seed = new QSpinBox(this);
  m_seed->setObjectName(QStringLiteral("seedSpin"));
  m_seed->setRange(-1, std::numeric_limits<int>::max());
  m_seed->setSpecialValueText(tr("scenario's"));
  m_seed->setValue(-1);
  m_baseline = new QCheckBox(tr("Also run uncached (speedup)"), this);
  m_baseline->setChecked(true);
  m_baseline->setToolTip(tr("Serve every request a second time without the cache to measure the speedup."));

  // Live
  m_policy = new QComboBox(this);
  m_policy->setObjectName(QStringLiteral("policyCombo"));
  for (const PolicyInfo& policy : policyRegistry()) {
    m_policy->addItem(qs(policy.name), qs(policy.name));
    m_policy->setItemData(m_policy->count() - 1, qs(policy.description), Qt::ToolTipRole);
  }
  m_maxSize = new QSlider(Qt::Horizontal, this);
  m_maxSize->setObjectName(QStringLiteral("maxSizeSlider"));
  m_maxSize->setRange(0, kSizeSteps);
  m_maxSize->setPageStep(kSizeSteps / 16);  // one page = a factor of 2
  m_maxSize->setToolTip(
      tr("Cache max size, log scale 1 MiB … 64 GiB. Lowering it during a run evicts at once."));
  m_maxSizeLabel = new QLabel(this);
  m_maxSizeLabel->setObjectName(QStringLiteral("maxSizeLabel"));
  m_maxSizeLabel->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("1023.99 MiB")));
  m_ttl = new QSlider(Qt::Horizontal, this);
  m_ttl->setObjectName(QStringLiteral("ttlSlider"));
  m_ttl->setRange(0, kTtlSteps);
  m_ttl->setPageStep(kTtlSteps / 10);
  m_ttl->setToolTip(
      tr("Time to live on the scenario's clock, log scale 100 ms … 2 h; far left = off. Entries "
         "unused for longer expire."));
  m_ttlLabel = new QLabel(this);
  m_ttlLabel->setObjectName(QStringLiteral("ttlLabel"));
  m_ttlLabel->setMinimumWidth(m_maxSizeLabel->minimumWidth());
  m_ttlMode = new QComboBox(this);
  m_ttlMode->setObjectName(QStringLiteral("ttlModeCombo"));
  m_ttlMode->addItem(tr("idle time"), int(TtlMode::Idle));
  m_ttlMode->addItem(tr("age"), int(TtlMode::Age));
  m_ttlMode->setToolTip(
      tr("What the TTL measures. idle: time since the entry was last used (every hit refreshes it). age: "
         "time since it was stored (hits do not refresh it). Applies from the next run."));
  m_pinned = new QSlider(Qt::Horizontal, this);
  m_pinned->setObjectName(QStringLiteral("pinnedSlider"));
  m_pinned->setRange(0, kSizeSteps);
  m_pinned->setPageStep(kSizeSteps / 16);
  m_pinned->setToolTip(
      tr("Pinned budget, far left = off. Within it, each request's first segment (the system prompt) is "
         "pinned: never evicted, never expired; pinned bytes count inside the max size. Right-click the "
         "request view to pin a whole request's prefix."));
  m_pinnedLabel = new QLabel(this);
  m_pinnedLabel->setObjectName(QStringLiteral("pinnedLabel"));
  m_pinnedLabel->setMinimumWidth(m_maxSizeLabel->minimumWidth());
  m_hardware = new QComboBox(this);
  m_hardware->setObjectName(QStringLiteral("hardwareCombo"));
  for (const HardwareProfile& hw : hardwareProfiles()) {
    m_hardware->addItem(qs(hw.name), qs(hw.name));
    m_hardware->setItemData(m_hardware->count() - 1,
                            tr("%1: %2 TFLOP/s dense BF16, %3 TB/s peak (spec sheet)")
                                .arg(qs(hw.description))
                                .arg(hw.peakFlops / 1e12, 0, 'f', 0)
                                .arg(hw.memoryBandwidth / 1e12, 0, 'f', 2),
                            Qt::ToolTipRole);
  }
  setCombo(m_hardware, qs(std::string(defaultHardwareProfileName())));

  // Buttons
  m_run = new QPushButton(QIcon::fromTheme(QStringLiteral("media-playback-start")), tr("Run"), this);
  m_run->setObjectName(QStringLiteral("runButton"));
  m_run->setToolTip(tr("Start a run with these settings (Ctrl+R)"));
  m_pause = new QPushButton(tr("Pause"), this);
  m_pause->setObjectName(QStringLiteral("pauseButton"));
  m_pause->setToolTip(tr("Pause between requests; the sliders still act on the cache (Space)"));
  m_step = new QPushButton(tr("Step"), this);
  m_step->setObjectName(QStringLiteral("stepButton"));
  m_step->setToolTip(tr("Serve one more request, then pause (F10)"));
  m_stop = new QPushButton(tr("Stop"), this);
  m_stop->setObjectName(QStringLiteral("stopButton"));
  m_stop->setToolTip(tr("Cancel the run (Ctrl+.)"));
  m_reset = new QPushButton(tr("Reset"), this);
  m_reset->setObjectName(QStringLiteral("resetButton"));
  m_reset->setToolTip(tr("Stop, clear every chart and restore the scenario's settings"));

  auto* scenarioBox = new QGroupBox(tr("Scenario"), this);
  auto* scenarioRow = new QHBoxLayout;
  scenarioRow->addWidget(m_scenario, 1);
  scenarioRow->addWidget(open);
  auto* scenarioLayout = new QVBoxLayout(scenarioBox);
  scenarioLayout->addLayout(scenarioRow);
  scenarioLayout->addWidget(m_description);

  auto* nextBox = new QGroupBox(tr("Model and cache layout (next run)"), this);
  auto* nextForm = new QFormLayout(nextBox);
  m_nextForm = nextForm;
  nextForm->addRow(tr("Model"), m_model);
  nextForm->addRow(tr("Granularity"), m_granularity);
  m_blockSizeLabel = new QLabel(tr("Block size"), this);
  nextForm->addRow(m_blockSizeLabel, m_blockSize);
  nextForm->addRow(tr("Device"), m_device);
  nextForm->addRow(tr("Seed"), m_seed);
  nextForm->addRow(tr("TTL measures"), m_ttlMode);
  nextForm->addRow(tr("Cost model"), m_hardware);
  nextForm->addRow(m_baseline);

  auto* liveBox = new QGroupBox(tr("Eviction (live: applies at once)"), this);
  auto* liveGrid = new QGridLayout(liveBox);
  liveGrid->addWidget(new QLabel(tr("Policy"), this), 0, 0);
  liveGrid->addWidget(m_policy, 0, 1, 1, 2);
  liveGrid->addWidget(new QLabel(tr("Max size"), this), 1, 0);
  liveGrid->addWidget(m_maxSize, 1, 1);
  liveGrid->addWidget(m_maxSizeLabel, 1, 2);
  liveGrid->addWidget(new QLabel(tr("TTL"), this), 2, 0);
  liveGrid->addWidget(m_ttl, 2, 1);
  liveGrid->addWidget(m_ttlLabel, 2, 2);
  liveGrid->addWidget(new QLabel(tr("Pinned"), this), 3, 0);
  liveGrid->addWidget(m_pinned, 3, 1);
  liveGrid->addWidget(m_pinnedLabel, 3, 2);
  liveGrid->setColumnStretch(1, 1);

  m_tiers = new TierControls(this);
  m_tiers->setObjectName(QStringLiteral("tierControls"));

  auto* buttons = new QGridLayout;
  buttons->addWidget(m_run, 0, 0);
  buttons->addWidget(m_pause, 0, 1);
  buttons->addWidget(m_step, 0, 2);
  buttons->addWidget(m_stop, 1, 0);
  buttons->addWidget(m_reset, 1, 1);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(scenarioBox);
  layout->addWidget(nextBox);
  layout->addWidget(liveBox);
  layout->addWidget(m_tiers);
  layout->addLayout(buttons);
  layout->addStretch(1);

  connect(m_scenario, &QComboBox::currentIndexChanged, this, &ControlPanel::loadScenarioDefaults);
  connect(m_granularity, &QComboBox::currentIndexChanged, this, &ControlPanel::updateTraceWidgets);
  connect(m_maxSize, &QSlider::valueChanged, this, [this] {
    if (!m_applyingExact) m_exactMaxBytes.reset();  // moved by the user: the slider's value from now on
    updateLabels();
    if (!m_maxSize->isSliderDown()) onMaxSizeMoved();
  });
  connect(m_maxSize, &QSlider::sliderReleased, this, &ControlPanel::onMaxSizeMoved);
  connect(m_ttl, &QSlider::valueChanged, this, [this] {
    if (!m_applyingExact) m_exactTtlMs.reset();
    updateLabels();
    if (!m_ttl->isSliderDown()) onTtlMoved();
  });
  connect(m_ttl, &QSlider::sliderReleased, this, &ControlPanel::onTtlMoved);
  connect(m_pinned, &QSlider::valueChanged, this, [this] {
    updateLabels();
    if (!m_pinned->isSliderDown()) onPinnedMoved();
  });
  connect(m_pinned, &QSlider::sliderReleased, this, &ControlPanel::onPinnedMoved);
  connect(m_policy, &QComboBox::currentIndexChanged, this, &ControlPanel::onPolicyChanged);
  connect(m_run, &QPushButton::clicked, this, &ControlPanel::run);
  connect(m_pause, &QPushButton::clicked, this, &ControlPanel::togglePause);
  connect(m_step, &QPushButton::clicked, this, &ControlPanel::step);
  connect(m_stop, &QPushButton::clicked, this, &ControlPanel::stop);
  connect(m_reset, &QPushButton::clicked, this, &ControlPanel::reset);
  connect(controller, &RunController::stateChanged, this, &ControlPanel::onStateChanged);

  loadScenarioDefaults();
  onStateChanged(controller->state());
}

void ControlPanel::attachSourceSelection(SourceSelection* selection) {
  m_selection = selection;
  auto* picker = new TokenizerPicker(selection, this);
  picker->setObjectName(QStringLiteral("liveTokenizer"));
  picker->setTemplateVisible(false);
  m_nextForm->insertRow(1, tr("Tokenizer"), picker);
}

RunSettings ControlPanel::settings() const {
  RunSettings s;
  s.scenario = m_scenario->currentData().toString().toStdString();
  s.device = m_device->currentData().toString().toStdString();
  s.granularity = parseGranularity(m_granularity->currentData().toString().toStdString());
  s.blockSize = std::uint32_t(m_blockSize->value());
  s.policy = m_policy->currentData().toString().toStdString();
  s.maxBytes = currentMaxBytes();
  s.ttlMs = currentTtlMs();
  s.ttlMode = TtlMode(m_ttlMode->currentData().toInt());
  s.pinnedBudgetBytes = sliderToPinned(m_pinned->value());
  s.hardware = m_hardware->currentData().toString().toStdString();
  s.model = m_model->currentData().toString().toStdString();
  if (m_seed->value() >= 0) s.seed = std::uint64_t(m_seed->value());
  s.baseline = m_baseline->isChecked();
  if (m_selection) {
    s.tokenizerPath = m_selection->tokenizerPath().toStdString();
    s.chatTemplate = m_selection->chatTemplate().toStdString();
  }
  m_tiers->fillSettings(s);
  return s;
}

void ControlPanel::setCombo(QComboBox* combo, const QString& value) {
  const int index = combo->findData(value);
  if (index >= 0) combo->setCurrentIndex(index);
}

void ControlPanel::applySettings(const RunSettings& s) {
  const QString scenario = qs(s.scenario);
  if (!scenario.isEmpty()) {
    if (m_scenario->findData(scenario) < 0) addScenarioPath(scenario);
    setCombo(m_scenario, scenario);
    loadScenarioDefaults();
  }
  if (s.granularity) setCombo(m_granularity, qs(std::string(toString(*s.granularity))));
  if (s.blockSize) m_blockSize->setValue(int(*s.blockSize));
  if (s.policy) setCombo(m_policy, qs(*s.policy));
  if (s.maxBytes) setMaxBytesExact(*s.maxBytes);
  if (s.ttlMs) setTtlExact(*s.ttlMs);
  if (s.ttlMode) m_ttlMode->setCurrentIndex(m_ttlMode->findData(int(*s.ttlMode)));
  m_pinned->setValue(s.pinnedBudgetBytes > 0 ? bytesToSlider(s.pinnedBudgetBytes) : 0);
  if (!s.hardware.empty()) setCombo(m_hardware, qs(s.hardware));
  if (s.model) {
    // A config.json or model directory (the command line's --model): offered beside the presets.
    if (m_model->findData(qs(*s.model)) < 0) addModelSource(m_model, qs(*s.model), nullptr);
    setCombo(m_model, qs(*s.model));
  }
  setCombo(m_device, qs(s.device == "auto" ? (cudaAvailable() ? "cuda" : "cpu") : s.device));
  m_seed->setValue(s.seed ? int(std::min<std::uint64_t>(*s.seed, std::uint64_t(m_seed->maximum()))) : -1);
  m_baseline->setChecked(s.baseline);
  if (m_selection && !s.tokenizerPath.empty())
    m_selection->setTokenizer(qs(s.tokenizerPath), qs(s.chatTemplate));
  m_tiers->applySettings(s);
  updateLabels();
}

void ControlPanel::saveSettings(QSettings& store) const {
  const RunSettings s = settings();
  store.beginGroup(QStringLiteral("run"));
  store.setValue(QStringLiteral("scenario"), qs(s.scenario));
  store.setValue(QStringLiteral("device"), qs(s.device));
  store.setValue(QStringLiteral("granularity"), qs(std::string(toString(*s.granularity))));
  store.setValue(QStringLiteral("blockSize"), *s.blockSize);
  store.setValue(QStringLiteral("policy"), qs(*s.policy));
  store.setValue(QStringLiteral("maxBytes"), QVariant::fromValue<qulonglong>(*s.maxBytes));
  store.setValue(QStringLiteral("ttlMs"), QVariant::fromValue<qlonglong>(*s.ttlMs));
  store.setValue(QStringLiteral("ttlMode"), int(*s.ttlMode));
  store.setValue(QStringLiteral("pinnedBudget"), QVariant::fromValue<qulonglong>(s.pinnedBudgetBytes));
  store.setValue(QStringLiteral("hardware"), qs(s.hardware));
  store.setValue(QStringLiteral("model"), qs(*s.model));
  store.setValue(QStringLiteral("seed"), m_seed->value());
  store.setValue(QStringLiteral("baseline"), s.baseline);
  store.setValue(QStringLiteral("tokenizer"), qs(s.tokenizerPath));  // a path on this machine, no secret
  store.setValue(QStringLiteral("chatTemplate"), qs(s.chatTemplate));
  m_tiers->saveSettings(store);
  store.endGroup();
}

void ControlPanel::restoreSettings(const QSettings& store) {
  const QString g = QStringLiteral("run/");
  if (!store.contains(g + QStringLiteral("scenario"))) return;
  RunSettings s;
  s.scenario = store.value(g + QStringLiteral("scenario")).toString().toStdString();
  // A remembered file that is gone falls back to the first bundled scenario.
  if (m_scenario->findData(qs(s.scenario)) < 0 && !QFileInfo::exists(qs(s.scenario)))
    s.scenario = bundledScenarioNames().front();
  s.device = store.value(g + QStringLiteral("device"), QStringLiteral("cpu")).toString().toStdString();
  try {
    s.granularity = parseGranularity(store.value(g + QStringLiteral("granularity")).toString().toStdString());
  } catch (const std::exception&) {
  }
  s.blockSize = store.value(g + QStringLiteral("blockSize"), 16).toUInt();
  s.policy = store.value(g + QStringLiteral("policy")).toString().toStdString();
  s.maxBytes =
      store.value(g + QStringLiteral("maxBytes"), QVariant::fromValue<qulonglong>(1ull << 30)).toULongLong();
  s.ttlMs = store.value(g + QStringLiteral("ttlMs"), 0).toLongLong();
  s.ttlMode = store.value(g + QStringLiteral("ttlMode"), 0).toInt() == int(TtlMode::Age) ? TtlMode::Age
                                                                                         : TtlMode::Idle;
  s.pinnedBudgetBytes = store.value(g + QStringLiteral("pinnedBudget"), 0).toULongLong();
  s.hardware = store.value(g + QStringLiteral("hardware")).toString().toStdString();
  s.model = store.value(g + QStringLiteral("model")).toString().toStdString();
  const int seed = store.value(g + QStringLiteral("seed"), -1).toInt();
  if (seed >= 0) s.seed = std::uint64_t(seed);
  s.baseline = store.value(g + QStringLiteral("baseline"), true).toBool();
  s.tokenizerPath = store.value(g + QStringLiteral("tokenizer")).toString().toStdString();
  s.chatTemplate = store.value(g + QStringLiteral("chatTemplate"), QStringLiteral("auto")).toString().toStdString();
  applySettings(s);
  m_tiers->restoreSettings(store, g);
}

QString ControlPanel::scenarioDescription() const { return m_description->text(); }

void ControlPanel::addScenarioPath(const QString& path) {
  if (path.isEmpty() || m_scenario->findData(path) >= 0) return;
  m_scenario->addItem(QFileInfo(path).fileName(), path);
  m_scenario->setItemData(m_scenario->count() - 1, path, Qt::ToolTipRole);
}

void ControlPanel::openScenarioFile() {
  openPath(SourceSelection::askForFile(this));
}

void ControlPanel::openPath(const QString& path) {
  if (path.isEmpty()) return;
  addScenarioPath(path);
  setCombo(m_scenario, path);
  Q_EMIT fileOpened(path);
}

void ControlPanel::selectSource(const QString& source) {
  if (source.isEmpty() || m_scenario->currentData().toString() == source) return;
  if (m_scenario->findData(source) < 0) addScenarioPath(source);
  setCombo(m_scenario, source);
}

void ControlPanel::loadScenarioDefaults() {
  const QString name = m_scenario->currentData().toString();
  m_decodeScenario = false;
  m_traceBlockSizeDeclared = false;
  if (isTraceSelected()) {
    // The trace's conventions, as `kvlab-cli replay` uses them: its own block size (512 tokens per Mooncake
    // hash id), K/V sized by a real model, a max size such a model's cache would get on one accelerator.
    std::uint32_t blockSize = kTraceBlockSize;
    QString format = tr("unknown format");
    try {
      const TraceInfo info = openTraceReader(name.toStdString())->info();
      blockSize = info.blockSize;
      m_traceBlockSizeDeclared = info.blockSizeDeclared;
      format = qs(info.format);
      if (!info.hasBlockIds) format += tr(", lengths only: nothing to replay (use the Serving page)");
    } catch (const std::exception& e) {
      format = qs(e.what());
    }
    m_description->setText(tr("Trace replay (%1, %2): no tensors are computed; hits and evictions are exact, "
                              "the times come from a cost model of the chosen accelerator.")
                               .arg(QFileInfo(name).fileName(), format));
    m_loadingDefaults = true;
    setCombo(m_model, QLatin1String(kTraceModel));
    setCombo(m_granularity, QStringLiteral("block"));
    m_blockSize->setValue(int(blockSize));
    setCombo(m_policy, QStringLiteral("lru"));
    setMaxBytesExact(kTraceMaxBytes);
    setTtlExact(0);
    m_loadingDefaults = false;
    updateTraceWidgets();
    updateLabels();
    Q_EMIT scenarioChanged(m_description->text());
    Q_EMIT sourceSelected(name);
    return;
  }
  try {
    const ScenarioSpec spec = loadScenarioFile(resolveScenario(name.toStdString(), defaultScenarioDir()));
    m_decodeScenario = spec.kind == ScenarioKind::Decode;
    m_description->setText(qs(spec.description));
    setCombo(m_model, qs(spec.model));
    setCombo(m_granularity, qs(spec.cache.granularity));
    m_blockSize->setValue(int(spec.cache.blockSize));
    m_loadingDefaults = true;  // defaults of the next run, not a live change
    setCombo(m_policy, qs(spec.cache.policy));
    setMaxBytesExact(spec.cache.maxSizeBytes);
    setTtlExact(spec.cache.ttlMs);
    m_loadingDefaults = false;
  } catch (const std::exception& e) {
    m_description->setText(tr("Cannot read this scenario: %1").arg(qs(e.what())));
  }
  updateTraceWidgets();
  updateLabels();
  Q_EMIT scenarioChanged(m_description->text());
  Q_EMIT sourceSelected(name);
}

bool ControlPanel::isTraceSelected() const {
  const QString path = m_scenario->currentData().toString();
  return path.endsWith(QLatin1String(".jsonl")) || isTraceSource(path);
}

void ControlPanel::updateTraceWidgets() {
  const bool trace = isTraceSelected();
  const QString notForTraces =
      tr("Not used by a trace replay: it has no prompt text and computes no tensors.");
  // A trace has block granularity only; the block size is the tokens one hash id stands for.
  m_granularity->setEnabled(!trace);
  m_device->setEnabled(!trace);
  m_seed->setEnabled(!trace);
  m_baseline->setEnabled(!trace);
  m_hardware->setEnabled(trace);
  m_blockSize->setEnabled((trace && !m_traceBlockSizeDeclared) ||
                          (!trace && m_granularity->currentData().toString() == QLatin1String("block")));
  m_blockSizeLabel->setText(trace ? tr("Tokens per hash id") : tr("Block size"));
  m_blockSize->setToolTip(trace ? (m_traceBlockSizeDeclared
                                       ? tr("The trace declares its block size (docs/traces.md)")
                                       : tr("Tokens one hash id of the trace stands for (512 in the published "
                                            "Mooncake traces)"))
                                : tr("Tokens per block (block granularity)"));
  for (QWidget* w : {static_cast<QWidget*>(m_granularity), static_cast<QWidget*>(m_device),
                     static_cast<QWidget*>(m_seed), static_cast<QWidget*>(m_baseline)})
    w->setStatusTip(trace ? notForTraces : QString());
  m_hardware->setStatusTip(trace ? QString() : tr("Only trace replays use the cost model."));
  updateTierApplicability();
}

void ControlPanel::updateTierApplicability() {
  // Where the runner accepts tiers: a live run (real K/V blocks to store) at block granularity (a block's
  // chained key names its whole prefix, so a block alone can be fetched and reused).
  QString why;
  if (isTraceSelected())
    why =
        tr("A trace replay computes no K/V, so there is nothing to store in a tier (kvlab-cli replay "
           "--host-tokens / --remote-tokens models tiers for traces).");
  else if (m_decodeScenario)
    why = tr("The decode scenario uses no shared prefix cache, so no tiers.");
  else if (m_granularity->currentData().toString() != QLatin1String("block"))
    why = tr("Tiers store whole blocks: choose block granularity to use them.");
  m_tiers->setApplicable(why.isEmpty(), why);
}

bool ControlPanel::refuseInvalid() {
  const QString error = m_tiers->error();
  if (error.isEmpty()) return false;
  m_tiers->showError();
  Q_EMIT runRefused(tr("Not started: %1").arg(error));
  return true;
}

void ControlPanel::setMaxBytesExact(Bytes bytes) {
  m_applyingExact = true;
  m_exactMaxBytes = bytes;
  m_maxSize->setValue(bytesToSlider(bytes));  // the nearest step, for the handle only
  m_applyingExact = false;
  updateLabels();
}

void ControlPanel::setTtlExact(TimeMs ttlMs) {
  m_applyingExact = true;
  m_exactTtlMs = ttlMs;
  m_ttl->setValue(ttlToSlider(ttlMs));
  m_applyingExact = false;
  updateLabels();
}

Bytes ControlPanel::currentMaxBytes() const {
  return m_exactMaxBytes.value_or(sliderToBytes(m_maxSize->value()));
}

TimeMs ControlPanel::currentTtlMs() const { return m_exactTtlMs.value_or(sliderToTtl(m_ttl->value())); }

void ControlPanel::updateLabels() {
  m_maxSizeLabel->setText(qs(formatBytes(currentMaxBytes())));
  const Bytes pinned = sliderToPinned(m_pinned->value());
  m_pinnedLabel->setText(pinned == 0 ? tr("off") : qs(formatBytes(pinned)));
  const TimeMs ttl = currentTtlMs();
  m_ttlLabel->setText(ttl == 0 ? tr("off") : qs(formatDurationMs(ttl)));
}

void ControlPanel::onMaxSizeMoved() {
  if (m_loadingDefaults || !m_controller->isActive()) return;
  const Bytes bytes = currentMaxBytes();
  m_controller->setMaxBytes(bytes);
  Q_EMIT liveMaxBytesChanged(bytes);
}

void ControlPanel::onTtlMoved() {
  if (m_loadingDefaults || !m_controller->isActive()) return;
  m_controller->setTtlMs(currentTtlMs());
}

void ControlPanel::onPinnedMoved() {
  if (m_loadingDefaults || !m_controller->isActive()) return;
  const Bytes bytes = sliderToPinned(m_pinned->value());
  m_controller->setPinnedBudget(bytes);
  Q_EMIT livePinnedBudgetChanged(bytes);
}

void ControlPanel::onPolicyChanged() {
  if (m_loadingDefaults || !m_controller->isActive()) return;
  m_controller->setPolicy(m_policy->currentData().toString().toStdString());
}

void ControlPanel::onStateChanged(RunController::State state) {
  const bool idle = state == RunController::State::Idle;
  m_run->setEnabled(true);  // during a run: restart with the current settings
  m_run->setText(idle ? tr("Run") : tr("Restart"));
  m_pause->setEnabled(state == RunController::State::Running || state == RunController::State::Paused);
  m_pause->setText(state == RunController::State::Paused ? tr("Resume") : tr("Pause"));
  m_step->setEnabled(idle || state == RunController::State::Paused);
  m_stop->setEnabled(state == RunController::State::Running || state == RunController::State::Paused);
}

void ControlPanel::run() {
  if (!refuseInvalid()) m_controller->start(settings());
}

void ControlPanel::togglePause() {
  if (m_controller->state() == RunController::State::Paused)
    m_controller->resume();
  else
    m_controller->pause();
}

void ControlPanel::step() {
  if (!refuseInvalid()) m_controller->step(settings());
}

void ControlPanel::stop() { m_controller->stop(); }

void ControlPanel::reset() {
  m_controller->stop();
  loadScenarioDefaults();
  m_seed->setValue(-1);
  Q_EMIT resetRequested();
}

}  // namespace kvlab
