// SPDX-License-Identifier: MIT
// The live view as a lecturer and an engineer use it (issue 9, issue 8 section 5): a trace opened with the
// defaults replays with the trace's conventions (hit rate worked by hand below), presentation mode shows one
// chart at a time in large type, a Stop pressed while the previous run unwinds is not lost, pinning works
// from the GUI, the request view draws one cell per cache unit and says why tokens were computed, and the
// TTL mode reaches the run settings. Synchronisation only through signals; no sleeps, no timing asserts.
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "ui/chart_panel.h"
#include "ui/control_panel.h"
#include "ui/hit_rate_chart.h"
#include "ui/live_page.h"
#include "ui/main_window.h"
#include "ui/prompt_blocks_widget.h"
#include "ui/request_view.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"
#include "ui/type_scale.h"

using namespace kvlab;

namespace {
constexpr int kRunTimeoutMs = 120000;
const QString kFixture = QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny.json");
const QString kTrace = QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny-trace.jsonl");
constexpr int kFixtureRequests = 6;

QLineSeries* lineSeries(const MainWindow& w, const QString& name) {
  for (ChartPanel* chart : w.charts())
    for (QAbstractSeries* s : chart->chart()->series())
      if (s->objectName() == name) return qobject_cast<QLineSeries*>(s);
  return nullptr;
}

void select(MainWindow& w, const QString& scenario) {
  RunSettings s;
  s.scenario = scenario.toStdString();
  w.controlPanel()->applySettings(s);
}
}  // namespace

class TestLiveView : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("kvlab-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_live_view"));
    qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR);
    QSettings().clear();
  }

  void traceGetsTheTraceConventions() {
    MainWindow w;
    w.setInteractive(false);
    select(w, kTrace);
    const RunSettings s = w.controlPanel()->settings();
    QCOMPARE(*s.blockSize, ControlPanel::kTraceBlockSize);
    QCOMPARE(*s.model, std::string(ControlPanel::kTraceModel));
    QCOMPARE(*s.maxBytes, ControlPanel::kTraceMaxBytes);  // exact, not the nearest slider step
    QCOMPARE(s.hardware, std::string("h100-sxm"));
    // What a trace does not use is greyed out.
    for (const char* name : {"granularityCombo", "deviceCombo", "seedSpin"})
      QVERIFY2(!w.findChild<QWidget*>(QLatin1String(name))->isEnabled(), name);
    QVERIFY(w.findChild<QWidget*>(QStringLiteral("hardwareCombo"))->isEnabled());
    QVERIFY(w.findChild<QSpinBox*>(QStringLiteral("blockSizeSpin"))->isEnabled());
    // A bundled scenario enables them again.
    select(w, kFixture);
    QVERIFY(w.findChild<QWidget*>(QStringLiteral("deviceCombo"))->isEnabled());
    QVERIFY(!w.findChild<QWidget*>(QStringLiteral("hardwareCombo"))->isEnabled());
  }

  void traceReplayHitRateByHand() {
    // tiny-trace.jsonl, 512 tokens per hash id, nothing evicted (32 GiB):
    //   request 1: 1024 tokens, ids [1, 2]     -> nothing cached yet: 0 hit
    //   request 2: 1536 tokens, ids [1, 2, 3]  -> ids 1, 2 cached: 1024 hit
    //   request 3: 1000 tokens, ids [1, 4]     -> id 1 cached: 512 hit
    // token hit rate = (0 + 1024 + 512) / (1024 + 1536 + 1000) = 1536 / 3560 = 43.15 %.
    // (With the old GUI default of 16 tokens per id it was (2 + 1) * 16 / 3560 = 1.3 %.)
    MainWindow w;
    w.setInteractive(false);
    select(w, kTrace);
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    w.controlPanel()->run();
    QVERIFY(ended.wait(kRunTimeoutMs));
    const RunTrack* run = w.history()->current();
    QVERIFY(run && run->summary);
    QVERIFY2(run->error.isEmpty(), qPrintable(run->error));
    QCOMPARE(int(run->points.size()), 3);
    QCOMPARE(run->points.back().cumHitTokens, std::uint64_t(1536));
    QCOMPARE(run->points.back().cumQueriedTokens, std::uint64_t(3560));
    QVERIFY(std::abs(run->summary->tokenHitRate - 1536.0 / 3560.0) < 1e-12);
    QCOMPARE(run->info.layers, 32);  // llama-3-8b
    QCOMPARE(run->info.hardware, std::string("h100-sxm"));
    // Cold misses only: 1024 + 512 + 488 computed tokens, all never seen before.
    const MissBreakdown misses = RunHistory::missesSoFar(*run);
    QCOMPARE(misses.tokens[std::size_t(MissReason::Cold)], std::uint64_t(3560 - 1536));
    // The request view names no fake session and draws the saving as two bars.
    QVERIFY(!w.findChild<QLabel*>(QStringLiteral("requestHeadline"))
                 ->text()
                 .contains(QStringLiteral("(request")));
    // The speedup chart's title says "cost model"; the page's headline names the hardware (the title had no
    // room for it at 1,472 px).
    bool labelled = false;
    for (ChartPanel* chart : w.charts())
      labelled |= chart->chart()->title() == QStringLiteral("TTFT and speedup (cost model)");
    QVERIFY(labelled);
    QVERIFY2(w.livePage()->headlineText().contains(QStringLiteral("(cost model, h100-sxm)")),
             qPrintable(w.livePage()->headlineText()));
    // Occupancy of a trace is by reuse count, not one "layer 0" bar.
    for (ChartPanel* chart : w.charts())
      if (chart->fileStem() == QLatin1String("layer-occupancy"))
        QVERIFY(chart->chart()->title().contains(QStringLiteral("reuse")));
    // The infinite-cache bound (an unbounded replay off the GUI thread): nothing is ever evicted at 32 GiB,
    // so it is the run's own 1536 / 3560. The headline says the run reached it, with the prefill time saved
    // from the cost model.
    QTRY_VERIFY_WITH_TIMEOUT(w.livePage()->bound().has_value(), kRunTimeoutMs);
    QVERIFY(std::abs(*w.livePage()->bound() - 1536.0 / 3560.0) < 1e-12);
    const QString headline = w.livePage()->headlineText();
    QVERIFY2(headline.startsWith(QStringLiteral("Token hit rate 43 % · prefill time saved")), qPrintable(headline));
    QVERIFY2(headline.contains(QStringLiteral("That is the infinite-cache bound (43 %)")), qPrintable(headline));
    // The hit-rate axis fits the data (43 % and the bound), not 0-100 %: the top is 43.15 x 1.05 + 3 %.
    auto* hitRate = qobject_cast<HitRateChart*>(w.charts().first());
    QVERIFY(hitRate);
    QVERIFY2(hitRate->yAxis()->max() >= 43.15 && hitRate->yAxis()->max() < 47.0,
             qPrintable(QString::number(hitRate->yAxis()->max())));
    QVERIFY(hitRate->boundLine()->isVisible());
    QCOMPARE(hitRate->boundLine()->count(), 2);
    QVERIFY(std::abs(hitRate->boundLine()->at(0).y() - 100 * 1536.0 / 3560.0) < 1e-9);
  }

  void evictionChartExplainsAnEmptyChart() {
    MainWindow w;
    w.setInteractive(false);
    select(w, kFixture);  // 1 GiB for ~2 MiB of K/V: nothing is evicted
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    w.controlPanel()->run();
    QVERIFY(ended.wait(kRunTimeoutMs));
    ChartPanel* evictions = nullptr;
    for (ChartPanel* chart : w.charts())
      if (chart->fileStem() == QLatin1String("evictions")) evictions = chart;
    QVERIFY(evictions);
    QVERIFY2(evictions->notice().startsWith(QStringLiteral("No evictions: the cache never filled")),
             qPrintable(evictions->notice()));
    // The ideal (FLOP) speedup is drawn beside the measured one.
    QVERIFY(lineSeries(w, QStringLiteral("speedupIdeal"))->count() > 0);
    QVERIFY(lineSeries(w, QStringLiteral("speedupIdeal"))->at(kFixtureRequests - 1).y() > 1.0);
  }

  void presentationModeShowsOneChartLarge() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const qreal normalPoint = QApplication::font().pointSizeF();
    auto* promptText = w.findChild<QLabel*>(QStringLiteral("promptText"));
    QVERIFY(promptText);
    const int normalPromptPixels = QFontInfo(promptText->font()).pixelSize();
    w.setPresentationMode(true);
    QVERIFY(w.presentationMode());
    // Projector type (ui/type_scale.h): 20 px body text.
    QCOMPARE(QApplication::font().pixelSize(), TypeScale::presentation().pixels(TextRole::Body));
    // The prompt text has its own monospace font: it must grow with the rest (it stayed small once).
    QVERIFY(QFontInfo(promptText->font()).pixelSize() >= 18);
    QVERIFY(QFontInfo(promptText->font()).pixelSize() > normalPromptPixels);
    for (QDockWidget* dock : w.findChildren<QDockWidget*>()) QVERIFY(!dock->isVisible());
    int visible = 0;
    for (ChartPanel* chart : w.charts()) visible += chart->isVisible() ? 1 : 0;
    QCOMPARE(visible, 1);
    QVERIFY(w.charts().first()->typeScale().isPresentation());
    QVERIFY(w.findChild<RequestView*>(QStringLiteral("requestView"))->isVisible());
    // Arrow keys cycle, wrapping around, over the charts that apply (no run: all but the decode lesson).
    QTest::keyClick(&w, Qt::Key_Right);
    QCOMPARE(w.presentedChart(), 1);
    QVERIFY(w.charts()[1]->isVisible() && !w.charts()[0]->isVisible());
    QTest::keyClick(&w, Qt::Key_Left);
    QTest::keyClick(&w, Qt::Key_Left);
    int last = int(w.charts().size()) - 1;
    while (!w.charts()[last]->appliesTo(nullptr)) --last;
    QCOMPARE(w.presentedChart(), last);
    w.setPresentationMode(false);
    QVERIFY(std::abs(QApplication::font().pointSizeF() - normalPoint) < 0.01);
    for (ChartPanel* chart : w.charts()) QCOMPARE(chart->isVisible(), chart->appliesTo(nullptr));
    for (QDockWidget* dock : w.findChildren<QDockWidget*>()) QVERIFY(dock->isVisible());
  }

  void stopWhileThePreviousRunUnwindsIsNotLost() {
    // Run A starts; Restart queues run B behind A; Stop right away. With one shared flag, B's start reset
    // it and B ran to the end; with per-run tokens B is cancelled before it serves a request.
    MainWindow w;
    w.setInteractive(false);
    select(w, kFixture);
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    const int first = w.controller()->start(w.controlPanel()->settings());
    const int second = w.controller()->start(w.controlPanel()->settings());
    w.controller()->stop();
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 2, kRunTimeoutMs);
    QCOMPARE(ended.at(0).at(0).toInt(), first);
    QCOMPARE(ended.at(1).at(0).toInt(), second);
    QCOMPARE(w.controller()->state(), RunController::State::Idle);
    const RunTrack* run = w.history()->current();
    if (run && run->runId == second) {
      QVERIFY(run->summary && run->summary->cancelled);
      QCOMPARE(int(run->points.size()), 0);
    }
    for (const RunTrack& r : w.history()->runs()) QVERIFY(int(r.points.size()) < kFixtureRequests);
  }

  void pinnedBudgetAndPinPrefix() {
    MainWindow w;
    w.setInteractive(false);
    select(w, kFixture);
    RunSettings s = w.controlPanel()->settings();
    s.scenario.clear();
    s.pinnedBudgetBytes = Bytes(64) << 20;
    w.controlPanel()->applySettings(s);
    QCOMPARE(w.controlPanel()->settings().pinnedBudgetBytes,
             ControlPanel::sliderToPinned(ControlPanel::bytesToSlider(Bytes(64) << 20)));
    w.controller()->setPauseAfterRequests(1);
    w.controlPanel()->run();
    QTRY_VERIFY_WITH_TIMEOUT(w.controller()->state() == RunController::State::Paused, kRunTimeoutMs);
    const RunTrack* run = w.history()->current();
    QCOMPARE(int(run->points.size()), 1);
    // The first segment (the 2000-token system prompt) is pinned automatically: 125 full blocks of 16.
    const Bytes afterFirst = run->points.back().pinnedBytes;
    QVERIFY(afterFirst > 0);
    // "Pin this request's prefix": up to its last boundary, more than the system prompt alone.
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    Q_EMIT w.findChild<RequestView*>(QStringLiteral("requestView"))->pinRequested(0);
    w.controller()->setPauseAfterRequests(2);
    w.controller()->resume();
    QTRY_VERIFY_WITH_TIMEOUT(w.controller()->state() == RunController::State::Paused, kRunTimeoutMs);
    QVERIFY2(run->points.back().pinnedBytes >= afterFirst, "pinning never unpins");
    QVERIFY(lineSeries(w, QStringLiteral("memoryPinned"))->count() > 0);
    w.controller()->stop();
    QVERIFY(ended.wait(kRunTimeoutMs));
  }

  void requestCellsFollowTheGranularity() {
    PromptBlocksWidget blocks;
    blocks.setPrompt(100, 40, 16);  // ceil(100 / 16) = 7 blocks
    QCOMPARE(blocks.cellCount(), 7);
    blocks.setUnits(100, 40, {30, 60, 100});  // three radix nodes / prompt entries
    QCOMPARE(blocks.cellCount(), 3);
    blocks.setUnits(100, 40, {30, 30, 20, 90});  // repeated and out-of-order ends are dropped; the end added
    QCOMPARE(blocks.cellCount(), 3);
  }

  void missTextNamesEachReason() {
    MissBreakdown m;
    m.tokens[std::size_t(MissReason::Cold)] = 120;
    m.tokens[std::size_t(MissReason::Evicted)] = 40;
    m.tooLarge = 7;
    // The counts are computed tokens, named by why they were computed (issue 22: "evicted 40" read as 40
    // evictions).
    QCOMPARE(
        RequestView::missText(m),
        QStringLiteral("first use 120 · recomputed after eviction 40 (not stored: 7 tokens of prompts larger "
                       "than the whole cache)"));
    QCOMPARE(RequestView::missText(MissBreakdown{}), QStringLiteral("none"));
  }

  // Issue 23: where a cached request's TTFT went, from the runner's timers. Worked by hand: TTFT 100 ms =
  // lookup 2 + assembly 8 + compute 90; the ideal is the uncached 500 ms x 1e9 / 1e10 FLOPs = 50 ms.
  void breakdownTextSplitsTheCachedTtft() {
    RequestRecord r;
    r.promptTokens = 1000;
    r.hitTokens = 900;
    r.ttftCachedMs = 100;
    r.lookupMs = 2;
    r.assemblyMs = 8;
    r.ttftUncachedMs = 500;
    r.flopsCached = 1e9;
    r.flopsUncached = 1e10;
    QCOMPARE(RequestView::breakdownText(r),
             QStringLiteral("<b>Where the cached TTFT went</b> · lookup 2.0 ms · assembly 8.0 ms · compute 90.0 ms"
                            " · ideal 50.0 ms (uncached TTFT × FLOPs still computed)"));
    r.ttftUncachedMs = -1;  // no baseline: no ideal
    QVERIFY(!RequestView::breakdownText(r).contains(QStringLiteral("ideal")));
    r.hitTokens = 0;  // nothing reused: nothing to break down
    QVERIFY(RequestView::breakdownText(r).isEmpty());
    r.hitTokens = 900;
    r.simulated = true;  // cost model: no timers
    QVERIFY(RequestView::breakdownText(r).isEmpty());
  }

  // Issue 8: a value given on the command line or in a scenario is used exactly (48 MiB = 50,331,648 bytes,
  // not the nearest of the slider's logarithmic steps; 20 s = 20,000 ms), and shown so, until the user moves
  // that slider; from then on the slider's own value counts.
  void exactValuesUntilTheSliderMoves() {
    MainWindow w;
    w.setInteractive(false);
    RunSettings s;
    s.scenario.clear();
    s.maxBytes = Bytes(48) << 20;
    s.ttlMs = 20000;
    w.controlPanel()->applySettings(s);
    QCOMPARE(*w.controlPanel()->settings().maxBytes, Bytes(50331648));
    QCOMPARE(*w.controlPanel()->settings().ttlMs, TimeMs(20000));
    auto* size = w.findChild<QSlider*>(QStringLiteral("maxSizeSlider"));
    auto* ttl = w.findChild<QSlider*>(QStringLiteral("ttlSlider"));
    QVERIFY(size && ttl);
    const int sizeStep = size->value() == size->maximum() ? size->value() - 1 : size->value() + 1;
    size->setValue(sizeStep);
    QCOMPARE(*w.controlPanel()->settings().maxBytes, ControlPanel::sliderToBytes(sizeStep));
    QCOMPARE(*w.controlPanel()->settings().ttlMs, TimeMs(20000));  // the TTL slider was not moved
    const int ttlStep = ttl->value() == ttl->maximum() ? ttl->value() - 1 : ttl->value() + 1;
    ttl->setValue(ttlStep);
    QCOMPARE(*w.controlPanel()->settings().ttlMs, ControlPanel::sliderToTtl(ttlStep));
  }

  void ttlModeReachesTheSettings() {
    MainWindow w;
    auto* mode = w.findChild<QComboBox*>(QStringLiteral("ttlModeCombo"));
    QVERIFY(mode);
    mode->setCurrentIndex(mode->findData(int(TtlMode::Age)));
    QVERIFY(*w.controlPanel()->settings().ttlMode == TtlMode::Age);
    RunSettings s;
    s.scenario.clear();
    s.ttlMode = TtlMode::Idle;
    w.controlPanel()->applySettings(s);
    QVERIFY(*w.controlPanel()->settings().ttlMode == TtlMode::Idle);
  }
};

QTEST_MAIN(TestLiveView)
#include "tst_live_view.moc"
