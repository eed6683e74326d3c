// SPDX-License-Identifier: MIT
// Reuse times of a source's blocks (core/replay/reuse_times) and the heatmap TTLs derived from them. The
// expected values are worked by hand from the small request lists below.
#include <QtTest>

#include "core/replay/reuse_times.h"

using namespace kvlab;

namespace {
TraceRequest request(std::int64_t ms, std::vector<std::uint64_t> ids) {
  TraceRequest r;
  r.timestampMs = ms;
  r.inputLength = std::uint32_t(ids.size() * 16);
  r.hashIds = std::move(ids);
  return r;
}
}  // namespace

class TestReuseTimes : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void reuseTimes() {
    // Block 1 is used at 0, 1000 and 4000 ms: reuses after 1000 and 3000. Block 2 at 0 and 4000: 4000.
    // Block 3 once: no reuse. Block 9 at 1000 and 1500: 500. In request order, each request's blocks in
    // order: t=1000: 1 (1000), 9 first use; t=1500: 9 (500); t=4000: 1 (3000), 2 (4000).
    const std::vector<TraceRequest> requests = {request(0, {1, 2, 3}), request(1000, {1, 9}),
                                                request(1500, {9}), request(4000, {1, 2})};
    const std::vector<TimeMs> reuse = blockReuseTimesMs(requests);
    QCOMPARE(reuse, (std::vector<TimeMs>{1000, 500, 3000, 4000}));
    // Nearest rank on {500, 1000, 3000, 4000}: p50 -> rank ceil(2) = 2nd = 1000; p75 -> 3rd = 3000; p90 ->
    // ceil(3.6) = 4th = 4000; p1 -> 1st = 500.
    QCOMPARE(reuseTimePercentile(reuse, 50), TimeMs(1000));
    QCOMPARE(reuseTimePercentile(reuse, 75), TimeMs(3000));
    QCOMPARE(reuseTimePercentile(reuse, 90), TimeMs(4000));
    QCOMPARE(reuseTimePercentile(reuse, 1), TimeMs(500));
    QCOMPARE(reuseTimePercentile({}, 50), TimeMs(0));
    // Rounded: 1000 -> 1 s; 3000 -> between 2 s and 5 s, log-nearer to 2 s (ln 1.5 = 0.41 < ln 1.67 = 0.51);
    // 4000 -> 5 s (ln 1.25 = 0.22 < ln 2 = 0.69).
    QCOMPARE(ttlsFromReuseTimes(reuse), (std::vector<TimeMs>{1000, 2000, 5000}));
  }

  void readable_data() {
    QTest::addColumn<qint64>("ms");
    QTest::addColumn<qint64>("readable");
    QTest::newRow("46 s -> 1 min (ln 60/46 = 0.27 < ln 46/30 = 0.43)") << qint64(46000) << qint64(60000);
    QTest::newRow("10 s") << qint64(10000) << qint64(10000);
    QTest::newRow("12 s -> 10 s") << qint64(12000) << qint64(10000);
    QTest::newRow("13 s -> 15 s") << qint64(13000) << qint64(15000);
    QTest::newRow("7 min -> 5 min") << qint64(420000) << qint64(300000);
    QTest::newRow("tiny -> 100 ms") << qint64(3) << qint64(100);
    QTest::newRow("a week -> 24 h") << qint64(7LL * 86400000) << qint64(86400000);
  }
  void readable() {
    QFETCH(qint64, ms);
    QFETCH(qint64, readable);
    QCOMPARE(qint64(readableDuration(ms)), readable);
  }

  void nothingReused() {
    QVERIFY(ttlsFromReuseTimes(blockReuseTimesMs({request(0, {1}), request(5, {2})})).empty());
  }

  void duplicatesMerge() {
    // Every reuse after 1 s: the three percentiles give one TTL.
    QCOMPARE(ttlsFromReuseTimes({1000, 1000, 1000, 1000}), (std::vector<TimeMs>{1000}));
  }
};

QTEST_GUILESS_MAIN(TestReuseTimes)
#include "tst_reuse_times.moc"
