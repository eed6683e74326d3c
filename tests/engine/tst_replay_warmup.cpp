// SPDX-License-Identifier: MIT
// --warmup (replay, sweep, the one-pass LRU curve): only the requests after the warmup are measured;
// evictions and misses then cover them too; filled_during_warmup says whether the cache was full.
// Expected values are worked by hand below (block size 4, a cache of 3 blocks, the literal semantics:
// hits are counted at arrival, then the request touches its blocks last to first, inserting absent ones).
#include <QtTest>

#include "core/replay/miss_ratio_curve.h"
#include "core/replay/replay_warmup.h"
#include "core/replay/trace_sweep.h"
#include "core/util/input_error.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {

// r0 t=0 [1,2,3] 12 tokens; r1 t=1s [1,2,4] 12; r2 t=2s [5] 4; r3 t=10s [1,2,3] 10.
const char* const kTrace =
    "{\"timestamp\": 0, \"input_length\": 12, \"output_length\": 1, \"hash_ids\": [1, 2, 3]}\n"
    "{\"timestamp\": 1000, \"input_length\": 12, \"output_length\": 1, \"hash_ids\": [1, 2, 4]}\n"
    "{\"timestamp\": 2000, \"input_length\": 4, \"output_length\": 1, \"hash_ids\": [5]}\n"
    "{\"timestamp\": 10000, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1, 2, 3]}\n";

std::string writeTrace(QTemporaryDir& dir) {
  const QString path = dir.filePath("warmup.jsonl");
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
  f.write(kTrace);
  return path.toStdString();
}

ReplayConfig config(const std::string& policy, const std::string& warmup) {
  ReplayConfig c;
  c.blockSize = 4;
  c.policy = policy;
  c.maxTokens = 12;  // 3 blocks
  c.warmup = parseWarmup(warmup);
  return c;
}

}  // namespace

class TestReplayWarmup : public QObject {
  Q_OBJECT

private slots:
  void parse_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("requests");
    QTest::addColumn<int>("expected");  // -1 = InputError
    QTest::newRow("none") << "" << 10 << 0;
    QTest::newRow("half") << "0.5" << 10 << 5;
    QTest::newRow("half, odd") << "0.5" << 7 << 3;  // floor
    QTest::newRow("count") << "3" << 10 << 3;
    QTest::newRow("count past the end") << "30" << 10 << 10;
    QTest::newRow("one is a fraction only with a point") << "1.0" << 10 << -1;
    QTest::newRow("negative") << "-0.5" << 10 << -1;
    QTest::newRow("word") << "half" << 10 << -1;
  }
  void parse() {
    QFETCH(QString, text);
    QFETCH(int, requests);
    QFETCH(int, expected);
    if (expected < 0) {
      QVERIFY_THROWS_EXCEPTION(InputError, parseWarmup(text.toStdString()));
      return;
    }
    QCOMPARE(parseWarmup(text.toStdString()).requestsOf(std::uint64_t(requests)), std::uint64_t(expected));
  }

  void replayCountsTheSecondHalf_data() {
    QTest::addColumn<QString>("policy");
    QTest::addColumn<QString>("warmup");
    QTest::addColumn<quint64>("hitTokens");
    QTest::addColumn<quint64>("evictions");
    // LRU: r0 fills {1,2,3} (recency 3,2,1): full at the boundary. r1 hits 1,2 and inserts 4 (evicts 3).
    //   Measured: r2 inserts 5 (evicts 4); r3 hits 1,2 (8 tokens), then touches 3 (evicts 2), 2 (evicts 1),
    //   1 (evicts 5): 4 evictions.
    QTest::newRow("lru, fraction") << "lru" << "0.5" << quint64(8) << quint64(4);
    QTest::newRow("lru, count") << "lru" << "2" << quint64(8) << quint64(4);
    // FIFO: r0 queue 3,2,1; r1 hits 1,2, inserts 4 (evicts 3): 2,1,4. Measured: r2 inserts 5 (evicts 2):
    //   1,4,5; r3 hits 1 only (4 tokens); inserts 3 (evicts 1), 2 (evicts 4), 1 (evicts 5): 4 evictions.
    QTest::newRow("fifo, fraction") << "fifo" << "0.5" << quint64(4) << quint64(4);
  }
  void replayCountsTheSecondHalf() {
    QFETCH(QString, policy);
    QFETCH(QString, warmup);
    QFETCH(quint64, hitTokens);
    QFETCH(quint64, evictions);
    QTemporaryDir dir;
    const std::string path = writeTrace(dir);
    const ReplayResult r = replayTraceFile(path, config(policy.toStdString(), warmup.toStdString()));
    QCOMPARE(r.requests, 2u);
    QCOMPARE(r.warmupRequests, 2u);
    QVERIFY(r.filledDuringWarmup);
    QCOMPARE(r.promptTokens, 14u);  // r2 4 + r3 10
    QCOMPARE(r.hitTokens, hitTokens);
    QCOMPARE(r.evictions, evictions);
  }

  void notFilledWithARoomyCache() {
    QTemporaryDir dir;
    ReplayConfig c = config("lru", "1");
    c.maxTokens = 40;  // 10 blocks; r0 leaves 3
    const ReplayResult r = replayTraceFile(writeTrace(dir), c);
    QVERIFY(!r.filledDuringWarmup);
    QCOMPARE(r.requests, 3u);
    QCOMPARE(r.hitTokens, 8u + 10u);  // r1's 1,2 and all of r3 (nothing evicted)
  }

  void onePassAndSweepAgree() {
    // The stack-distance pass and the sweep's replays count the same measured part as replay does.
    QTemporaryDir dir;
    const std::string path = writeTrace(dir);
    const auto curve = lruCurveOnePass(path, config("lru", "0.5"), {12});
    QCOMPARE(curve.front().result.hitTokens, 8u);
    QCOMPARE(curve.front().result.evictions, 4u);
    QCOMPARE(curve.front().result.promptTokens, 14u);
    QVERIFY(curve.front().result.filledDuringWarmup);
    SweepSpec spec;
    spec.maxTokens = {12};
    spec.policies = {"lru", "fifo"};
    spec.blockSizes = {4};
    spec.warmup = parseWarmup("0.5");
    const SweepOutcome outcome = TraceSweep::run(path, spec);
    QCOMPARE(outcome.points.size(), std::size_t(2));
    QCOMPARE(outcome.points[0].result.hitTokens, 8u);
    QCOMPARE(outcome.points[1].result.hitTokens, 4u);
    QCOMPARE(outcome.points[1].result.evictions, 4u);
    QCOMPARE(outcome.points[1].result.warmupRequests, 2u);
  }
};

KVLAB_TEST_GUILESS_MAIN(TestReplayWarmup)
#include "tst_replay_warmup.moc"
