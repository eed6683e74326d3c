// SPDX-License-Identifier: MIT
// Drives the real window on the offscreen platform: a run started from the Run button fills the charts, the
// max-size slider moved during a (paused) run evicts with reason "policy change" and brings occupancy under
// the new limit, exports write non-empty files, settings persist, Stop cancels, runs stay for comparison.
// Synchronisation only through signals (QSignalSpy::wait, QTRY_*): no sleeps, no timing asserts.
#include <QComboBox>
#include <QFile>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include "core/util/units.h"
#include "ui/chart_panel.h"
#include "ui/control_panel.h"
#include "ui/event_log_filter.h"
#include "ui/event_log_model.h"
#include "ui/event_log_panel.h"
#include "ui/main_window.h"
#include "ui/report_exporter.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"

using namespace kvlab;

namespace {
constexpr int kRunTimeoutMs = 120000;
const QString kFixture = QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny.json");
constexpr int kFixtureRequests = 6;

QLineSeries* lineSeries(const MainWindow& w, const QString& name) {
  for (ChartPanel* chart : w.charts())
    for (QAbstractSeries* s : chart->chart()->series())
      if (s->objectName() == name) return qobject_cast<QLineSeries*>(s);
  return nullptr;
}

ChartPanel* chartNamed(const MainWindow& w, const QString& stem) {
  for (ChartPanel* chart : w.charts())
    if (chart->fileStem() == stem) return chart;
  return nullptr;
}

void useFixture(MainWindow& w) {
  RunSettings s;
  s.scenario = kFixture.toStdString();
  w.controlPanel()->applySettings(s);
}

QPushButton* button(const MainWindow& w, const char* name) {
  return w.findChild<QPushButton*>(QLatin1String(name));
}
}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("kvlab-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_main_window"));
    qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR);
    QSettings().clear();
  }

  void runFromButtonFillsCharts() {
    MainWindow w;
    w.setInteractive(false);
    useFixture(w);
    w.show();
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    QTest::mouseClick(button(w, "runButton"), Qt::LeftButton);
    QVERIFY(ended.wait(kRunTimeoutMs));
    QCOMPARE(w.controller()->state(), RunController::State::Idle);

    const RunTrack* run = w.history()->current();
    QVERIFY(run && run->summary);
    QVERIFY2(run->error.isEmpty(), qPrintable(run->error));
    QCOMPARE(int(run->points.size()), kFixtureRequests);
    QCOMPARE(lineSeries(w, QStringLiteral("hitRateCumulative"))->count(), kFixtureRequests);
    QVERIFY(lineSeries(w, QStringLiteral("hitRateCumulative"))->at(kFixtureRequests - 1).y() > 50.0);
    QVERIFY(lineSeries(w, QStringLiteral("memoryUsed"))->count() >= kFixtureRequests);
    QCOMPARE(lineSeries(w, QStringLiteral("ttftCached"))->count(), kFixtureRequests);
    QVERIFY(lineSeries(w, QStringLiteral("speedupCumulative"))->count() > 0);
    auto* bytes =
        chartNamed(w, QStringLiteral("layer-occupancy"))->findChild<QBarSet*>(QStringLiteral("layerBytes"));
    if (!bytes) {
      for (QAbstractSeries* s : chartNamed(w, QStringLiteral("layer-occupancy"))->chart()->series())
        for (QBarSet* set : s->findChildren<QBarSet*>())
          if (set->objectName() == QLatin1String("layerBytes")) bytes = set;
    }
    QVERIFY(bytes);
    QCOMPARE(bytes->count(), kReuseBuckets);  // block mode: bytes by reuse count, not 32 equal layer bars
    QVERIFY(bytes->at(0) > 0);
    QVERIFY(w.eventLog()->model()->rowCount() > 0);
  }

  void maxSizeSliderMidRunEvicts() {
    MainWindow w;
    w.setInteractive(false);
    useFixture(w);
    w.show();
    auto* slider = w.findChild<QSlider*>(QStringLiteral("maxSizeSlider"));
    QVERIFY(slider);
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    QSignalSpy state(w.controller(), &RunController::stateChanged);
    // Pause between requests 3 and 4, deterministically (the worker pauses right after request 3).
    w.controller()->setPauseAfterRequests(3);
    QTest::mouseClick(button(w, "runButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(w.controller()->state() == RunController::State::Paused, kRunTimeoutMs);
    const RunTrack* run = w.history()->current();
    QCOMPARE(int(run->points.size()), 3);
    const Bytes newMax = ControlPanel::sliderToBytes(0);
    QCOMPARE(newMax, Bytes(1) << 20);
    QVERIFY2(run->cache.usedBytes > newMax, "the fixture must fill more than the slider's minimum");
    QCOMPARE(run->cache.counters.evictions[std::size_t(EvictReason::PolicyChange)], 0u);

    slider->setValue(0);  // as a user's keyboard/drag end would: valueChanged with the slider not held
    QCOMPARE(w.history()->current()->live.capacityBytes, newMax);

    // Resume with the Pause/Resume button; the runner applies the new max before the next request.
    QCOMPARE(button(w, "pauseButton")->text(), QStringLiteral("Resume"));
    QTest::mouseClick(button(w, "pauseButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(
        w.history()->current()->live.counters.evictions[std::size_t(EvictReason::PolicyChange)] > 0,
        kRunTimeoutMs);
    QVERIFY(ended.wait(kRunTimeoutMs) || ended.count() > 0);
    run = w.history()->current();
    QVERIFY(run->summary);
    QVERIFY2(run->error.isEmpty(), qPrintable(run->error));
    QVERIFY(!run->summary->cancelled);
    QCOMPARE(int(run->points.size()), kFixtureRequests);
    for (std::size_t i = 3; i < run->points.size(); ++i) {
      QVERIFY(run->points[i].evictions[std::size_t(EvictReason::PolicyChange)] > 0);
      QVERIFY2(run->points[i].usedBytes <= newMax, qPrintable(QString::number(run->points[i].usedBytes)));
      QCOMPARE(run->points[i].capacityBytes, newMax);
    }
    Bytes layerTotal = 0;
    for (Bytes b : run->cache.layerBytes) layerTotal += b;
    QVERIFY(layerTotal <= newMax);
    // The eviction chart's policy-change line rose; the log holds policy-change evictions.
    QLineSeries* policy = lineSeries(w, QStringLiteral("evictionsMaxSizeLowered"));
    QVERIFY(policy && policy->count() > 0);
    QVERIFY(policy->at(policy->count() - 1).y() > 0);
    EventLogFilter* filter = w.eventLog()->filter();
    filter->setTypeFilter(CacheEventType::Eviction);
    bool sawPolicyChange = false;
    for (int r = 0; r < filter->rowCount(); ++r)
      sawPolicyChange |=
          filter->index(r, EventLogModel::Reason).data().toString() == QLatin1String("max size lowered");
    QVERIFY(sawPolicyChange);
  }

  void exportsWriteFiles() {
    MainWindow w;
    w.setInteractive(false);
    useFixture(w);
    w.show();
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    QTest::mouseClick(button(w, "runButton"), Qt::LeftButton);
    QVERIFY(ended.wait(kRunTimeoutMs));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QStringList files = w.exporter().exportAll(dir.path());
    // The decode lesson is not exported for a prefix-cache run, nor the tier chart for a run with one tier.
    qsizetype applies = 0;
    for (const ChartPanel* chart : w.charts()) applies += chart->appliesTo(w.history()->current()) ? 1 : 0;
    QCOMPARE(applies, w.charts().size() - 2);
    QCOMPARE(files.size(), 2 * applies + 3);
    for (const QString& path : files) {
      QFile f(path);
      QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
      const QByteArray bytes = f.readAll();
      QVERIFY2(bytes.size() > 100, qPrintable(path));
      if (path.endsWith(QLatin1String(".png"))) QVERIFY(bytes.startsWith("\x89PNG"));
      if (path.endsWith(QLatin1String(".svg"))) QVERIFY(bytes.contains("<svg"));
      if (path.endsWith(QLatin1String(".pdf"))) QVERIFY(bytes.startsWith("%PDF"));
      if (path.endsWith(QLatin1String(".csv"))) QVERIFY(bytes.count('\n') > 1);
      QVERIFY(!QFile::exists(path + QStringLiteral(".partial")));
    }
    QFile requests(dir.filePath(QStringLiteral("requests.csv")));
    QVERIFY(requests.open(QIODevice::ReadOnly));
    QCOMPARE(requests.readAll().count('\n'), kFixtureRequests + 1);
  }

  void settingsPersist() {
    QSize savedSize;
    {
      MainWindow a;
      a.show();
      useFixture(a);
      a.findChild<QComboBox*>(QStringLiteral("granularityCombo"))->setCurrentText(QStringLiteral("radix"));
      a.findChild<QComboBox*>(QStringLiteral("policyCombo"))->setCurrentIndex(1);
      a.findChild<QSlider*>(QStringLiteral("maxSizeSlider"))
          ->setValue(ControlPanel::bytesToSlider(Bytes(256) << 20));
      a.findChild<QSlider*>(QStringLiteral("ttlSlider"))->setValue(ControlPanel::ttlToSlider(30000));
      a.findChild<QSpinBox*>(QStringLiteral("seedSpin"))->setValue(11);
      a.resize(1150, 800);
      savedSize = a.size();
      a.saveSettings();
    }
    MainWindow b;
    b.restoreSettings();
    const RunSettings s = b.controlPanel()->settings();
    QCOMPARE(QString::fromStdString(s.scenario), kFixture);
    QVERIFY(*s.granularity == Granularity::Radix);
    QCOMPARE(*s.maxBytes, ControlPanel::sliderToBytes(ControlPanel::bytesToSlider(Bytes(256) << 20)));
    QCOMPARE(*s.ttlMs, ControlPanel::sliderToTtl(ControlPanel::ttlToSlider(30000)));
    QCOMPARE(*s.seed, std::uint64_t(11));
    QVERIFY(*s.policy != "lru");
    QCOMPARE(b.size(), savedSize);
    QVERIFY(QSettings().contains(QStringLiteral("window/state")));
  }

  void stopCancelsAndRunsStayForComparison() {
    MainWindow w;
    w.setInteractive(false);
    useFixture(w);
    w.show();
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    QTest::mouseClick(button(w, "runButton"), Qt::LeftButton);
    QVERIFY(ended.wait(kRunTimeoutMs));
    // Second run: pause after one request, then Stop.
    w.controller()->setPauseAfterRequests(1);
    QTest::mouseClick(button(w, "runButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(w.controller()->state() == RunController::State::Paused, kRunTimeoutMs);
    QTest::mouseClick(button(w, "stopButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(w.controller()->state() == RunController::State::Idle, kRunTimeoutMs);
    const RunTrack* run = w.history()->current();
    QVERIFY(run->summary && run->summary->cancelled);
    QVERIFY(int(run->points.size()) < kFixtureRequests);
    QCOMPARE(w.history()->earlierCount(), 1);
    // The earlier run is a dashed series of its own colour, named by its number and what differs from the
    // other runs (here nothing: the same settings), beside the windowed, cumulative and bound lines.
    const QList<QAbstractSeries*> series = chartNamed(w, QStringLiteral("hit-rate"))->chart()->series();
    QCOMPARE(series.size(), 4);
    QCOMPARE(series.last()->name(), QStringLiteral("#1 (same settings)"));
    w.history()->clearEarlier();
    QCOMPARE(chartNamed(w, QStringLiteral("hit-rate"))->chart()->series().size(), 3);
  }

  void sliderScales_data() {
    QTest::addColumn<qulonglong>("bytes");
    QTest::newRow("1 MiB") << (qulonglong(1) << 20);
    QTest::newRow("256 MiB") << (qulonglong(256) << 20);
    QTest::newRow("1 GiB") << (qulonglong(1) << 30);
    QTest::newRow("64 GiB") << (qulonglong(64) << 30);
  }
  void sliderScales() {
    QFETCH(qulonglong, bytes);
    const Bytes back = ControlPanel::sliderToBytes(ControlPanel::bytesToSlider(bytes));
    QVERIFY2(std::abs(double(back) / double(bytes) - 1.0) < 0.005,
             qPrintable(QString::fromStdString(formatBytes(back))));
    QCOMPARE(ControlPanel::sliderToTtl(0), TimeMs(0));
    QCOMPARE(ControlPanel::ttlToSlider(0), 0);
    QCOMPARE(ControlPanel::sliderToTtl(ControlPanel::kTtlSteps), TimeMs(2 * 3600 * 1000));
  }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
