// SPDX-License-Identifier: MIT
// RedisTier against a real redis-server that each test starts on a free loopback port (see
// redis_test_server.h) and always stops. Covers: byte-exact round trip with counted hits/misses/bytes,
// TTL mapped to a Redis expiry, two clients sharing blocks while another layout does not, a corrupted value
// and another model's value counted `corrupt` and not used, the server killed mid-run (errors counted,
// nothing hangs), a stopped (unresponsive) server (time-outs counted), password and ACL-user auth.
// Skips only when redis-server / redis-cli are not installed.
#include <QtTest>

#include "core/tiers/redis_tier.h"
#include "redis_test_server.h"
#include "test_requirements.h"

using namespace kvlab;
using kvlab::test::RedisTestServer;

namespace {

// Generous time-out: the machine running the tests may be heavily loaded; the fault tests that need a
// time-out make the server unresponsive instead of relying on a short one.
constexpr int kTestTimeoutMs = 10000;

BlobLayout layout(uint64_t fingerprint = 0xFEEDull) {
  BlobLayout l;
  l.modelFingerprint = fingerprint;
  l.layerEnd = 2;
  l.dtype = BlobDtype::F32;
  l.shape = {2, 2, 4, 8};  // K/V, layers, block tokens, head dim: 128 floats = 512 bytes
  l.blockTokens = 4;
  return l;
}

std::string payloadFor(uint64_t hash) {
  std::string payload(layout().payloadBytes(), '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(hash * 31 + i);
  return payload;
}

RedisTier makeTier(const std::string& url, uint64_t fingerprint = 0xFEEDull, int timeoutMs = kTestTimeoutMs,
                   int64_t ttlMs = 0) {
  RedisTierOptions options;
  options.timeoutMs = timeoutMs;
  options.ttlMs = ttlMs;
  options.reconnectBackoffMs = 0;
  return RedisTier(RemoteUrl::parse(url), layout(fingerprint), options);
}

size_t putBlocks(RedisTier& tier, const std::vector<uint64_t>& hashes) {
  std::vector<std::string> payloads;
  for (uint64_t h : hashes) payloads.push_back(payloadFor(h));
  std::vector<TierItem> items;
  for (size_t i = 0; i < hashes.size(); ++i) items.push_back({hashes[i], payloads[i]});
  return tier.put(items);
}

}  // namespace

class TestRedisTier : public QObject {
  Q_OBJECT

private slots:
  void init() {
    KVLAB_REQUIRE(RedisTestServer::installed(), QStringLiteral("redis-server and redis-cli"));
  }

  void roundTrip() {
    RedisTestServer server;
    QVERIFY2(server.start(), qPrintable(server.error()));
    RedisTier tier = makeTier(server.url());
    const std::vector<uint64_t> hashes{1, 2, 3, 0xFFFFFFFFFFFFFFFFull, 5, 6, 7, 8};
    QCOMPARE(putBlocks(tier, hashes), hashes.size());

    std::vector<uint64_t> asked = hashes;
    asked.push_back(999);  // never stored
    const auto got = tier.get(asked);
    QCOMPARE(got.size(), asked.size());
    for (size_t i = 0; i < hashes.size(); ++i) {
      QVERIFY(got[i].has_value());
      QCOMPARE(*got[i], payloadFor(hashes[i]));
    }
    QVERIFY(!got.back().has_value());
    const std::vector<bool> present = tier.contains(asked);
    QCOMPARE(std::count(present.begin(), present.end(), true), qsizetype(hashes.size()));
    QVERIFY(!present.back());

    const std::vector<uint64_t> gone{1, 2, 999};
    QCOMPARE(tier.remove(gone), size_t(2));  // 999 was never there
    QVERIFY(!tier.get(std::vector<uint64_t>{1})[0].has_value());

    const TierStats stats = tier.stats();
    QCOMPARE(stats.hits, uint64_t(8));
    QCOMPARE(stats.misses, uint64_t(2));  // 999, then 1 after removal
    QCOMPARE(stats.bytesIn, uint64_t(8 * 512));
    QCOMPARE(stats.bytesOut, uint64_t(8 * 512));
    QCOMPARE(stats.puts, uint64_t(8));
    QCOMPARE(stats.removes, uint64_t(2));
    QCOMPARE(stats.errors + stats.timeouts + stats.corrupt, uint64_t(0));
    // Exactly the keys we stored (6 left), all in our namespace.
    QCOMPARE(server.cli({"DBSIZE"}), QString("6"));
    const RedisTier::NamespaceUsage usage = tier.namespaceUsage();
    QCOMPARE(usage.keys, uint64_t(6));
    QCOMPARE(usage.valueBytes, uint64_t(6 * (512 + 80)));  // rank 4: 32 + 4*8 + 8 + 8 checksum = 80
  }

  void ttlBecomesARedisExpiry() {
    RedisTestServer server;
    QVERIFY2(server.start(), qPrintable(server.error()));
    RedisTier tier = makeTier(server.url(), 0xFEEDull, kTestTimeoutMs, 3'600'000);
    QCOMPARE(putBlocks(tier, {42}), size_t(1));
    const qint64 pttl = server.cli({"PTTL", QString::fromStdString(tier.codec().keyFor(42))}).toLongLong();
    QVERIFY2(pttl > 0 && pttl <= 3'600'000, qPrintable(QString::number(pttl)));
  }

  // Two clients with the same layout share blocks; a client for another model sees none of them.
  void clientsShareByLayoutOnly() {
    RedisTestServer server;
    QVERIFY2(server.start(), qPrintable(server.error()));
    RedisTier writer = makeTier(server.url());
    RedisTier reader = makeTier(server.url());
    RedisTier otherModel = makeTier(server.url(), 0xBEEFull);
    QCOMPARE(putBlocks(writer, {10, 11, 12}), size_t(3));
    const std::vector<uint64_t> hashes{10, 11, 12};
    for (const auto& block : reader.get(hashes)) QVERIFY(block.has_value());
    for (const auto& block : otherModel.get(hashes)) QVERIFY(!block.has_value());
    QCOMPARE(otherModel.stats().corrupt, uint64_t(0));  // not corrupt: simply not in its namespace
    QCOMPARE(otherModel.clearNamespace(), uint64_t(0));
    QCOMPARE(reader.clearNamespace(), uint64_t(3));
    QCOMPARE(server.cli({"DBSIZE"}), QString("0"));
  }

  // A damaged blob and another model's blob under our key are misses counted `corrupt`, never returned.
  void corruptAndForeignValuesAreNotUsed() {
    RedisTestServer server;
    QVERIFY2(server.start(), qPrintable(server.error()));
    RedisTier tier = makeTier(server.url());
    RedisTier otherModel = makeTier(server.url(), 0xBEEFull);
    QCOMPARE(putBlocks(tier, {1, 2, 3, 4}), size_t(4));
    QCOMPARE(putBlocks(otherModel, {2}), size_t(1));
    const QString key1 = QString::fromStdString(tier.codec().keyFor(1));
    const QString key2 = QString::fromStdString(tier.codec().keyFor(2));
    const QString key3 = QString::fromStdString(tier.codec().keyFor(3));
    // 1: one payload byte overwritten in place (offset 200 is inside the payload, which starts at 80).
    QCOMPARE(server.cli({"SETRANGE", key1, "200", "Z"}), QString("592"));
    // 2: another model's intact blob moved under our key.
    QCOMPARE(server.cli({"RENAME", QString::fromStdString(otherModel.codec().keyFor(2)), key2}),
             QString("OK"));
    // 3: not a blob at all.
    QCOMPARE(server.cli({"SET", key3, "garbage"}), QString("OK"));

    const auto got = tier.get(std::vector<uint64_t>{1, 2, 3, 4});
    QVERIFY(!got[0].has_value());
    QVERIFY(!got[1].has_value());
    QVERIFY(!got[2].has_value());
    QVERIFY(got[3].has_value());
    QCOMPARE(*got[3], payloadFor(4));
    const TierStats stats = tier.stats();
    QCOMPARE(stats.corrupt, uint64_t(3));
    QCOMPARE(stats.hits, uint64_t(1));
    QCOMPARE(stats.misses, uint64_t(3));
    QCOMPARE(stats.errors, uint64_t(0));
  }

  // The server dies between batches: every later block is a miss counted as an error (or time-out), the
  // calls return, and the counts add up. A restarted server is picked up again by the same tier.
  void serverKilledMidRun() {
    RedisTestServer server;
    QVERIFY2(server.start(), qPrintable(server.error()));
    RedisTier tier = makeTier(server.url());
    QCOMPARE(putBlocks(tier, {1, 2, 3}), size_t(3));
    QVERIFY(tier.get(std::vector<uint64_t>{1})[0].has_value());
    server.stop();  // SIGKILL: the open connection is reset

    const std::vector<uint64_t> hashes{1, 2, 3};
    for (const auto& block : tier.get(hashes)) QVERIFY(!block.has_value());
    QCOMPARE(putBlocks(tier, {4, 5}), size_t(0));
    const std::vector<bool> present = tier.contains(hashes);
    QCOMPARE(std::count(present.begin(), present.end(), true), qsizetype(0));
    QCOMPARE(tier.remove(hashes), size_t(0));
    const TierStats stats = tier.stats();
    QCOMPARE(stats.hits, uint64_t(1));
    QCOMPARE(stats.misses, uint64_t(3));
    QCOMPARE(stats.errors + stats.timeouts, uint64_t(3 + 2 + 3 + 3));  // get, put, contains, remove
    QCOMPARE(stats.corrupt, uint64_t(0));
  }

  // A server that accepts but never answers (SIGSTOP): each batch ends after the time-out, counted as
  // time-outs; once it answers again the tier recovers (bounded retries, the tier reconnects itself).
  void unresponsiveServerTimesOut() {
    RedisTestServer server;
    QVERIFY2(server.start(), qPrintable(server.error()));
    RedisTier tier = makeTier(server.url(), 0xFEEDull, 300);
    server.pause();
    const std::vector<uint64_t> hashes{7, 8};
    for (const auto& block : tier.get(hashes)) QVERIFY(!block.has_value());
    QCOMPARE(tier.stats().timeouts, uint64_t(2));
    QCOMPARE(tier.stats().misses, uint64_t(2));
    server.resume();
    bool stored = false;
    for (int attempt = 0; attempt < 100 && !stored; ++attempt) stored = putBlocks(tier, {7}) == 1;
    QVERIFY(stored);
  }

  void auth_data() {
    QTest::addColumn<QStringList>("serverArgs");
    QTest::addColumn<QString>("cliPassword");
    QTest::addColumn<QString>("goodCredentials");
    QTest::addColumn<QString>("badCredentials");
    QTest::newRow("requirepass") << QStringList{"--requirepass", "s3cret"} << "s3cret"
                                 << ":s3cret"
                                 << ":wrong";
    QTest::newRow("acl user") << QStringList{"--requirepass", "s3cret", "--user", "alice", "on",
                                             ">pw",           "~*",     "&*",     "+@all"}
                              << "s3cret"
                              << "alice:pw"
                              << "alice:nope";
  }
  void auth() {
    QFETCH(QStringList, serverArgs);
    QFETCH(QString, cliPassword);
    QFETCH(QString, goodCredentials);
    QFETCH(QString, badCredentials);
    RedisTestServer server;
    QVERIFY2(server.start(serverArgs, cliPassword), qPrintable(server.error()));

    RedisTier good = makeTier(server.url(goodCredentials.toStdString()));
    QCOMPARE(putBlocks(good, {1}), size_t(1));
    QVERIFY(good.get(std::vector<uint64_t>{1})[0].has_value());

    for (const std::string& credentials : {badCredentials.toStdString(), std::string()}) {
      RedisTier bad = makeTier(server.url(credentials));
      QCOMPARE(putBlocks(bad, {2}), size_t(0));
      QVERIFY(!bad.get(std::vector<uint64_t>{1})[0].has_value());
      QCOMPARE(bad.stats().errors, uint64_t(2));
      QCOMPARE(bad.stats().hits, uint64_t(0));
      QVERIFY_THROWS_EXCEPTION(std::runtime_error, bad.namespaceUsage());
    }
  }
};

KVLAB_TEST_GUILESS_MAIN(TestRedisTier)
#include "tst_redis_tier.moc"
