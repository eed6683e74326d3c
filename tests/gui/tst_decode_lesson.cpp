// SPDX-License-Identifier: MIT
// The decode lesson chart (issue 11): tests/data/tiny-decode.json run through the real RunController and
// RunWorker, with quiet timing on and off. The chart must hold one point per decode step on each line (the
// fixture says 24 output tokens), its cumulative lines must be the running sums of its per-step lines
// (summed here, independently of the chart), its per-step points must be RunSummary::decode's times, and
// with quiet timing the steps must reach the chart while the run goes on (more than one batch), and
// its footer must give the summary's speedup, token check and logit difference. In the main window a
// decode run shows the lesson instead of the prefix-cache charts, which say why if looked at, exports the
// lesson with its per-step CSV, and presentation mode cycles only it.
// Synchronisation only through signals (QSignalSpy::wait, QTRY_*): no sleeps, no timing asserts.
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include "ui/chart_panel.h"
#include "ui/control_panel.h"
#include "ui/decode_lesson_chart.h"
#include "ui/live_page.h"
#include "ui/run_status_bar.h"
#include "ui/main_window.h"
#include "ui/report_exporter.h"
#include "ui/request_view.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"

using namespace kvlab;

namespace {
constexpr int kRunTimeoutMs = 240000;
const char* const kFixture = KVLAB_TEST_DATA_DIR "/tiny-decode.json";
constexpr int kFixtureSteps = 24;  // the file's "output_tokens"

DecodeLessonChart* lessonOf(const MainWindow& w) {
  for (ChartPanel* chart : w.charts())
    if (auto* lesson = qobject_cast<DecodeLessonChart*>(chart)) return lesson;
  return nullptr;
}
}  // namespace

class TestDecodeLesson : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase();
  void chartFollowsTheWorker_data();
  void chartFollowsTheWorker();
  void mainWindowShowsTheLesson();
};

void TestDecodeLesson::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  QCoreApplication::setOrganizationName(QStringLiteral("kvlab-tests"));
  QCoreApplication::setApplicationName(QStringLiteral("tst_decode_lesson"));
  qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR);
  QSettings().clear();
}

void TestDecodeLesson::chartFollowsTheWorker_data() {
  QTest::addColumn<bool>("quiet");
  QTest::newRow("drawing while timed") << false;
  QTest::newRow("quiet timing") << true;
}

void TestDecodeLesson::chartFollowsTheWorker() {
  QFETCH(bool, quiet);
  RunController controller;
  RunHistory history;
  QObject::connect(&controller, &RunController::batchReady, &history, &RunHistory::apply);
  int batchesWithSteps = 0;
  QObject::connect(&controller, &RunController::batchReady, &history,
                   [&](const RunBatch& batch) { batchesWithSteps += batch.decodeSteps.empty() ? 0 : 1; });
  DecodeLessonChart chart(&history);
  chart.show();
  controller.setQuietTiming(quiet);
  QSignalSpy failed(&controller, &RunController::runFailed);
  QSignalSpy ended(&controller, &RunController::runEnded);
  RunSettings settings;
  settings.scenario = kFixture;
  controller.start(settings);
  QVERIFY(ended.wait(kRunTimeoutMs));
  QCOMPARE(failed.count(), 0);
  QTRY_VERIFY(history.current() && history.current()->finished());

  const RunTrack& run = *history.current();
  QVERIFY(chart.appliesTo(&run));
  QVERIFY(run.summary->decode.has_value());
  const DecodeComparison& d = *run.summary->decode;
  QVERIFY2(run.summary->error.empty(), run.summary->error.c_str());
  QCOMPARE(int(d.stepMsCached.size()), kFixtureSteps);

  // One point per step on each line, x = step index, y = the summary's measured time of that step.
  for (QLineSeries* series :
       {chart.stepCached(), chart.stepUncached(), chart.cumulativeCached(), chart.cumulativeUncached()})
    QCOMPARE(series->count(), kFixtureSteps);
  double sumCached = 0, sumUncached = 0;
  for (int i = 0; i < kFixtureSteps; ++i) {
    QCOMPARE(chart.stepCached()->at(i).x(), double(i));
    QCOMPARE(chart.stepCached()->at(i).y(), d.stepMsCached[std::size_t(i)]);
    QCOMPARE(chart.stepUncached()->at(i).y(), d.stepMsUncached[std::size_t(i)]);
    // Cumulative = running sum of the per-step series (in the bottom plot's unit).
    sumCached += chart.stepCached()->at(i).y();
    sumUncached += chart.stepUncached()->at(i).y();
    QVERIFY(qFuzzyCompare(chart.cumulativeCached()->at(i).y() * chart.cumulativeDivisor(), sumCached));
    QVERIFY(qFuzzyCompare(chart.cumulativeUncached()->at(i).y() * chart.cumulativeDivisor(), sumUncached));
  }
  QVERIFY(qFuzzyCompare(sumCached, d.totalMsCached));
  QVERIFY(qFuzzyCompare(sumUncached, d.totalMsUncached));
  // Quiet timing waits for the GUI after every step, so the steps cannot all arrive in one batch at the end:
  // the chart grows while the run goes on.
  if (quiet) QVERIFY2(batchesWithSteps > 1, qPrintable(QString::number(batchesWithSteps)));

  // The summary numbers, as the summary has them.
  QVERIFY(d.tokensIdentical);
  const QString footer = chart.footer();
  QVERIFY2(footer.contains(QStringLiteral("decode speedup %1×").arg(d.speedup, 0, 'f', 2)),
           qPrintable(footer));
  QVERIFY2(footer.contains(QStringLiteral("identical tokens: yes")), qPrintable(footer));
  QVERIFY2(
      footer.contains(QStringLiteral("max |logit diff| %1").arg(QString::number(d.maxAbsLogitDiff, 'g', 2))),
      qPrintable(footer));
  QVERIFY(chart.charts().size() == 2);
  QVERIFY(chart.charts()[1]->title().contains(QStringLiteral("%1×").arg(d.speedup, 0, 'f', 2)));
}

void TestDecodeLesson::mainWindowShowsTheLesson() {
  MainWindow w;
  w.setInteractive(false);
  w.show();
  DecodeLessonChart* lesson = lessonOf(w);
  QVERIFY(lesson);
  QVERIFY(!lesson->isVisible());  // no run yet: the prefix-cache charts
  RunSettings s;
  s.scenario = kFixture;
  w.controlPanel()->applySettings(s);
  QSignalSpy ended(w.controller(), &RunController::runEnded);
  w.controlPanel()->run();
  QVERIFY(ended.wait(kRunTimeoutMs));
  QTRY_VERIFY(w.history()->current() && w.history()->current()->finished());
  QCOMPARE(lesson->stepCached()->count(), kFixtureSteps);

  // Only the lesson is shown; the other charts say why if looked at (exports, presentation). The request
  // view (what the shared cache saved) is left out too.
  QVERIFY(lesson->isVisible());
  QVERIFY(!w.findChild<RequestView*>(QStringLiteral("requestView"))->isVisible());
  for (ChartPanel* chart : w.charts()) {
    if (chart == lesson) continue;
    QVERIFY2(!chart->isVisible(), qPrintable(chart->fileStem()));
    QVERIFY2(chart->notice().contains(QStringLiteral("decode")), qPrintable(chart->fileStem()));
  }

  // The status bar counts decode steps; a decode run's one request is at scenario time 0, which said
  // "scenario time 0 ms" beside a run of seconds.
  QVERIFY2(!w.runStatusBar()->elapsedText().contains(QStringLiteral("scenario time")),
           qPrintable(w.runStatusBar()->elapsedText()));
  // The headline gives the decode speedup.
  QVERIFY2(w.livePage()->headlineText().startsWith(QStringLiteral("Decode with the KV cache:")),
           qPrintable(w.livePage()->headlineText()));

  // Exports: the lesson's PNG and SVG, its steps as CSV (header + one row per step), the report.
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QStringList files = w.exporter().exportAll(dir.path());
  QVERIFY(files.contains(dir.filePath(QStringLiteral("decode.png"))));
  QVERIFY(files.contains(dir.filePath(QStringLiteral("decode.svg"))));
  QVERIFY(!files.contains(dir.filePath(QStringLiteral("hit-rate.png"))));
  QFile csv(dir.filePath(QStringLiteral("decode-steps.csv")));
  QVERIFY(csv.open(QIODevice::ReadOnly));
  const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
  QCOMPARE(lines.size(), kFixtureSteps + 1);
  QVERIFY(lines.first().startsWith("step,ms_cached,ms_uncached,cumulative_ms_cached"));
  QFile pdf(dir.filePath(QStringLiteral("report.pdf")));
  QVERIFY(pdf.open(QIODevice::ReadOnly));
  QVERIFY(pdf.readAll().startsWith("%PDF"));

  // Presentation mode shows the lesson and the arrow keys stay on it (nothing else applies).
  w.setPresentationMode(true);
  QCOMPARE(w.charts()[w.presentedChart()], lesson);
  QTest::keyClick(&w, Qt::Key_Right);
  QCOMPARE(w.charts()[w.presentedChart()], lesson);
  QVERIFY(lesson->isVisible());
  QVERIFY(lesson->typeScale().isPresentation());
  w.setPresentationMode(false);
  QVERIFY(lesson->isVisible());
}

QTEST_MAIN(TestDecodeLesson)
#include "tst_decode_lesson.moc"
