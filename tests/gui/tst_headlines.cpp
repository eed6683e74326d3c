// SPDX-License-Identifier: MIT
// Each page's headline for a small case worked by hand: Live (a trace replay and a real run measured below
// and above the ideal speedup), Serving (with vs without prefix caching on an overloaded engine), Fleet
// (routers against the shared-cache bound) and Tune (the best policy at a size, Belady above it and below
// a real policy). The working is in the comments; every expected string is written here, not printed by the
// code under test.
#include <QtTest>

#include "ui/fleet_headline.h"
#include "ui/live_headline.h"
#include "ui/request_view.h"
#include "ui/run_history.h"
#include "ui/serving_headline.h"
#include "ui/tune_headline.h"
#include "ui/tune_results.h"

using namespace kvlab;

namespace {

QString plain(const QString& html) {
  QString s = html;
  s.remove(QStringLiteral("<b>")).remove(QStringLiteral("</b>"));
  return s;
}

RequestPoint requestPoint(int index, std::uint32_t prompt, std::uint32_t hit, double cachedMs,
                          double uncachedMs, double flopsCached, double flopsUncached, std::uint64_t cumHit,
                          std::uint64_t cumQueried) {
  RequestPoint p;
  p.index = index;
  p.promptTokens = prompt;
  p.hitTokens = hit;
  p.ttftCachedMs = cachedMs;
  p.ttftUncachedMs = uncachedMs;
  p.flopsCached = flopsCached;
  p.flopsUncached = flopsUncached;
  p.cumHitTokens = cumHit;
  p.cumQueriedTokens = cumQueried;
  p.csvRow.lookupMs = 30;
  return p;
}

SweepPoint sweepPoint(const std::string& policy, std::uint64_t size, std::uint64_t hits) {
  SweepPoint p;
  p.config.policy = policy;
  p.config.maxTokens = size;
  p.result.promptTokens = 1000;
  p.result.hitTokens = hits;
  return p;
}

}  // namespace

class TestHeadlines : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void liveTrace() {
    // Two requests of 1000 tokens: the second reuses 500. Counters: 500 of 2000 = 25 %. Cost model: Σ cached
    // 100 + 50 = 150 ms, Σ uncached 200 ms: 1 - 150/200 = 25 % of prefill time saved. Bound 50 %: at most
    // 50 - 25 = 25.0 points more.
    RunTrack run;
    run.info.simulated = true;
    run.info.hardware = "h100-sxm";
    run.points = {requestPoint(0, 1000, 0, 100, 100, 0, 0, 0, 1000),
                  requestPoint(1, 1000, 500, 50, 100, 0, 0, 500, 2000)};
    run.summary = RunSummary{};
    run.summary->tokenHitRate = 0.25;
    const LiveHeadlineText t = LiveHeadline::compose(&run, 0.5);
    QCOMPARE(plain(t.headline),
             QStringLiteral("Token hit rate 25 % · prefill time saved 25 % (cost model, h100-sxm)"));
    QVERIFY2(t.detail.contains(QStringLiteral("500 of 2000 prompt tokens came from the cache")),
             qPrintable(t.detail));
    QVERIFY2(t.detail.contains(QStringLiteral("bound for this source is 50 %")), qPrintable(t.detail));
    QVERIFY2(t.detail.contains(QStringLiteral("at most 25.0 points")), qPrintable(t.detail));
  }

  void liveMeasuredBelowIdeal() {
    // Σ cached 200 + 100 = 300 ms, Σ uncached 400 + 400 = 800 ms: 2.67x measured. FLOPs 8e9 / 2e9: 4.00x.
    // Per GFLOP: cached 300 ms / 2 = 150.00, uncached 800 / 8 = 100.00. Lookup 30 + 30 = 60 of 300 ms = 20 %.
    RunTrack run;
    run.points = {requestPoint(0, 100, 0, 200, 400, 1e9, 4e9, 0, 100),
                  requestPoint(1, 100, 75, 100, 400, 1e9, 4e9, 75, 200)};
    const LiveHeadlineText t = LiveHeadline::compose(&run, std::nullopt);
    QCOMPARE(plain(t.headline),
             QStringLiteral(
                 "Token hit rate 38 % · TTFT 2.67× faster with the cache, measured (ideal 4.00× in FLOPs)"));
    QVERIFY2(t.detail.contains(QStringLiteral("Measured below ideal")), qPrintable(t.detail));
    QVERIFY2(t.detail.contains(QStringLiteral("150.00 vs 100.00 ms per GFLOP")), qPrintable(t.detail));
    QVERIFY2(t.detail.contains(QStringLiteral("20 % of the cached TTFT")), qPrintable(t.detail));
    // A lookup of 0.3 + 0.3 ms of 300 ms is 0.2 %: said as under 1 %, not rounded to 0 %.
    run.points[0].csvRow.lookupMs = 0.3;
    run.points[1].csvRow.lookupMs = 0.3;
    const LiveHeadlineText small = LiveHeadline::compose(&run, std::nullopt);
    QVERIFY2(small.detail.contains(QStringLiteral("under 1 % of the cached TTFT")), qPrintable(small.detail));
  }

  void liveMeasuredAboveIdeal() {
    // Σ cached 100 ms, Σ uncached 800 ms: 8.00x measured; FLOPs 4e9 / 1e9 = 4.00x ideal. Per GFLOP: uncached
    // 800 / 4 = 200.00 ms, cached 100 / 1 = 100.00 ms.
    RunTrack run;
    run.points = {requestPoint(0, 100, 50, 100, 800, 1e9, 4e9, 50, 100)};
    const LiveHeadlineText t = LiveHeadline::compose(&run, std::nullopt);
    QVERIFY2(plain(t.headline)
                 .contains(QStringLiteral("8.00× faster with the cache, measured (ideal 4.00× in FLOPs)")),
             qPrintable(t.headline));
    QVERIFY2(t.detail.contains(QStringLiteral("Measured above ideal")), qPrintable(t.detail));
    QVERIFY2(t.detail.contains(QStringLiteral("200.00 vs 100.00 ms per GFLOP")), qPrintable(t.detail));
  }

  void requestTimingSentences_data() {
    QTest::addColumn<uint>("hit");
    QTest::addColumn<double>("cached");
    QTest::addColumn<double>("uncached");
    QTest::addColumn<QString>("expected");
    // A first request reuses nothing: never "0.7x faster".
    QTest::newRow("nothing reused") << 0u << 14.0 << 10.0
                                    << QStringLiteral(
                                           " Nothing reused: the cached path computed the whole prompt too "
                                           "(14.0 vs 10.0 ms without the cache).");
    QTest::newRow("slower") << 16u << 12.0 << 10.0
                            << QStringLiteral(
                                   " Slower with the cache this time (12.0 vs 10.0 ms): the reused part was "
                                   "too small to pay for the lookup and the K/V assembly, or the machine "
                                   "was busier.");
    QTest::newRow("faster") << 100u << 10.0 << 35.0 << QStringLiteral(" 3.5× faster with the cache.");
    // 679 / 667 = 1.018: "1.02×", not a "1.0× faster" that reads as no gain.
    QTest::newRow("barely faster") << 512u << 667.0 << 679.0 << QStringLiteral(" 1.02× faster with the cache.");
  }
  void requestTimingSentences() {
    QFETCH(uint, hit);
    QFETCH(double, cached);
    QFETCH(double, uncached);
    QFETCH(QString, expected);
    QCOMPARE(RequestView::timingText(hit, cached, uncached, false), expected);
  }

  void missReasonsSayWhatTheyCount() {
    // Tokens computed because their K/V had been evicted: "recomputed after eviction", not "evicted".
    MissBreakdown m;
    m.tokens = {100, 40, 0, 0};
    m.tooLarge = 7;
    QCOMPARE(
        RequestView::missText(m),
        QStringLiteral("first use 100 · recomputed after eviction 40 (not stored: 7 tokens of prompts larger "
                       "than the whole cache)"));
  }

  void serving() {
    // With the cache: p50 2,500 ms, p99 4,000 ms, served in 8,280 s; without: p50 3,707,000 ms, p99
    // 5,000,000 ms, in 20,520 s; arrivals over 3,600 s. Ratio 3,707,000 / 2,500 = 1482.8 -> "1483×".
    // Load with the cache 8280 / 3600 = 2.3: overloaded; speed 1 / 2.3 = 0.43. Computed prompt tokens:
    // with 1000 - 45 + 100 - 60 = 995, without 1000 - 0 + 300 - 0 = 1300.
    ServingComparison c;
    c.config.model.name = "m";
    c.config.hardware.name = "h";
    c.config.speed = 1;
    c.requests = 10;
    c.arrivalSpanS = 3600;
    ServingSummary& a = c.sides[0].summary;
    a.ttftMsP50 = 2500;
    a.ttftMsP99 = 4000;
    a.simDurationS = 8280;
    a.tokenHitRate = 0.045;
    a.promptTokens = 1000;
    a.hitTokens = 45;
    a.recomputedTokens = 100;
    a.recomputeHitTokens = 60;
    ServingSummary& b = c.sides[1].summary;
    b.ttftMsP50 = 3707000;
    b.ttftMsP99 = 5000000;
    b.simDurationS = 20520;
    b.promptTokens = 1000;
    b.recomputedTokens = 300;
    c.sides[0].finished = c.sides[1].finished = true;
    const ServingHeadlineText t = ServingHeadline::compose(c);
    QCOMPARE(plain(t.headline),
             QStringLiteral("Median TTFT 2.5 s with prefix caching vs 3,707 s without: 1483× lower"));
    QVERIFY2(t.detail.startsWith(QStringLiteral("p99 4.0 s vs 5,000 s (cost model, m on h). ")),
             qPrintable(t.detail));
    QVERIFY2(t.detail.contains(
                 QStringLiteral("60 min of arrivals took 2.3 h to serve with prefix caching and 5.7 h "
                                "without")),
             qPrintable(t.detail));
    QVERIFY2(t.detail.contains(QStringLiteral("A speed of about 0.43 (now 1.00)")), qPrintable(t.detail));
    QVERIFY2(t.detail.contains(
                 QStringLiteral("reused 4.5 % of prompt tokens; the engine computed 995 prompt tokens "
                                "with it and 1,300 without")),
             qPrintable(t.detail));
    QVERIFY2(
        t.detail.contains(QStringLiteral("300 computed tokens without the cache, 100 with it; 60 of those")),
        qPrintable(t.detail));
  }

  void fleet() {
    // kv-aware 30 % is the best; 30 / 40 = 75 % of the shared-cache bound (40 %).
    const std::vector<FleetRow> rows = {{QStringLiteral("round-robin"), 0.10, 1.0, false},
                                        {QStringLiteral("kv-aware"), 0.30, 1.1, false},
                                        {QStringLiteral("session"), 0.25, 1.2, false},
                                        {QStringLiteral("oracle-shared"), 0.40, 1.0, true}};
    const FleetHeadlineText t = FleetHeadline::compose(rows, 4, false);
    QCOMPARE(
        plain(t.headline),
        QStringLiteral("Best router kv-aware: 30.0 % token hits, 75 % of the shared-cache bound (40.0 %)"));
    QVERIFY2(t.detail.startsWith(QStringLiteral("Then session 25.0 % · round-robin 10.0 %.")),
             qPrintable(t.detail));
    QVERIFY2(t.detail.contains(QStringLiteral("one blind to the caches spreads them")), qPrintable(t.detail));
    // No router crowds a replica (every imbalance <= 1.5): no sentence about it.
    QVERIFY2(!t.detail.contains(QStringLiteral("busiest replica")), qPrintable(t.detail));
  }

  void fleetCrowdedReplica() {
    // session sends 4x the mean load to one replica and is last: said with its evictions and the best's.
    const std::vector<FleetRow> rows = {{QStringLiteral("kv-aware"), 0.177, 1.02, false, 1000},
                                        {QStringLiteral("session"), 0.054, 4.0, false, 2712},
                                        {QStringLiteral("oracle-shared"), 0.178, 1.0, true, 0}};
    const FleetHeadlineText t = FleetHeadline::compose(rows, 4, false);
    QVERIFY2(
        t.detail.contains(QStringLiteral("The last, session, sent 4.0× the mean load to its busiest replica "
                                         "(2712 evictions, against 1000 for kv-aware).")),
        qPrintable(t.detail));
  }

  void tune_data() {
    QTest::addColumn<quint64>("size");
    QTest::addColumn<QString>("headline");
    QTest::addColumn<QString>("detail");
    // Bound 500 / 1000 = 50 %. At 100 tokens: lru 10 % > fifo 8 %; Belady 15 % is 5.0 points above; lru is 20
    // % of the bound. 90 % of the bound (45 %): lru reaches 46 % at 1000 tokens.
    QTest::newRow("Belady above")
        << quint64(100)
        << QStringLiteral("At 100 tokens (100.00 KiB of m K/V): lru hits most, 10.0 % of prompt tokens")
        << QStringLiteral("Belady (farthest next use) hits 15.0 % here: 5.0 points more");
    // At 1000 tokens: lru 46 %, Belady 40 % is below it: no bound here.
    QTest::newRow("Belady below")
        << quint64(1000)
        << QStringLiteral("At 1k tokens (1000.00 KiB of m K/V): lru hits most, 46.0 % of prompt tokens")
        << QStringLiteral("Belady (farthest next use) hits only 40.0 % here, below lru");
  }
  void tune() {
    QFETCH(quint64, size);
    QFETCH(QString, headline);
    QFETCH(QString, detail);
    TuneResults r;
    r.info.requests = 3;
    r.info.policies = {"lru", "fifo", "opt"};
    r.info.sizes = {100, 1000};
    r.info.unlimited.promptTokens = 1000;
    r.info.unlimited.hitTokens = 500;
    r.model = "m";
    r.bytesPerToken = 1024;
    r.finished = true;
    r.curves = {sweepPoint("lru", 100, 100),   sweepPoint("lru", 1000, 460), sweepPoint("fifo", 100, 80),
                sweepPoint("fifo", 1000, 450), sweepPoint("opt", 100, 150),  sweepPoint("opt", 1000, 400)};
    const TuneHeadlineText t = TuneHeadline::compose(r, size, false);
    QCOMPARE(plain(t.headline), headline);
    QVERIFY2(t.detail.contains(detail), qPrintable(t.detail));
    QVERIFY2(t.detail.contains(QStringLiteral("lru reaches 90 % of the bound at 1k tokens")),
             qPrintable(t.detail));
  }
};

QTEST_MAIN(TestHeadlines)
#include "tst_headlines.moc"
