// SPDX-License-Identifier: MIT
// The fleet's two identities with plain replay (README "Fleet"): with one replica every router gives exactly
// replay's result, and under round-robin each replica's result is exactly replay's on its own sub-trace
// (requests i with i mod N = r). Also the consistent-hashing property of the session router's ring: adding a
// replica moves about 1/(N+1) of the affinity keys, all of them to the new replica.
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "core/fleet/consistent_hash_ring.h"
#include "core/fleet/fleet_replayer.h"
#include "core/fleet/router_registry.h"
#include "core/fleet/session_router.h"
#include "core/workload/seeded_random.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {

// Every counted field of a replay result (not the timings).
void compareResults(const ReplayResult& a, const ReplayResult& b) {
  QCOMPARE(a.requests, b.requests);
  QCOMPARE(a.promptTokens, b.promptTokens);
  QCOMPARE(a.hitTokens, b.hitTokens);
  QCOMPARE(a.blocks, b.blocks);
  QCOMPARE(a.hitBlocks, b.hitBlocks);
  QCOMPARE(a.evictions, b.evictions);
  QCOMPARE(a.expirations, b.expirations);
  QCOMPARE(a.missTokens, b.missTokens);
  QCOMPARE(a.missBlocks, b.missBlocks);
  QCOMPARE(a.peakBlocks, b.peakBlocks);
  QCOMPARE(a.capacityBlocks, b.capacityBlocks);
  QCOMPARE(a.evictedNeverReused, b.evictedNeverReused);
  QCOMPARE(a.meanEvictedAgeMs, b.meanEvictedAgeMs);
  QCOMPARE(a.meanEvictedIdleMs, b.meanEvictedIdleMs);
  QCOMPARE(a.meanEvictedReuse, b.meanEvictedReuse);
}

QString sessionTrace() { return QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl"); }

}  // namespace

class TestFleetIdentities : public QObject {
  Q_OBJECT
private slots:
  void oneReplicaEqualsReplay_data();
  void oneReplicaEqualsReplay();
  void roundRobinReplicaEqualsSubTraceReplay_data();
  void roundRobinReplicaEqualsSubTraceReplay();
  void addingReplicaMovesOneOverN_data();
  void addingReplicaMovesOneOverN();
};

void TestFleetIdentities::oneReplicaEqualsReplay_data() {
  QTest::addColumn<QString>("trace");
  QTest::addColumn<QString>("router");
  QTest::addColumn<QString>("policy");
  QTest::addColumn<quint64>("maxTokens");
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<quint32>("blockSize");
  for (const std::string& router : routerNames()) {
    const QString r = QString::fromStdString(router);
    QTest::addRow("%s lru", router.c_str())
        << sessionTrace() << r << "lru" << quint64(160) << qint64(0) << 16u;
    QTest::addRow("%s sieve ttl", router.c_str())
        << sessionTrace() << r << "sieve" << quint64(320) << qint64(2500) << 16u;
    QTest::addRow("%s conversation", router.c_str())
        << QStringLiteral(KVLAB_SHARED_DATA_DIR "/conversation_trace.jsonl") << r << "lru" << quint64(1000000)
        << qint64(0) << 512u;
  }
}

void TestFleetIdentities::oneReplicaEqualsReplay() {
  QFETCH(QString, trace);
  QFETCH(QString, router);
  QFETCH(QString, policy);
  QFETCH(quint64, maxTokens);
  QFETCH(qint64, ttlMs);
  QFETCH(quint32, blockSize);
  KVLAB_REQUIRE_SHARED_DATA(trace);
  FleetConfig config;
  config.replica.blockSize = blockSize;
  config.replica.policy = policy.toStdString();
  config.replica.maxTokens = maxTokens;
  config.replica.ttlMs = ttlMs;
  config.replicas = 1;
  config.router = router.toStdString();
  const FleetResult fleet = replayFleetFile(trace.toStdString(), config);
  const ReplayResult replay = replayTraceFile(trace.toStdString(), config.replica);
  QCOMPARE(fleet.replicas.size(), std::size_t(1));
  compareResults(fleet.replicas.front(), replay);
  compareResults(fleet.fleet, replay);
  QCOMPARE(fleet.loadImbalance(), 1.0);
}

void TestFleetIdentities::roundRobinReplicaEqualsSubTraceReplay_data() {
  QTest::addColumn<QString>("trace");
  QTest::addColumn<int>("replicas");
  QTest::addColumn<QString>("policy");
  QTest::addColumn<quint64>("maxTokens");
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<quint32>("blockSize");
  QTest::newRow("sessions 3 lru") << sessionTrace() << 3 << "lru" << quint64(160) << qint64(0) << 16u;
  QTest::newRow("sessions 4 fifo ttl") << sessionTrace() << 4 << "fifo" << quint64(96) << qint64(1500) << 16u;
  QTest::newRow("sessions 5 lfu") << sessionTrace() << 5 << "lfu" << quint64(64) << qint64(0) << 16u;
  QTest::newRow("conversation 4") << QStringLiteral(KVLAB_SHARED_DATA_DIR "/conversation_trace.jsonl") << 4
                                  << "lru" << quint64(500000) << qint64(0) << 512u;
}

void TestFleetIdentities::roundRobinReplicaEqualsSubTraceReplay() {
  QFETCH(QString, trace);
  QFETCH(int, replicas);
  QFETCH(QString, policy);
  QFETCH(quint64, maxTokens);
  QFETCH(qint64, ttlMs);
  QFETCH(quint32, blockSize);
  KVLAB_REQUIRE_SHARED_DATA(trace);
  FleetConfig config;
  config.replica.blockSize = blockSize;
  config.replica.policy = policy.toStdString();
  config.replica.maxTokens = maxTokens;
  config.replica.ttlMs = ttlMs;
  config.replicas = std::size_t(replicas);
  config.router = "round-robin";
  const FleetResult fleet = replayFleetFile(trace.toStdString(), config);
  QCOMPARE(fleet.replicas.size(), std::size_t(replicas));

  // Split the file's non-blank lines by arrival index, byte for byte.
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  std::vector<std::ofstream> parts;
  for (int r = 0; r < replicas; ++r)
    parts.emplace_back(dir.filePath(QStringLiteral("part%1.jsonl").arg(r)).toStdString());
  std::ifstream in(trace.toStdString());
  std::size_t i = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos)
      parts[i++ % std::size_t(replicas)] << line << '\n';
  for (auto& p : parts) p.close();
  for (int r = 0; r < replicas; ++r) {
    const ReplayResult sub =
        replayTraceFile(dir.filePath(QStringLiteral("part%1.jsonl").arg(r)).toStdString(), config.replica);
    compareResults(fleet.replicas[std::size_t(r)], sub);
  }
}

void TestFleetIdentities::addingReplicaMovesOneOverN_data() {
  QTest::addColumn<int>("replicas");
  QTest::addColumn<quint32>("virtualNodes");
  QTest::newRow("1 -> 2") << 1 << 128u;
  QTest::newRow("2 -> 3") << 2 << 128u;
  QTest::newRow("4 -> 5") << 4 << 128u;
  QTest::newRow("8 -> 9") << 8 << 128u;
  QTest::newRow("16 -> 17") << 16 << 256u;
}

void TestFleetIdentities::addingReplicaMovesOneOverN() {
  QFETCH(int, replicas);
  QFETCH(quint32, virtualNodes);
  // Affinity keys of 20 000 random two-block prefixes, placed by the session router's ring for N and N+1
  // replicas. Consistent hashing (Karger et al.): a key moves only if one of the new replica's points
  // now precedes it, so every moved key lands on the new replica, and the expected moved share is
  // 1/(N+1). With V points per replica the share's spread is about 1/sqrt(V) relative, so the test
  // accepts [0.6, 1.4] x 1/(N+1); a modulo placement (key mod N) would move N/(N+1) of the keys.
  const ConsistentHashRing before(std::size_t(replicas), virtualNodes);
  const ConsistentHashRing after(std::size_t(replicas) + 1, virtualNodes);
  SeededRandom random(42);
  constexpr int kKeys = 20000;
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::vector<std::uint64_t> ids = {random.nextU64(), random.nextU64()};
    const std::uint64_t key = SessionRouter::affinityKey(ids, 2);
    const std::size_t from = before.owner(key), to = after.owner(key);
    if (from != to) {
      ++moved;
      QCOMPARE(to, std::size_t(replicas));  // moved keys go to the new replica only
    }
  }
  const double share = double(moved) / kKeys, expected = 1.0 / (replicas + 1);
  QVERIFY2(share > 0.6 * expected && share < 1.4 * expected,
           qPrintable(QStringLiteral("moved %1, expected about %2").arg(share).arg(expected)));
}

KVLAB_TEST_GUILESS_MAIN(TestFleetIdentities)
#include "tst_fleet_identities.moc"
