// SPDX-License-Identifier: MIT
#pragma once
// The control dock: scenario, model, granularity, block size, device, seed, TTL mode, cost-model hardware
// (next run) and policy, max size, TTL, pinned budget (live: applied to the running cache at once through
// RunController), plus Run / Pause / Step / Stop / Reset. Observes the RunController's state to enable the
// buttons. A Mooncake trace selects the trace's conventions (512 tokens per hash id, a real model, a max
// size for it) and greys out what a trace replay does not use. The Tiers group (TierControls) sets the host
// and remote tiers of the next live block run; run() and step() refuse to start while it reports an error.
#include <QWidget>
#include <optional>

#include "core/runner/run_types.h"
#include "ui/run_controller.h"

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QPushButton;
class QSettings;
class QSlider;
class QSpinBox;

namespace kvlab {

class SourceSelection;

class TierControls;

class ControlPanel : public QWidget {
  Q_OBJECT
public:
  explicit ControlPanel(RunController* controller, QWidget* parent = nullptr);
  // The window's shared source: adds its tokenizer row (TokenizerPicker) to the next-run settings, whose
  // runs then tokenize with it (RunSettings::tokenizerPath, chatTemplate).
  void attachSourceSelection(SourceSelection* selection);

  // The settings the widgets describe; every field set (scenarioDir stays "" = the default directory).
  RunSettings settings() const;
  // Selects settings.scenario (loading its defaults into the widgets; "" keeps the current one), then
  // applies every set optional.
  void applySettings(const RunSettings& settings);
  void saveSettings(QSettings& store) const;
  void restoreSettings(const QSettings& store);
  QString scenarioDescription() const;
  TierControls* tierControls() const { return m_tiers; }

  // Max size slider: log scale, 1 MiB at 0 .. 64 GiB at kSizeSteps.
  static constexpr int kSizeSteps = 1600;
  static Bytes sliderToBytes(int position);
  static int bytesToSlider(Bytes bytes);
  // TTL slider: 0 = off, then log scale 100 ms .. 2 h.
  static constexpr int kTtlSteps = 1000;
  static TimeMs sliderToTtl(int position);
  static int ttlToSlider(TimeMs ttlMs);
  // Pinned-budget slider: 0 = off, then the max-size scale.
  static Bytes sliderToPinned(int position) { return position <= 0 ? 0 : sliderToBytes(position); }
  // Trace conventions: tokens per hash id where the trace does not say (Mooncake), a model with real shapes,
  // and a max size for it.
  static constexpr std::uint32_t kTraceBlockSize = 512;
  static constexpr const char* kTraceModel = "llama-3-8b";
  static constexpr Bytes kTraceMaxBytes = Bytes(32) << 30;
  bool isTraceSelected() const;

public Q_SLOTS:
  void openScenarioFile();  // file dialog; adds the file to the picker and selects it
  void openPath(const QString& path);  // a scenario or trace (file or folder): added to the picker, selected
  // Selects `source` (a bundled name or a file), as the shared SourceSelection says; no-op when current.
  void selectSource(const QString& source);
  void run();
  void togglePause();
  void step();
  void stop();
  void reset();

Q_SIGNALS:
  void resetRequested();  // stop and clear the charts
  void liveMaxBytesChanged(kvlab::Bytes bytes);
  void livePinnedBudgetChanged(kvlab::Bytes bytes);
  void scenarioChanged(const QString& description);
  void sourceSelected(const QString& source);  // the scenario box now shows `source` (name or path)
  void fileOpened(const QString& path);  // a dialog or a drop opened it (after sourceSelected)
  // run() or step() did not start: the settings are invalid (message names the field).
  void runRefused(const QString& message);

private:
  void loadScenarioDefaults();
  void addScenarioPath(const QString& path);
  void onStateChanged(RunController::State state);
  void onMaxSizeMoved();
  void onTtlMoved();
  void onPinnedMoved();
  void updateTraceWidgets();
  void updateTierApplicability();
  bool refuseInvalid();  // true (and runRefused emitted) when a control holds an invalid value
  void onPolicyChanged();
  void updateLabels();
  void setCombo(QComboBox* combo, const QString& value);

  RunController* m_controller;
  QComboBox* m_scenario = nullptr;
  QLabel* m_description = nullptr;
  QComboBox* m_model = nullptr;
  QComboBox* m_granularity = nullptr;
  QSpinBox* m_blockSize = nullptr;
  QComboBox* m_device = nullptr;
  QSpinBox* m_seed = nullptr;
  QCheckBox* m_baseline = nullptr;
  QComboBox* m_policy = nullptr;
  // A value given exactly (command line, scenario file, trace default) is used and shown as given until
  // the user moves its slider; the slider itself only has logarithmic steps.
  void setMaxBytesExact(Bytes bytes);
  void setTtlExact(TimeMs ttlMs);
  Bytes currentMaxBytes() const;
  TimeMs currentTtlMs() const;
  std::optional<Bytes> m_exactMaxBytes;
  std::optional<TimeMs> m_exactTtlMs;
  bool m_applyingExact = false;
  QSlider* m_maxSize = nullptr;
  QLabel* m_maxSizeLabel = nullptr;
  QSlider* m_ttl = nullptr;
  QLabel* m_ttlLabel = nullptr;
  QComboBox* m_ttlMode = nullptr;
  QSlider* m_pinned = nullptr;
  QLabel* m_pinnedLabel = nullptr;
  QComboBox* m_hardware = nullptr;
  QLabel* m_blockSizeLabel = nullptr;
  QPushButton* m_run = nullptr;
  QPushButton* m_pause = nullptr;
  QPushButton* m_step = nullptr;
  QPushButton* m_stop = nullptr;
  QPushButton* m_reset = nullptr;
  TierControls* m_tiers = nullptr;
  bool m_decodeScenario = false;  // the selected scenario is the decode lesson (no shared prefix cache)
  bool m_loadingDefaults = false;
  bool m_traceBlockSizeDeclared = false;  // the selected trace fixes its block size (the spin box follows)
  SourceSelection* m_selection = nullptr;  // attachSourceSelection: the tokenizer
  QFormLayout* m_nextForm = nullptr;
};

}  // namespace kvlab
