// SPDX-License-Identifier: MIT
// kvlab-cli sweep's engine: every combination of size x policy x TTL, one parse, knees, cancellation, and
// the size ranges of the command line, against hand-worked answers.
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <fstream>

#include "core/replay/trace_sweep.h"
#include "core/util/input_error.h"
#include "core/util/value_series.h"

using namespace kvlab;

namespace {

// Six one-block requests (block size 1 token, so tokens = blocks), one second apart: ids 1 2 3 1 2 1.
// Touch positions (one touch per request): 1@0 2@1 3@2 1@3 2@4 1@5.
const char* kTrace =
    "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n"
    "{\"timestamp\": 1000, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [2]}\n"
    "{\"timestamp\": 2000, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [3]}\n"
    "{\"timestamp\": 3000, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n"
    "{\"timestamp\": 4000, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [2]}\n"
    "{\"timestamp\": 5000, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n";

SweepSpec handSpec() {
  SweepSpec spec;
  spec.maxTokens = {1, 2, 3};
  spec.policies = {"lru", "fifo", "opt"};
  spec.ttlsMs = {0, 2500};
  spec.blockSizes = {1};
  spec.threads = 2;
  return spec;
}

}  // namespace

class TestTraceSweep : public QObject {
  Q_OBJECT
private slots:
  void initTestCase();
  void handWorked_data();
  void handWorked();
  void everyCombinationOnce();
  void kneeIsSmallestSizeReaching90Percent();
  void cancelledSweepReturnsNothingUnfinished();
  void badTraceNamesFileAndLine();
  void optNeedsItsIndex();
  void series_data();
  void series();
  void badSeries_data();
  void badSeries();

private:
  QTemporaryDir m_dir;
  std::string m_path;
  SweepOutcome m_outcome;
};

void TestTraceSweep::initTestCase() {
  QVERIFY(m_dir.isValid());
  m_path = m_dir.filePath(QStringLiteral("six.jsonl")).toStdString();
  std::ofstream(m_path) << kTrace;
  m_outcome = TraceSweep::run(m_path, handSpec());
}

void TestTraceSweep::handWorked_data() {
  QTest::addColumn<QByteArray>("policy");
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<quint64>("maxTokens");
  QTest::addColumn<quint64>("hitTokens");
  QTest::addColumn<bool>("knee");
  QTest::addColumn<qint64>("evictions");  // -1: not counted (one-pass LRU with a TTL) or not checked
  // No TTL. Size 1: six different ids in a row, never a hit. Size 3: everything fits, requests 4-6 hit.
  // Size 2: LRU and FIFO both drop 1 for 3, 2 for 1, 3 for 2 -> only request 6 hits. Belady at request 3
  // keeps 1 (next use 3) over 2 (next use 4): request 4 hits; at request 5 it drops 3 (never used again):
  // request 6 hits -> 2. Knees: every curve tops out at 3 of 6; 90% of that is 2.7 > 2, so size 3.
  // Evictions: size 1 inserts at every request and keeps 1 block -> 5; size 2: requests 3, 4, 5 evict for
  // LRU and FIFO (3), Belady only at 3 and 5 (2); size 3 never evicts. (The one-pass LRU derives them from
  // stack distances at each touch: 1@3 and 2@4 are at distance 2, 1@5 at 1.)
  for (const char* p : {"lru", "fifo"}) {
    QTest::addRow("%s 1", p) << QByteArray(p) << qint64(0) << quint64(1) << quint64(0) << false << qint64(5);
    QTest::addRow("%s 2", p) << QByteArray(p) << qint64(0) << quint64(2) << quint64(1) << false << qint64(3);
    QTest::addRow("%s 3", p) << QByteArray(p) << qint64(0) << quint64(3) << quint64(3) << true << qint64(0);
  }
  QTest::newRow("opt 1") << QByteArray("opt") << qint64(0) << quint64(1) << quint64(0) << false << qint64(5);
  QTest::newRow("opt 2") << QByteArray("opt") << qint64(0) << quint64(2) << quint64(2) << false << qint64(2);
  QTest::newRow("opt 3") << QByteArray("opt") << qint64(0) << quint64(3) << quint64(3) << true << qint64(0);
  // TTL 2.5 s (idle): requests 4 and 5 find their ids idle for 3 s, expired; request 6 finds 1 idle for
  // 2 s. At size 2 and 3 every policy still holds 1 then (Belady at request 5 drops 3, never used again),
  // so exactly request 6 hits; size 1 never hits. Knee: the curve is 0, 1, 1 -> size 2.
  for (const char* p : {"lru", "fifo", "opt"}) {
    QTest::addRow("%s 1 ttl", p) << QByteArray(p) << qint64(2500) << quint64(1) << quint64(0) << false
                                 << qint64(-1);
    QTest::addRow("%s 2 ttl", p) << QByteArray(p) << qint64(2500) << quint64(2) << quint64(1) << true
                                 << qint64(-1);
    QTest::addRow("%s 3 ttl", p) << QByteArray(p) << qint64(2500) << quint64(3) << quint64(1) << false
                                 << qint64(-1);
  }
}

void TestTraceSweep::handWorked() {
  QFETCH(QByteArray, policy);
  QFETCH(qint64, ttlMs);
  QFETCH(quint64, maxTokens);
  QFETCH(quint64, hitTokens);
  QFETCH(bool, knee);
  QFETCH(qint64, evictions);
  const auto it = std::find_if(m_outcome.points.begin(), m_outcome.points.end(), [&](const SweepPoint& p) {
    return p.config.policy == policy.toStdString() && p.config.ttlMs == ttlMs &&
           p.config.maxTokens == maxTokens;
  });
  QVERIFY(it != m_outcome.points.end());
  QCOMPARE(it->result.requests, quint64(6));
  QCOMPARE(it->result.promptTokens, quint64(6));
  QCOMPARE(it->result.hitTokens, hitTokens);
  QCOMPARE(it->knee, knee);
  QCOMPARE(it->onePass, policy == "lru");
  QCOMPARE(it->result.capacityBlocks, maxTokens);
  QCOMPARE(it->evictionsCounted, !(policy == "lru" && ttlMs > 0));
  if (evictions >= 0) QCOMPARE(qint64(it->result.evictions), evictions);
}

void TestTraceSweep::everyCombinationOnce() {
  // 3 policies x 2 TTLs x 1 block size x 3 sizes, in the spec's order (policy, TTL, block size, size).
  QCOMPARE(m_outcome.points.size(), std::size_t(18));
  QCOMPARE(m_outcome.requests, quint64(6));
  QCOMPARE(m_outcome.points.front().config.policy, std::string("lru"));
  QCOMPARE(m_outcome.points[3].config.ttlMs, TimeMs(2500));
  QCOMPARE(m_outcome.points.back().config.policy, std::string("opt"));
  QCOMPARE(m_outcome.points.back().config.maxTokens, quint64(3));
  // A callback per point, each done count once.
  std::vector<std::size_t> seen;
  TraceSweep::run(m_path, handSpec(), [&](const SweepPoint&, std::size_t done, std::size_t total) {
    QCOMPARE(total, std::size_t(18));
    seen.push_back(done);
  });
  std::sort(seen.begin(), seen.end());
  QCOMPARE(seen.size(), std::size_t(18));
  for (std::size_t i = 0; i < seen.size(); ++i) QCOMPARE(seen[i], i + 1);
}

void TestTraceSweep::kneeIsSmallestSizeReaching90Percent() {
  // Rates 10%, 46%, 50%, 50%: 90% of 50% is 45%, first reached at the second size.
  std::vector<SweepPoint> points(4);
  const std::uint64_t hits[] = {10, 46, 50, 50};
  for (std::size_t i = 0; i < 4; ++i) {
    points[i].config.policy = "sieve";
    points[i].config.maxTokens = 1000 * (i + 1);
    points[i].result.promptTokens = 100;
    points[i].result.hitTokens = hits[i];
  }
  std::swap(points[0], points[3]);  // order in the list does not matter
  TraceSweep::markKnees(points);
  int knees = 0;
  for (const SweepPoint& p : points) {
    knees += p.knee;
    if (p.knee) QCOMPARE(p.config.maxTokens, quint64(2000));
  }
  QCOMPARE(knees, 1);
}

void TestTraceSweep::cancelledSweepReturnsNothingUnfinished() {
  std::atomic<bool> cancel{true};
  const SweepOutcome outcome = TraceSweep::run(m_path, handSpec(), {}, &cancel);
  QVERIFY(outcome.cancelled);
  QVERIFY(outcome.points.empty());
}

void TestTraceSweep::badTraceNamesFileAndLine() {
  const std::string path = m_dir.filePath(QStringLiteral("bad.jsonl")).toStdString();
  std::ofstream(path) << kTrace << "{\"timestamp\": 6000, \"input_length\": -1}\n";
  try {
    TraceSweep::run(path, handSpec());
    QFAIL("a malformed line was accepted");
  } catch (const InputError& e) {
    QCOMPARE(e.file, path);
    QCOMPARE(e.line, qint64(7));
  }
}

// A replayer cannot run opt without the trace's next-use index (what a live view would have to do).
void TestTraceSweep::optNeedsItsIndex() {
  ReplayConfig config;
  config.policy = "opt";
  config.maxTokens = 2;
  config.blockSize = 1;
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, TraceReplayer{config});
  // replayTraceFile builds it (two passes) and gets the hand-worked answer above: 2 of 6 tokens at size 2.
  QCOMPARE(replayTraceFile(m_path, config).hitTokens, quint64(2));
}

void TestTraceSweep::series_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<bool>("bytes");
  QTest::addColumn<QList<quint64>>("values");
  // log3 from 100 to 10000: ratio 100 per 2 steps -> 100, 1000, 10000. log4 from 1000 to 8000: x2 each.
  QTest::newRow("log3") << "100:10000:log3" << false << QList<quint64>{100, 1000, 10000};
  QTest::newRow("log4") << "1000:8000:log4" << false << QList<quint64>{1000, 2000, 4000, 8000};
  QTest::newRow("lin3") << "0:10:lin3" << false << QList<quint64>{0, 5, 10};
  QTest::newRow("lin5") << "0:1000000:lin5" << false << QList<quint64>{0, 250000, 500000, 750000, 1000000};
  // 1..3 in 5 linear steps: 1, 1.5, 2, 2.5, 3 -> rounded 1, 2, 2, 3, 3 (llround rounds half away from 0);
  // repeats dropped.
  QTest::newRow("lin rounds, drops repeats") << "1:3:lin5" << false << QList<quint64>{1, 2, 3};
  QTest::newRow("list keeps order") << "5,1,2" << false << QList<quint64>{5, 1, 2};
  QTest::newRow("one value") << "7" << false << QList<quint64>{7};
  QTest::newRow("bytes log3") << "1GiB:4GiB:log3" << true
                              << QList<quint64>{1ull << 30, 2ull << 30, 4ull << 30};
}

void TestTraceSweep::series() {
  QFETCH(QString, text);
  QFETCH(bool, bytes);
  QFETCH(QList<quint64>, values);
  const std::string t = text.toStdString();
  const std::vector<std::uint64_t> got =
      bytes ? parseSizeSeries(t, "max-size") : parseCountSeries(t, "max-tokens");
  QCOMPARE(QList<quint64>(got.begin(), got.end()), values);
}

void TestTraceSweep::badSeries_data() {
  QTest::addColumn<QString>("text");
  QTest::newRow("downwards") << "10:1:log3";
  QTest::newRow("log from 0") << "0:10:log3";
  QTest::newRow("one step") << "1:10:log1";
  QTest::newRow("unknown spacing") << "1:10:exp3";
  QTest::newRow("four parts") << "1:2:3:4";
  QTest::newRow("no count") << "1:10:log";
  QTest::newRow("junk end") << "1:abc:log3";
  QTest::newRow("empty item") << "1,,2";
}

void TestTraceSweep::badSeries() {
  QFETCH(QString, text);
  try {
    parseCountSeries(text.toStdString(), "max-tokens");
    QFAIL("accepted");
  } catch (const InputError& e) {
    QVERIFY2(e.field.starts_with("max-tokens"), e.what());
  }
}

QTEST_GUILESS_MAIN(TestTraceSweep)
#include "tst_trace_sweep.moc"
