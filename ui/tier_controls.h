// SPDX-License-Identifier: MIT
#pragma once
// The "Tiers" group of the control dock (next run): a host-memory tier under the device cache (size, far
// left = off; its eviction policy) and a remote Redis tier (URL, write-through or write-back, time-out).
// Collapsible: its header line sums up the tiers when folded. The URL is checked as it is typed with the
// core parser (core/tiers/remote_url.h); a bad one shows the parser's message under the field and
// error() is non-empty, so the control panel refuses to start a run. Tiers hold real K/V blocks: they
// apply to live runs at block granularity only; setApplicable() greys the group out with the reason.
#include <QWidget>
#include <optional>

#include "core/runner/run_types.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QSettings;
class QSlider;
class QSpinBox;
class QToolButton;

namespace kvlab {

class TierControls : public QWidget {
  Q_OBJECT
public:
  explicit TierControls(QWidget* parent = nullptr);

  // Writes the tier fields of `settings` (hostMaxBytes, hostPolicy, remoteUrl, remoteWriteBack,
  // remoteTimeoutMs) from the widgets; when the tiers do not apply (setApplicable(false)) it leaves the
  // defaults (no tier) so a trace or a prompt-granularity run is not refused for them.
  void fillSettings(RunSettings& settings) const;
  // Sets the widgets from the tier fields of `settings` (all of them: an empty URL clears the field).
  void applySettings(const RunSettings& settings);
  // The URL as saved in the settings: the password removed (a user name kept as "user:@"), the rest as
  // typed.
  static QString withoutPassword(const QString& url);
  void saveSettings(QSettings& store) const;                            // inside the caller's group
  void restoreSettings(const QSettings& store, const QString& prefix);  // keys are prefix + name

  // "" when the settings are usable, else what is wrong (the remote URL parser's message).
  QString error() const;
  // Unfolds the group and puts the cursor in the URL field (after a refused run).
  void showError();
  void setApplicable(bool applicable, const QString& why);
  bool isApplicable() const { return m_applicable; }
  void setExpanded(bool expanded);
  bool isExpanded() const;
  // The folded header's summary, e.g. "device + host 256.00 MiB + remote redis://127.0.0.1:6379".
  QString summary() const;

private:
  void validate();
  void updateLabels();
  Bytes currentHostBytes() const;

  QToolButton* m_header = nullptr;
  QWidget* m_body = nullptr;
  QSlider* m_hostSize = nullptr;
  QLabel* m_hostSizeLabel = nullptr;
  std::optional<Bytes> m_exactHostBytes;  // a value given exactly (command line, settings), until moved
  bool m_applyingExact = false;
  QComboBox* m_hostPolicy = nullptr;
  QLineEdit* m_remoteUrl = nullptr;
  QLabel* m_remoteError = nullptr;
  QComboBox* m_writeMode = nullptr;
  QSpinBox* m_timeout = nullptr;
  QString m_error;
  bool m_applicable = true;
};

}  // namespace kvlab
