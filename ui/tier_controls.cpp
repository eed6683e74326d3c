// SPDX-License-Identifier: MIT
#include "ui/tier_controls.h"

#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "core/policies/policy_registry.h"
#include "core/tiers/remote_url.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "ui/control_panel.h"

namespace kvlab {

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
constexpr int kDefaultTimeoutMs = 50;  // RunSettings::remoteTimeoutMs, the CLI's --remote-timeout default
}  // namespace

TierControls::TierControls(QWidget* parent) : QWidget(parent) {
  m_header = new QToolButton(this);
  m_header->setObjectName(QStringLiteral("tiersHeader"));
  m_header->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  m_header->setAutoRaise(true);
  m_header->setCheckable(true);
  m_header->setToolTip(tr("Storage tiers under the device cache (next run): click to show or hide"));
  QFont bold = m_header->font();
  bold.setBold(true);
  m_header->setFont(bold);
  m_body = new QWidget(this);

  m_hostSize = new QSlider(Qt::Horizontal, m_body);
  m_hostSize->setObjectName(QStringLiteral("hostSizeSlider"));
  m_hostSize->setRange(0, ControlPanel::kSizeSteps);
  m_hostSize->setPageStep(ControlPanel::kSizeSteps / 16);
  m_hostSize->setToolTip(
      tr("Host-memory tier under the device cache, far left = off, then 1 MiB … 64 GiB (log scale). Blocks "
         "the device cache evicts move down into it; a hit there moves back up. Pinned memory on a GPU."));
  m_hostSizeLabel = new QLabel(m_body);
  m_hostSizeLabel->setObjectName(QStringLiteral("hostSizeLabel"));
  m_hostSizeLabel->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("1023.99 MiB")));
  m_hostPolicy = new QComboBox(m_body);
  m_hostPolicy->setObjectName(QStringLiteral("hostPolicyCombo"));
  m_hostPolicy->addItem(tr("same as device"), QString());
  for (const PolicyInfo& policy : policyRegistry()) {
    m_hostPolicy->addItem(qs(policy.name), qs(policy.name));
    m_hostPolicy->setItemData(m_hostPolicy->count() - 1, qs(policy.description), Qt::ToolTipRole);
  }
  m_hostPolicy->setToolTip(tr("The host tier's eviction policy"));
  m_remoteUrl = new QLineEdit(m_body);
  m_remoteUrl->setObjectName(QStringLiteral("remoteUrlEdit"));
  m_remoteUrl->setPlaceholderText(tr("off, or redis://host:port"));
  m_remoteUrl->setClearButtonEnabled(true);
  m_remoteUrl->setToolTip(
      tr("A Redis server shared by labs and machines: redis://[user:password@]host[:port][/db], or a Redis "
         "Cluster: redis-cluster://host:port[,host:port…]; rediss:// and rediss-cluster:// over TLS. Empty = "
         "no remote tier. Blocks are keyed by "
         "model and block size, so only a lab with the same model shares them. Saved with the settings "
         "without its password (settings files are plain text): leave the password out (redis://user:@host "
         "or redis://host) and set KVLAB_REMOTE_PASSWORD, or KVLAB_REMOTE_PASSWORD_FILE to a file holding "
         "it, before starting the lab."));
  m_remoteError = new QLabel(m_body);
  m_remoteError->setObjectName(QStringLiteral("remoteUrlError"));
  m_remoteError->setWordWrap(true);
  m_remoteError->setStyleSheet(QStringLiteral("QLabel { color: #c0392b; }"));
  m_remoteError->hide();
  m_writeMode = new QComboBox(m_body);
  m_writeMode->setObjectName(QStringLiteral("remoteWriteCombo"));
  m_writeMode->addItem(tr("through"), false);
  m_writeMode->addItem(tr("back"), true);
  m_writeMode->setToolTip(
      tr("through: every new block is written to the remote tier at once (another lab can reuse it "
         "immediately). back: only blocks the tiers above evict are written."));
  m_timeout = new QSpinBox(m_body);
  m_timeout->setObjectName(QStringLiteral("remoteTimeoutSpin"));
  m_timeout->setRange(1, 600'000);
  m_timeout->setValue(kDefaultTimeoutMs);
  m_timeout->setSuffix(tr(" ms"));
  m_timeout->setToolTip(
      tr("The deadline of each remote operation (connect, TLS and every reply included); a slower answer is "
         "a miss counted as a time-out, the block is computed instead, and the server is backed off for a "
         "while so later requests do not wait for it again."));

  auto* grid = new QGridLayout(m_body);
  grid->setContentsMargins(8, 0, 0, 0);
  grid->addWidget(new QLabel(tr("Host size"), m_body), 0, 0);
  grid->addWidget(m_hostSize, 0, 1);
  grid->addWidget(m_hostSizeLabel, 0, 2);
  grid->addWidget(new QLabel(tr("Host policy"), m_body), 1, 0);
  grid->addWidget(m_hostPolicy, 1, 1, 1, 2);
  grid->addWidget(new QLabel(tr("Remote"), m_body), 2, 0);
  grid->addWidget(m_remoteUrl, 2, 1, 1, 2);
  grid->addWidget(m_remoteError, 3, 1, 1, 2);
  grid->addWidget(new QLabel(tr("Remote write"), m_body), 4, 0);
  grid->addWidget(m_writeMode, 4, 1, 1, 2);
  grid->addWidget(new QLabel(tr("Remote time-out"), m_body), 5, 0);
  grid->addWidget(m_timeout, 5, 1, 1, 2);
  grid->setColumnStretch(1, 1);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(m_header);
  layout->addWidget(m_body);

  connect(m_header, &QToolButton::toggled, this, &TierControls::setExpanded);
  connect(m_hostSize, &QSlider::valueChanged, this, [this] {
    if (!m_applyingExact) m_exactHostBytes.reset();
    updateLabels();
  });
  connect(m_remoteUrl, &QLineEdit::textChanged, this, &TierControls::validate);
  connect(m_hostPolicy, &QComboBox::currentIndexChanged, this, &TierControls::updateLabels);
  setExpanded(false);
  validate();
}

Bytes TierControls::currentHostBytes() const {
  return m_exactHostBytes.value_or(ControlPanel::sliderToPinned(m_hostSize->value()));
}

void TierControls::fillSettings(RunSettings& s) const {
  if (!m_applicable) return;
  s.hostMaxBytes = currentHostBytes();
  const QString policy = m_hostPolicy->currentData().toString();
  s.hostPolicy = policy.isEmpty() || s.hostMaxBytes == 0 ? std::nullopt : std::optional(policy.toStdString());
  s.remoteUrl = m_remoteUrl->text().trimmed().toStdString();
  s.remoteWriteBack = m_writeMode->currentData().toBool();
  s.remoteTimeoutMs = m_timeout->value();
}

void TierControls::applySettings(const RunSettings& s) {
  m_applyingExact = true;
  m_exactHostBytes = s.hostMaxBytes;
  m_hostSize->setValue(s.hostMaxBytes == 0 ? 0 : ControlPanel::bytesToSlider(s.hostMaxBytes));
  m_applyingExact = false;
  m_hostPolicy->setCurrentIndex(std::max(0, m_hostPolicy->findData(qs(s.hostPolicy.value_or("")))));
  m_remoteUrl->setText(qs(s.remoteUrl));
  m_writeMode->setCurrentIndex(s.remoteWriteBack ? 1 : 0);
  m_timeout->setValue(s.remoteTimeoutMs);
  if (s.hostMaxBytes > 0 || !s.remoteUrl.empty()) setExpanded(true);
  updateLabels();
}

// The settings file is plain text: no password is ever written to it. The user-info is read as the core
// parser reads it (redis-cli's rule: "user:password", ":password", or a bare "password"), and only a user
// name is kept, as "user:@" (its password then comes from KVLAB_REMOTE_PASSWORD or the file
// KVLAB_REMOTE_PASSWORD_FILE names): redis://lab:pw@h -> redis://lab:@h, redis://:pw@h and redis://pw@h ->
// redis://h. Text that does not parse is stripped the same way (no scheme: everything up to the '@').
QString TierControls::withoutPassword(const QString& url) {
  const qsizetype scheme = url.indexOf(QStringLiteral("://"));
  const qsizetype at = url.lastIndexOf(QLatin1Char('@'));
  if (at < 0) return url;
  if (scheme < 0 || at < scheme + 3) return url.mid(at + 1);  // not a URL yet: keep no user-info at all
  const QString userInfo = url.mid(scheme + 3, at - scheme - 3);
  const qsizetype colon = userInfo.indexOf(QLatin1Char(':'));
  const QString user = colon < 0 ? QString() : userInfo.left(colon);  // no ':': a bare password
  return url.left(scheme + 3) + (user.isEmpty() ? QString() : user + QStringLiteral(":@")) + url.mid(at + 1);
}

void TierControls::saveSettings(QSettings& store) const {
  store.setValue(QStringLiteral("hostMaxBytes"), QVariant::fromValue<qulonglong>(currentHostBytes()));
  store.setValue(QStringLiteral("hostPolicy"), m_hostPolicy->currentData().toString());
  store.setValue(QStringLiteral("remoteUrl"), withoutPassword(m_remoteUrl->text().trimmed()));
  store.setValue(QStringLiteral("remoteWriteBack"), m_writeMode->currentData().toBool());
  store.setValue(QStringLiteral("remoteTimeoutMs"), m_timeout->value());
  store.setValue(QStringLiteral("tiersExpanded"), isExpanded());
}

void TierControls::restoreSettings(const QSettings& store, const QString& prefix) {
  RunSettings s;
  s.hostMaxBytes = store.value(prefix + QStringLiteral("hostMaxBytes"), 0).toULongLong();
  const QString policy = store.value(prefix + QStringLiteral("hostPolicy")).toString();
  if (!policy.isEmpty()) s.hostPolicy = policy.toStdString();
  s.remoteUrl = store.value(prefix + QStringLiteral("remoteUrl")).toString().toStdString();
  s.remoteWriteBack = store.value(prefix + QStringLiteral("remoteWriteBack"), false).toBool();
  s.remoteTimeoutMs =
      std::clamp(store.value(prefix + QStringLiteral("remoteTimeoutMs"), kDefaultTimeoutMs).toInt(),
                 m_timeout->minimum(), m_timeout->maximum());
  applySettings(s);
  setExpanded(store.value(prefix + QStringLiteral("tiersExpanded"), isExpanded()).toBool());
}

QString TierControls::error() const { return m_applicable ? m_error : QString(); }

void TierControls::showError() {
  setExpanded(true);
  m_remoteUrl->setFocus();
  m_remoteUrl->selectAll();
}

void TierControls::validate() {
  m_error.clear();
  const std::string text = m_remoteUrl->text().trimmed().toStdString();
  if (!text.empty()) {
    try {
      RemoteUrl::parse(text, "remote");
    } catch (const InputError& e) {
      m_error = tr("Remote: %1").arg(qs(e.message));
    }
  }
  m_remoteError->setText(m_error);
  m_remoteError->setVisible(!m_error.isEmpty());
  m_remoteUrl->setStyleSheet(m_error.isEmpty() ? QString()
                                               : QStringLiteral("QLineEdit { border: 1px solid #c0392b; }"));
  updateLabels();
}

void TierControls::setApplicable(bool applicable, const QString& why) {
  m_applicable = applicable;
  m_body->setEnabled(applicable);
  m_body->setToolTip(applicable ? QString() : why);
  m_header->setStatusTip(applicable ? QString() : why);
  updateLabels();
}

void TierControls::setExpanded(bool expanded) {
  if (m_header->isChecked() != expanded) m_header->setChecked(expanded);  // re-enters once, then equal
  m_header->setArrowType(expanded ? Qt::DownArrow : Qt::RightArrow);
  m_body->setVisible(expanded);
  updateLabels();
}

bool TierControls::isExpanded() const { return m_header->isChecked(); }

QString TierControls::summary() const {
  QStringList parts{tr("device")};
  const Bytes host = currentHostBytes();
  if (host > 0) parts << tr("host %1").arg(qs(formatCapacity(host)));
  const QString url = m_remoteUrl->text().trimmed();
  if (!url.isEmpty() && m_error.isEmpty())
    parts << tr("remote (write-%1)").arg(m_writeMode->currentData().toBool() ? tr("back") : tr("through"));
  return parts.join(QStringLiteral(" + "));
}

void TierControls::updateLabels() {
  const Bytes host = currentHostBytes();
  m_hostSizeLabel->setText(host == 0 ? tr("off") : qs(formatCapacity(host)));
  m_hostPolicy->setEnabled(host > 0);
  QString header = tr("Tiers (next run): %1").arg(summary());
  if (!m_applicable)
    header = tr("Tiers: live block runs only");
  else if (!m_error.isEmpty())
    header = tr("Tiers: remote URL invalid");
  m_header->setText(header);
  m_header->setToolTip(m_applicable
                           ? tr("Storage tiers under the device cache (next run): click to show or hide")
                           : m_body->toolTip());
}

}  // namespace kvlab
