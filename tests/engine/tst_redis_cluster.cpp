// SPDX-License-Identifier: MIT
// RedisClusterTier against a real three-master Redis Cluster that each test starts on free loopback ports
// (redis_test_cluster.h) and always stops. Covers: CRC16-XMODEM and hash tags against the Redis Cluster
// specification's published vector and examples and against Redis' own CLUSTER KEYSLOT; a batch of blocks
// spread over all three masters with one pipelined round trip per node; a resharded slot (MOVED followed,
// map refreshed); a slot being migrated (ASK followed, map unchanged); one node killed (its blocks are
// misses counted as errors, the others still hit, calls return); a master killed and its replica
// promoted (the tier re-reads the map and hits again); one node paused (time-outs, then
// recovery); password auth on every node; `kvlab-cli remote stats|clear` on the cluster. Skips only when
// redis-server / redis-cli are not installed.
#include <QtTest>
#include <atomic>
#include <thread>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/tiers/cluster_slot.h"
#include "core/tiers/model_blob_layout.h"
#include "core/tiers/redis_cluster_tier.h"
#include "core/tiers/remote_tier_factory.h"
#include "redis_test_cluster.h"
#include "test_requirements.h"

using namespace kvlab;
using kvlab::test::RedisTestCluster;
using kvlab::test::RedisTestServer;

namespace {

constexpr int kTestTimeoutMs = 10000;  // generous: the machine running the tests may be heavily loaded
constexpr uint64_t kBlocks = 300;      // enough that every one of 3 masters gets keys (see spread test)

BlobLayout layout() {
  BlobLayout l;
  l.modelFingerprint = 0xC1u;
  l.layerEnd = 2;
  l.shape = {2, 2, 4, 8};  // K/V, layers, block tokens, head dim: 128 floats = 512 bytes
  l.blockTokens = 4;
  return l;
}

std::string payloadFor(uint64_t hash) {
  std::string payload(layout().payloadBytes(), '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(hash * 131 + i);
  return payload;
}

std::unique_ptr<RedisClusterTier> makeTier(const std::string& url, int timeoutMs = kTestTimeoutMs) {
  RedisTierOptions options;
  options.timeoutMs = timeoutMs;
  options.reconnectBackoffMs = 0;
  return std::make_unique<RedisClusterTier>(RemoteUrl::parse(url), layout(), options);
}

std::vector<uint64_t> hashes(uint64_t count) {
  std::vector<uint64_t> out;
  for (uint64_t h = 1; h <= count; ++h) out.push_back(h * 0x9E3779B97F4A7C15ull);
  return out;
}

size_t putBlocks(RemoteKvStore& tier, const std::vector<uint64_t>& blockHashes) {
  std::vector<std::string> payloads;
  for (uint64_t h : blockHashes) payloads.push_back(payloadFor(h));
  std::vector<TierItem> items;
  for (size_t i = 0; i < blockHashes.size(); ++i) items.push_back({blockHashes[i], payloads[i]});
  return tier.put(items);
}

// Moves the keys of `slot` from node `from` to node `to` the way redis-cli --cluster reshard does:
// IMPORTING on the target, MIGRATING on the source, MIGRATE of `keys` (all of the slot's keys when
// `finish`), then, when `finish`, SETSLOT ... NODE on every node. Returns false on any refusal.
bool migrateSlot(RedisTestCluster& cluster, int slot, int from, int to, const QStringList& keys,
                 bool finish) {
  const QString s = QString::number(slot);
  if (cluster.node(to).cli({"CLUSTER", "SETSLOT", s, "IMPORTING", cluster.nodeId(from)}) != "OK")
    return false;
  if (cluster.node(from).cli({"CLUSTER", "SETSLOT", s, "MIGRATING", cluster.nodeId(to)}) != "OK")
    return false;
  if (!keys.isEmpty()) {
    const QString reply =
        cluster.node(from).cli(QStringList{"MIGRATE", "127.0.0.1", QString::number(cluster.node(to).port()),
                                           "", "0", "10000", "KEYS"} +
                               keys);
    if (reply != "OK") return false;
  }
  if (!finish) return true;
  const QString target = cluster.nodeId(to);
  for (int n : {to, from, 3 - to - from})
    if (cluster.node(n).cli({"CLUSTER", "SETSLOT", s, "NODE", target}) != "OK") return false;
  return true;
}

}  // namespace

class TestRedisCluster : public QObject {
  Q_OBJECT

private slots:
  // Expected values: the Redis Cluster specification ("Keys distribution model": CRC16 XMODEM, test
  // vector CRC16("123456789") = 0x31C3, so slot 0x31C3 mod 16384 = 12739) and its hash-tag examples.
  void crc16AndHashTags_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("hashed");
    QTest::newRow("no tag") << "123456789"
                            << "123456789";
    QTest::newRow("spec tag") << "{user1000}.following"
                              << "user1000";
    QTest::newRow("spec tag 2") << "{user1000}.followers"
                                << "user1000";
    QTest::newRow("spec empty tag: whole key") << "foo{}{bar}"
                                               << "foo{}{bar}";
    QTest::newRow("spec nested open") << "foo{{bar}}zap"
                                      << "{bar";
    QTest::newRow("spec first tag only") << "foo{bar}{zap}"
                                         << "bar";
    QTest::newRow("no close: whole key") << "foo{bar"
                                         << "foo{bar";
    QTest::newRow("close before open") << "}x{y}"
                                       << "y";
    QTest::newRow("our keys carry no tag") << "kvlab:v1:00000000000000c1:0000000000000001"
                                           << "kvlab:v1:00000000000000c1:0000000000000001";
  }
  void crc16AndHashTags() {
    QCOMPARE(crc16Xmodem("123456789"), uint16_t(0x31C3));
    QCOMPARE(clusterKeySlot("123456789"), uint16_t(12739));
    QCOMPARE(crc16Xmodem(""), uint16_t(0));  // no input: the initial value 0
    QFETCH(QString, key);
    QFETCH(QString, hashed);
    const std::string k = key.toStdString();
    QCOMPARE(QString::fromStdString(std::string(clusterHashTag(k))), hashed);
    QCOMPARE(clusterKeySlot(k), clusterKeySlot(hashed.toStdString()));
  }

  void factoryPicksTheTierByScheme() {
    std::unique_ptr<RemoteKvStore> cluster =
        makeRemoteTier(RemoteUrl::parse("redis-cluster://127.0.0.1:1"), layout());
    QVERIFY(dynamic_cast<RedisClusterTier*>(cluster.get()) != nullptr);
    std::unique_ptr<RemoteKvStore> single = makeRemoteTier(RemoteUrl::parse("redis://127.0.0.1:1"), layout());
    QVERIFY(dynamic_cast<RedisTier*>(single.get()) != nullptr);
  }

  void init() {
    if (QString(QTest::currentTestFunction()).startsWith("crc16") ||
        QString(QTest::currentTestFunction()).startsWith("factory"))
      return;
    KVLAB_REQUIRE(RedisTestServer::installed(), QStringLiteral("redis-server and redis-cli"));
  }

  void blocksSpreadOverAllMastersOneRoundTripPerNode() {
    RedisTestCluster cluster;
    QVERIFY2(cluster.start(), qPrintable(cluster.error()));
    auto tier = makeTier(cluster.url());
    const std::vector<uint64_t> blocks = hashes(kBlocks);
    QCOMPARE(putBlocks(*tier, blocks), size_t(kBlocks));

    // Our slot function agrees with Redis' own CLUSTER KEYSLOT (an independent implementation).
    for (size_t i = 0; i < 20; ++i) {
      const std::string key = tier->codec().keyFor(blocks[i]);
      QCOMPARE(int(clusterKeySlot(key)), cluster.keySlot(key));
    }
    for (const char* key :
         {"123456789", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}"})
      QCOMPARE(int(clusterKeySlot(key)), cluster.keySlot(key));

    // Every master holds some of the blocks and together they hold exactly all of them. With 300 keys
    // hashed uniformly over three equal slot ranges, a master with none has probability 3 * (2/3)^300.
    int total = 0;
    for (int n = 0; n < RedisTestCluster::kMasters; ++n) {
      const int keys = cluster.dbsize(n);
      QVERIFY2(keys > 0, qPrintable(QString("node %1 holds no key").arg(n)));
      total += keys;
    }
    QCOMPARE(total, int(kBlocks));

    // A batch read costs one pipelined round trip per master (3), whatever the batch size.
    const uint64_t before = tier->counters().roundTrips;
    const auto got = tier->get(blocks);
    QCOMPARE(tier->counters().roundTrips - before, uint64_t(3));
    QCOMPARE(tier->counters().masters, uint64_t(3));
    for (size_t i = 0; i < blocks.size(); ++i) {
      QVERIFY(got[i].has_value());
      QCOMPARE(*got[i], payloadFor(blocks[i]));
    }
    const TierStats stats = tier->stats();
    QCOMPARE(stats.hits, kBlocks);
    QCOMPARE(stats.puts, kBlocks);
    QCOMPARE(stats.errors + stats.timeouts + stats.corrupt, uint64_t(0));
    QCOMPARE(tier->counters().moved + tier->counters().ask, uint64_t(0));

    // Calls from several threads are serialised inside the tier: every block still hits, counted once each.
    std::vector<std::thread> readers;
    std::atomic<uint64_t> concurrentHits{0};
    for (int t = 0; t < 4; ++t)
      readers.emplace_back([&] {
        for (const auto& block : tier->get(blocks)) concurrentHits += block.has_value() ? 1 : 0;
      });
    for (std::thread& reader : readers) reader.join();
    QCOMPARE(concurrentHits.load(), 4 * kBlocks);
    QCOMPARE(tier->stats().hits, 5 * kBlocks);

    // contains / remove route the same way.
    const std::vector<uint64_t> some(blocks.begin(), blocks.begin() + 50);
    QCOMPARE(tier->remove(some), size_t(50));
    const auto present = tier->contains(blocks);
    for (size_t i = 0; i < blocks.size(); ++i) QCOMPARE(bool(present[i]), i >= 50);

    // TTL maps to a Redis expiry on whichever node holds the key (redis-cli -c follows the redirect).
    RedisTierOptions ttlOptions;
    ttlOptions.timeoutMs = kTestTimeoutMs;
    ttlOptions.ttlMs = 600000;
    RedisClusterTier ttlTier(RemoteUrl::parse(cluster.url()), layout(), ttlOptions);
    QCOMPARE(putBlocks(ttlTier, {blocks[0]}), size_t(1));
    const qint64 pttl = cluster.node(0)
                            .cli({"-c", "PTTL", QString::fromStdString(tier->codec().keyFor(blocks[0]))})
                            .toLongLong();
    QVERIFY2(pttl > 0 && pttl <= 600000, qPrintable(QString::number(pttl)));

    // A seed list whose first seed is down: the slot map comes from the next seed, nothing fails.
    const std::string seeds =
        "redis-cluster://127.0.0.1:" + std::to_string(RedisTestServer::freeLoopbackPort()) +
        ",127.0.0.1:" + std::to_string(cluster.node(1).port());
    auto viaSecondSeed = makeTier(seeds);
    const std::vector<uint64_t> rest(blocks.begin() + 50, blocks.end());
    for (const auto& block : viaSecondSeed->get(rest)) QVERIFY(block.has_value());
    QCOMPARE(viaSecondSeed->stats().errors, uint64_t(0));
    QCOMPARE(viaSecondSeed->counters().masters, uint64_t(3));
  }

  void movedAfterReshardIsFollowed() {
    RedisTestCluster cluster;
    QVERIFY2(cluster.start(), qPrintable(cluster.error()));
    auto tier = makeTier(cluster.url());
    const std::vector<uint64_t> blocks = hashes(kBlocks);
    QCOMPARE(putBlocks(*tier, blocks), size_t(kBlocks));  // the tier now has the slot map cached

    const std::string key = tier->codec().keyFor(blocks[0]);
    const int slot = cluster.keySlot(key);
    const int from = cluster.ownerOf(slot);
    QVERIFY(from >= 0);
    const int to = (from + 1) % RedisTestCluster::kMasters;
    const QStringList keys =
        cluster.node(from).cli({"CLUSTER", "GETKEYSINSLOT", QString::number(slot), "1000"}).split('\n');
    QVERIFY(keys.contains(QString::fromStdString(key)));
    QVERIFY(migrateSlot(cluster, slot, from, to, keys, /*finish=*/true));
    QCOMPARE(cluster.ownerOf(slot, to), to);
    QCOMPARE(cluster.node(to).cli({"EXISTS", QString::fromStdString(key)}), QString("1"));

    // The stale map sends the slot's keys to `from`, which answers MOVED: followed, data still read.
    const uint64_t refreshesBefore = tier->counters().slotMapRefreshes;
    const auto got = tier->get(blocks);
    for (size_t i = 0; i < blocks.size(); ++i) {
      QVERIFY(got[i].has_value());
      QCOMPARE(*got[i], payloadFor(blocks[i]));
    }
    const RedisClusterTier::Counters after = tier->counters();
    QCOMPARE(after.moved, uint64_t(keys.size()));  // one MOVED per key of the moved slot
    QCOMPARE(after.slotMapRefreshes, refreshesBefore + 1);
    QCOMPARE(tier->stats().errors, uint64_t(0));

    // The map was refreshed: the next read goes straight to the new owner.
    QVERIFY(tier->get(std::vector<uint64_t>{blocks[0]})[0].has_value());
    QCOMPARE(tier->counters().moved, after.moved);
  }

  void askDuringMigrationIsFollowed() {
    RedisTestCluster cluster;
    QVERIFY2(cluster.start(), qPrintable(cluster.error()));
    auto tier = makeTier(cluster.url());
    const std::vector<uint64_t> blocks = hashes(kBlocks);
    QCOMPARE(putBlocks(*tier, blocks), size_t(kBlocks));

    // Slot half-migrated: only blocks[0]'s key has moved to `to`; `from` still owns the slot.
    const std::string key = tier->codec().keyFor(blocks[0]);
    const int slot = cluster.keySlot(key);
    const int from = cluster.ownerOf(slot);
    QVERIFY(from >= 0);
    const int to = (from + 2) % RedisTestCluster::kMasters;
    QVERIFY(migrateSlot(cluster, slot, from, to, {QString::fromStdString(key)}, /*finish=*/false));
    QCOMPARE(cluster.ownerOf(slot), from);

    // `from` no longer has the key and the slot is MIGRATING: it answers ASK; ASKING + GET on `to` hits.
    const auto got = tier->get(blocks);
    for (size_t i = 0; i < blocks.size(); ++i) {
      QVERIFY(got[i].has_value());
      QCOMPARE(*got[i], payloadFor(blocks[i]));
    }
    QCOMPARE(tier->counters().ask, uint64_t(1));
    QCOMPARE(tier->counters().moved, uint64_t(0));
    // ASK does not change the map: the same key is asked again next time.
    QVERIFY(tier->get(std::vector<uint64_t>{blocks[0]})[0].has_value());
    QCOMPARE(tier->counters().ask, uint64_t(2));
    QCOMPARE(tier->stats().errors, uint64_t(0));
  }

  void killedNodeTurnsOnlyItsBlocksIntoErrors() {
    RedisTestCluster cluster;
    QVERIFY2(cluster.start(), qPrintable(cluster.error()));
    auto tier = makeTier(cluster.url());
    const std::vector<uint64_t> blocks = hashes(kBlocks);
    QCOMPARE(putBlocks(*tier, blocks), size_t(kBlocks));
    const uint64_t onDead = uint64_t(cluster.dbsize(2));
    QVERIFY(onDead > 0 && onDead < kBlocks);

    cluster.node(2).stop();  // SIGKILL: connection refused from now on
    const TierStats before = tier->stats();
    const auto got = tier->get(blocks);  // returns: refused connections fail at once
    uint64_t hits = 0;
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (!got[i]) continue;
      ++hits;
      QCOMPARE(*got[i], payloadFor(blocks[i]));  // a hit is always the right payload
    }
    const TierStats after = tier->stats();
    QCOMPARE(hits, kBlocks - onDead);
    QCOMPARE(after.hits - before.hits, kBlocks - onDead);
    QCOMPARE(after.misses - before.misses, onDead);
    QCOMPARE(after.errors - before.errors + after.timeouts - before.timeouts, onDead);

    // Writes: the live masters store theirs, the dead one's are counted as errors.
    QCOMPARE(putBlocks(*tier, blocks), size_t(kBlocks - onDead));
    QCOMPARE(tier->stats().errors + tier->stats().timeouts - after.errors - after.timeouts, onDead);
  }

  // A master killed, then its replica promoted by hand (CLUSTER FAILOVER TAKEOVER: the cluster's own
  // failure detection is slowed to 60 s in these tests): the first read after the kill fails the master's
  // blocks as errors; the tier then re-reads the slot map, finds the promoted replica and every block hits.
  void failoverToAReplicaIsFollowed() {
    RedisTestCluster cluster(/*replicasPerMaster=*/1);
    QVERIFY2(cluster.start(), qPrintable(cluster.error()));
    auto tier = makeTier(cluster.url());
    const std::vector<uint64_t> blocks = hashes(kBlocks);
    QCOMPARE(putBlocks(*tier, blocks), size_t(kBlocks));

    const int master = cluster.ownerOf(cluster.keySlot(tier->codec().keyFor(blocks[0])));
    QVERIFY(master >= 0);
    int replica = -1;
    for (int n = 0; n < cluster.size(); ++n)
      if (n != master && cluster.node(n)
                             .cli({"INFO", "replication"})
                             .contains("master_port:" + QString::number(cluster.node(master).port())))
        replica = n;
    QVERIFY(replica >= 0);
    // Replication is asynchronous: wait (bounded) until the replica holds all of the master's keys.
    const int onMaster = cluster.dbsize(master);
    QVERIFY(onMaster > 0);
    const QDeadlineTimer replicated(60000);
    while (!replicated.hasExpired() && cluster.dbsize(replica) < onMaster) continue;  // paced by redis-cli
    QCOMPARE(cluster.dbsize(replica), onMaster);

    cluster.node(master).stop();
    const TierStats before = tier->stats();
    uint64_t hits = 0;
    for (const auto& block : tier->get(blocks)) hits += block.has_value() ? 1 : 0;
    QCOMPARE(hits, kBlocks - uint64_t(onMaster));
    QCOMPARE(tier->stats().errors - before.errors, uint64_t(onMaster));

    QCOMPARE(cluster.node(replica).cli({"CLUSTER", "FAILOVER", "TAKEOVER"}), QString("OK"));
    // Bounded: each get re-reads the map while blocks still fail, until the promotion has spread.
    const uint64_t refreshesBefore = tier->counters().slotMapRefreshes;
    std::vector<std::optional<std::string>> got;
    for (QDeadlineTimer deadline(60000); !deadline.hasExpired();) {
      got = tier->get(blocks);
      if (std::all_of(got.begin(), got.end(), [](const auto& block) { return block.has_value(); })) break;
    }
    for (size_t i = 0; i < blocks.size(); ++i) {
      QVERIFY(got[i].has_value());
      QCOMPARE(*got[i], payloadFor(blocks[i]));
    }
    QVERIFY(tier->counters().slotMapRefreshes > refreshesBefore);
  }

  // A node that accepts connections but answers nothing (SIGSTOP): its blocks are misses counted as
  // time-outs after one time-out, the other masters' blocks still hit; after SIGCONT everything hits.
  void pausedNodeTimesOutOthersStillHit() {
    RedisTestCluster cluster;
    QVERIFY2(cluster.start(), qPrintable(cluster.error()));
    const std::vector<uint64_t> blocks = hashes(kBlocks);
    QCOMPARE(putBlocks(*makeTier(cluster.url()), blocks), size_t(kBlocks));
    const uint64_t onPaused = uint64_t(cluster.dbsize(1));
    // 1 s: long enough for a live node on a loaded machine, short enough to keep the test quick.
    auto tier = makeTier(cluster.url(), 1000);
    QVERIFY(tier->get(std::vector<uint64_t>{blocks[0]})[0].has_value());  // slot map fetched

    cluster.node(1).pause();
    const TierStats before = tier->stats();
    const auto got = tier->get(blocks);
    uint64_t hits = 0;
    for (size_t i = 0; i < blocks.size(); ++i)
      if (got[i]) {
        ++hits;
        QCOMPARE(*got[i], payloadFor(blocks[i]));
      }
    const TierStats after = tier->stats();
    QCOMPARE(hits, kBlocks - onPaused);
    QCOMPARE(after.timeouts - before.timeouts, onPaused);
    QCOMPARE(after.errors - before.errors, uint64_t(0));

    cluster.node(1).resume();
    uint64_t hitsAfterResume = 0;
    for (int attempt = 0; attempt < 100 && hitsAfterResume < kBlocks; ++attempt) {
      hitsAfterResume = 0;
      for (const auto& block : tier->get(blocks)) hitsAfterResume += block.has_value() ? 1 : 0;
    }
    QCOMPARE(hitsAfterResume, kBlocks);
  }

  // requirepass on every node: the URL's credentials are sent to every node the tier connects to
  // (seeds, nodes learnt from CLUSTER SLOTS and from redirects); wrong ones fail as errors, never hang.
  void passwordAuthOnEveryNode() {
    RedisTestCluster cluster;
    QVERIFY2(cluster.start("s3cret"), qPrintable(cluster.error()));
    const std::vector<uint64_t> blocks = hashes(60);
    auto good = makeTier(cluster.url(":s3cret"));
    QCOMPARE(putBlocks(*good, blocks), size_t(60));
    for (const auto& block : good->get(blocks)) QVERIFY(block.has_value());
    QCOMPARE(good->counters().masters, uint64_t(3));

    auto bad = makeTier(cluster.url(":wrong"));
    for (const auto& block : bad->get(blocks)) QVERIFY(!block.has_value());
    QCOMPARE(bad->stats().errors, uint64_t(60));  // no slot map: every block fails as an error
    auto none = makeTier(cluster.url());
    QCOMPARE(putBlocks(*none, blocks), size_t(0));
    QCOMPARE(none->stats().errors, uint64_t(60));
  }

#ifdef KVLAB_CLI_PATH
  void cliStatsAndClearOnTheCluster() {
    RedisTestCluster cluster;
    QVERIFY2(cluster.start(), qPrintable(cluster.error()));
    RedisTierOptions options;
    options.timeoutMs = kTestTimeoutMs;
    RedisClusterTier tier(RemoteUrl::parse(cluster.url()), modelBlobLayout(*findModelPreset("demo"), 16),
                          options);
    const std::string payload(tier.codec().layout().payloadBytes(), 'k');
    const size_t blobBytes = tier.codec().encode(1, payload).size();
    std::vector<TierItem> items;
    for (uint64_t h = 1; h <= 60; ++h) items.push_back({h, payload});
    QCOMPARE(tier.put(items), size_t(60));
    QCOMPARE(cluster.node(0).cli({"-c", "SET", "unrelated", "x"}), QString("OK"));

    const QStringList args{"--remote",
                           QString::fromStdString(cluster.url()),
                           "--model",
                           "demo",
                           "--block-size",
                           "16",
                           "--remote-timeout",
                           "10s",
                           "--json"};
    const auto run = [](const QStringList& a) {
      QProcess process;
      process.start(QStringLiteral(KVLAB_CLI_PATH), a);
      if (!process.waitForFinished(120000)) {
        process.kill();
        process.waitForFinished(30000);
        return QJsonObject{{"exit", -1}};
      }
      QJsonObject out = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
      out["exit"] = process.exitCode();
      return out;
    };
    QJsonObject stats = run(QStringList{"remote", "stats"} + args);
    QCOMPARE(stats["exit"].toInt(), 0);
    QCOMPARE(stats["keys"].toInteger(), qint64(60));
    QCOMPARE(stats["value_bytes"].toInteger(), qint64(60 * blobBytes));
    const QJsonObject clear = run(QStringList{"remote", "clear"} + args);
    QCOMPARE(clear["exit"].toInt(), 0);
    QCOMPARE(clear["deleted"].toInteger(), qint64(60));
    int left = 0;
    for (int n = 0; n < RedisTestCluster::kMasters; ++n) left += cluster.dbsize(n);
    QCOMPARE(left, 1);  // only the unrelated key
    stats = run(QStringList{"remote", "stats"} + args);
    QCOMPARE(stats["keys"].toInteger(), qint64(0));
  }
#endif
};

KVLAB_TEST_GUILESS_MAIN(TestRedisCluster)
#include "tst_redis_cluster.moc"
