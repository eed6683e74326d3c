// SPDX-License-Identifier: MIT
// The Tiers group of the control dock: hand-set widget values become exactly the RunSettings tier fields,
// a bad remote URL shows the parser's message under the field and the Run button then starts nothing,
// the group greys out where tiers do not apply (trace, prompt granularity) and leaves no tier in the
// settings there, the values persist through QSettings, and the GUI's --host-size/--remote/... flags.
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QToolButton>

#include "core/tiers/remote_url.h"
#include "core/util/units.h"
#include "ui/command_line_options.h"
#include "ui/control_panel.h"
#include "ui/run_controller.h"
#include "ui/tier_controls.h"

using namespace kvlab;

namespace {
const QString kFixture = QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny.json");
const QString kTrace = QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny-trace.jsonl");

template <typename T>
T* child(const QWidget& w, const char* name) {
  return w.findChild<T*>(QLatin1String(name));
}

void selectScenario(ControlPanel& panel, const QString& path) {
  RunSettings s;
  s.scenario = path.toStdString();
  panel.applySettings(s);
}
}  // namespace

class TestTierControls : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("kvlab-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_tier_controls"));
    qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR);
    QSettings().clear();
  }

  void widgetsMapToSettings_data() {
    QTest::addColumn<int>("hostSlider");  // 0 = off
    QTest::addColumn<QString>("hostPolicy");
    QTest::addColumn<QString>("url");
    QTest::addColumn<int>("writeIndex");  // 0 = through, 1 = back
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<qulonglong>("hostBytes");
    QTest::addColumn<QString>("expectedPolicy");  // "" = unset (the device's)
    QTest::addColumn<bool>("writeBack");
    // Slider position 0 is off; position p > 0 is 2^(20 + 16 p / 1600) bytes (ControlPanel's scale):
    // p = 800 -> 2^28 = 256 MiB exactly; p = 1600 -> 2^36 = 64 GiB.
    QTest::newRow("all off") << 0 << QString() << QString() << 0 << 50 << 0ull << QString() << false;
    QTest::newRow("host 256 MiB, device policy")
        << 800 << QString() << QString() << 0 << 50 << (1ull << 28) << QString() << false;
    QTest::newRow("host 64 GiB lfu + remote back 200 ms")
        << 1600 << QStringLiteral("lfu") << QStringLiteral("redis://127.0.0.1:6390/2") << 1 << 200
        << (1ull << 36) << QStringLiteral("lfu") << true;
    QTest::newRow("policy ignored while the host tier is off")
        << 0 << QStringLiteral("fifo") << QStringLiteral("redis-cluster://10.0.0.1:7000,10.0.0.2:7001") << 0
        << 5 << 0ull << QString() << false;
  }

  void widgetsMapToSettings() {
    QFETCH(int, hostSlider);
    QFETCH(QString, hostPolicy);
    QFETCH(QString, url);
    QFETCH(int, writeIndex);
    QFETCH(int, timeoutMs);
    QFETCH(qulonglong, hostBytes);
    QFETCH(QString, expectedPolicy);
    QFETCH(bool, writeBack);
    RunController controller;
    ControlPanel panel(&controller);
    selectScenario(panel, kFixture);
    child<QSlider>(panel, "hostSizeSlider")->setValue(hostSlider);
    auto* policy = child<QComboBox>(panel, "hostPolicyCombo");
    policy->setCurrentIndex(hostPolicy.isEmpty() ? 0 : policy->findData(hostPolicy));
    QVERIFY(policy->currentIndex() >= 0);
    child<QLineEdit>(panel, "remoteUrlEdit")->setText(url);
    child<QComboBox>(panel, "remoteWriteCombo")->setCurrentIndex(writeIndex);
    child<QSpinBox>(panel, "remoteTimeoutSpin")->setValue(timeoutMs);

    const RunSettings s = panel.settings();
    QCOMPARE(qulonglong(s.hostMaxBytes), hostBytes);
    QCOMPARE(QString::fromStdString(s.hostPolicy.value_or("")), expectedPolicy);
    QCOMPARE(QString::fromStdString(s.remoteUrl), url);
    QCOMPARE(s.remoteWriteBack, writeBack);
    QCOMPARE(s.remoteTimeoutMs, timeoutMs);
    QVERIFY(panel.tierControls()->error().isEmpty());

    // applySettings() sets the same widgets back.
    ControlPanel other(&controller);
    other.applySettings(s);
    const RunSettings t = other.settings();
    QCOMPARE(t.hostMaxBytes, s.hostMaxBytes);
    QCOMPARE(t.hostPolicy, s.hostPolicy);
    QCOMPARE(t.remoteUrl, s.remoteUrl);
    QCOMPARE(t.remoteWriteBack, s.remoteWriteBack);
    QCOMPARE(t.remoteTimeoutMs, s.remoteTimeoutMs);
  }

  void exactHostSizeKeptUntilMoved() {
    RunController controller;
    ControlPanel panel(&controller);
    selectScenario(panel, kFixture);
    RunSettings s;
    s.hostMaxBytes = 300'000'000;  // not on a slider step: kept exactly, as --max-size is
    panel.applySettings(s);
    QCOMPARE(panel.settings().hostMaxBytes, Bytes(300'000'000));
    QCOMPARE(child<QLabel>(panel, "hostSizeLabel")->text(), QString::fromStdString(formatBytes(300'000'000)));
    s.hostMaxBytes = kUnlimited;
    panel.applySettings(s);
    QCOMPARE(panel.settings().hostMaxBytes, kUnlimited);
    QCOMPARE(child<QLabel>(panel, "hostSizeLabel")->text(), QStringLiteral("unlimited"));
    child<QSlider>(panel, "hostSizeSlider")->setValue(0);  // moved by the user: off
    QCOMPARE(panel.settings().hostMaxBytes, Bytes(0));
  }

  void badUrlShowsErrorAndDoesNotStart_data() {
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("mentions");  // part of the parser's message
    QTest::newRow("port out of range")
        << QStringLiteral("redis://127.0.0.1:99999") << QStringLiteral("99999");
    QTest::newRow("wrong scheme") << QStringLiteral("http://127.0.0.1:6379") << QStringLiteral("redis[s]://");
    QTest::newRow("cluster seed without port")
        << QStringLiteral("redis-cluster://10.0.0.1") << QStringLiteral("port");
  }

  void badUrlShowsErrorAndDoesNotStart() {
    QFETCH(QString, url);
    QFETCH(QString, mentions);
    RunController controller;
    ControlPanel panel(&controller);
    panel.show();
    selectScenario(panel, kFixture);
    auto* edit = child<QLineEdit>(panel, "remoteUrlEdit");
    auto* error = child<QLabel>(panel, "remoteUrlError");
    QVERIFY(edit && error);
    QVERIFY(error->isHidden());
    auto* header = child<QToolButton>(panel, "tiersHeader");
    QVERIFY(!panel.tierControls()->isExpanded());  // folded by default
    QTest::mouseClick(header, Qt::LeftButton);     // unfold, as a user would
    QVERIFY(panel.tierControls()->isExpanded());
    QTest::keyClicks(edit, url);
    QVERIFY2(!panel.tierControls()->error().isEmpty(), qPrintable(url));
    QVERIFY2(error->text().contains(mentions), qPrintable(error->text()));
    QVERIFY(error->isVisible());
    QVERIFY(header->text().contains(QStringLiteral("invalid")));
    QTest::mouseClick(header, Qt::LeftButton);  // fold it again: the refused run unfolds it
    QVERIFY(!panel.tierControls()->isExpanded());

    QSignalSpy refused(&panel, &ControlPanel::runRefused);
    QSignalSpy state(&controller, &RunController::stateChanged);
    QTest::mouseClick(child<QPushButton>(panel, "runButton"), Qt::LeftButton);
    QCOMPARE(refused.count(), 1);
    QVERIFY(refused.first().first().toString().contains(mentions));
    QVERIFY(panel.tierControls()->isExpanded());
    QCOMPARE(controller.state(), RunController::State::Idle);
    QCOMPARE(state.count(), 0);
    QTest::mouseClick(child<QPushButton>(panel, "stepButton"), Qt::LeftButton);
    QCOMPARE(refused.count(), 2);
    QCOMPARE(controller.state(), RunController::State::Idle);

    // Fixed: the message goes and the settings carry the URL.
    edit->setText(QStringLiteral("redis://127.0.0.1:6379"));
    QVERIFY(panel.tierControls()->error().isEmpty());
    QVERIFY(error->isHidden());
  }

  void notApplicableGreysOutAndSetsNoTier_data() {
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("granularity");  // "" = the scenario's
    QTest::addColumn<bool>("applicable");
    QTest::newRow("live block run") << kFixture << QString() << true;
    QTest::newRow("live prompt granularity") << kFixture << QStringLiteral("prompt") << false;
    QTest::newRow("live radix") << kFixture << QStringLiteral("radix") << false;
    QTest::newRow("trace replay") << kTrace << QString() << false;
    QTest::newRow("decode scenario") << QStringLiteral("decode") << QString() << false;
  }

  void notApplicableGreysOutAndSetsNoTier() {
    QFETCH(QString, scenario);
    QFETCH(QString, granularity);
    QFETCH(bool, applicable);
    RunController controller;
    ControlPanel panel(&controller);
    RunSettings s;
    s.scenario = scenario.toStdString();
    s.remoteUrl = "redis://127.0.0.1:6379";
    s.hostMaxBytes = 1 << 20;
    if (!granularity.isEmpty()) s.granularity = parseGranularity(granularity.toStdString());
    panel.applySettings(s);
    QCOMPARE(panel.tierControls()->isApplicable(), applicable);
    QCOMPARE(child<QLineEdit>(panel, "remoteUrlEdit")->isEnabled(), applicable);
    const RunSettings out = panel.settings();
    QCOMPARE(out.remoteUrl.empty(), !applicable);
    QCOMPARE(out.hostMaxBytes == 0, !applicable);
  }

  void persistsThroughQSettings() {
    RunController controller;
    {
      ControlPanel panel(&controller);
      RunSettings s;
      s.scenario = kFixture.toStdString();
      s.hostMaxBytes = Bytes(3) << 29;  // 1.5 GiB
      s.hostPolicy = "s3fifo";
      s.remoteUrl = "redis://:secret@127.0.0.1:6400/1";
      s.remoteWriteBack = true;
      s.remoteTimeoutMs = 120;
      panel.applySettings(s);
      QSettings store;
      panel.saveSettings(store);
    }
    ControlPanel restored(&controller);
    const QSettings store;
    restored.restoreSettings(store);
    const RunSettings t = restored.settings();
    QCOMPARE(t.hostMaxBytes, Bytes(3) << 29);
    QCOMPARE(QString::fromStdString(t.hostPolicy.value_or("")), QStringLiteral("s3fifo"));
    // The password is never written to the plain-text settings file; the rest comes back as typed.
    QCOMPARE(QString::fromStdString(t.remoteUrl), QStringLiteral("redis://127.0.0.1:6400/1"));
    QVERIFY(
        !QSettings().value(QStringLiteral("run/remoteUrl")).toString().contains(QStringLiteral("secret")));
    QVERIFY(t.remoteWriteBack);
    QCOMPARE(t.remoteTimeoutMs, 120);
    QVERIFY(restored.tierControls()->isExpanded());
  }

  // No password reaches the settings file, and the saved URL still names the same user as the core parser
  // (redis-cli's rule) reads from the typed one: a bare user-info is a password, not a user name (saving
  // redis://lab:pw@h as redis://lab@h made the next run log in with password "lab").
  void passwordNotSaved_data() {
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("saved");
    QTest::addColumn<bool>("parses");
    QTest::newRow("password only") << "redis://:secret@10.0.0.1:6379/2"
                                   << "redis://10.0.0.1:6379/2" << true;
    QTest::newRow("user and password") << "redis://lab:secret@h:6379"
                                       << "redis://lab:@h:6379" << true;
    QTest::newRow("bare password") << "redis://secret@h:6379"
                                   << "redis://h:6379" << true;
    QTest::newRow("user, password from the environment") << "redis://lab:@h:6379"
                                                         << "redis://lab:@h:6379" << true;
    QTest::newRow("no credentials") << "redis://h:6379"
                                    << "redis://h:6379" << true;
    QTest::newRow("cluster") << "redis-cluster://u:secret@a:7000,b:7001"
                             << "redis-cluster://u:@a:7000,b:7001" << true;
    QTest::newRow("not a URL yet") << "redis//secret@h"
                                   << "h" << false;
    QTest::newRow("unparsable, with a password") << "redis://x:secret@h:notaport"
                                                 << "redis://x:@h:notaport" << false;
    QTest::newRow("empty") << ""
                           << "" << false;
  }
  void passwordNotSaved() {
    QFETCH(QString, typed);
    QFETCH(QString, saved);
    QFETCH(bool, parses);
    QCOMPARE(TierControls::withoutPassword(typed), saved);
    QVERIFY(!saved.contains(QStringLiteral("secret")));
    if (!parses) return;
    const RemoteUrl before = RemoteUrl::parse(typed.toStdString());
    const RemoteUrl after = RemoteUrl::parse(saved.toStdString());
    QCOMPARE(after.user, before.user);
    QVERIFY(after.password.empty());
  }

  void commandLineFlags_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("error");  // part of the message; "" = accepted
    QTest::addColumn<qulonglong>("hostBytes");
    QTest::addColumn<QString>("remote");
    QTest::addColumn<bool>("writeBack");
    QTest::addColumn<int>("timeoutMs");
    const QString r = QStringLiteral("redis://127.0.0.1:6379");
    QTest::newRow("none") << QStringList{QStringLiteral("--autorun")} << QString() << 0ull << QString()
                          << false << 50;
    QTest::newRow("host 256MiB, remote back, 2s")
        << QStringList{QStringLiteral("--host-size"),      QStringLiteral("256MiB"),
                       QStringLiteral("--remote"),         r,
                       QStringLiteral("--remote-write"),   QStringLiteral("back"),
                       QStringLiteral("--remote-timeout"), QStringLiteral("2s")}
        << QString() << (1ull << 28) << r << true << 2000;
    QTest::newRow("host unlimited") << QStringList{QStringLiteral("--host-size"), QStringLiteral("unlimited")}
                                    << QString() << qulonglong(kUnlimited) << QString() << false << 50;
    QTest::newRow("bad URL") << QStringList{QStringLiteral("--remote"), QStringLiteral("redis://h:0")}
                             << QStringLiteral("--remote:") << 0ull << QString() << false << 50;
    QTest::newRow("bad write mode") << QStringList{QStringLiteral("--remote-write"), QStringLiteral("around")}
                                    << QStringLiteral("--remote-write: expected through or back") << 0ull
                                    << QString() << false << 50;
    QTest::newRow("time-out too long")
        << QStringList{QStringLiteral("--remote-timeout"), QStringLiteral("11m")}
        << QStringLiteral("--remote-timeout") << 0ull << QString() << false << 50;
    QTest::newRow("bad host size") << QStringList{QStringLiteral("--host-size"), QStringLiteral("12 parsecs")}
                                   << QStringLiteral("--host-size") << 0ull << QString() << false << 50;
    QTest::newRow("bad host policy") << QStringList{QStringLiteral("--host-policy"), QStringLiteral("nope")}
                                     << QStringLiteral("--host-policy") << 0ull << QString() << false << 50;
  }

  void commandLineFlags() {
    QFETCH(QStringList, args);
    QFETCH(QString, error);
    QFETCH(qulonglong, hostBytes);
    QFETCH(QString, remote);
    QFETCH(bool, writeBack);
    QFETCH(int, timeoutMs);
    const CommandLineResult r = parseCommandLine(QStringList{QStringLiteral("kvlab")} + args);
    if (!error.isEmpty()) {
      QVERIFY2(r.error.contains(error), qPrintable(r.error));
      return;
    }
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    const RunSettings s = r.options.run.value_or(RunSettings{});
    QCOMPARE(qulonglong(s.hostMaxBytes), hostBytes);
    QCOMPARE(QString::fromStdString(s.remoteUrl), remote);
    QCOMPARE(s.remoteWriteBack, writeBack);
    QCOMPARE(s.remoteTimeoutMs, timeoutMs);
  }
};

QTEST_MAIN(TestTierControls)
#include "tst_tier_controls.moc"
