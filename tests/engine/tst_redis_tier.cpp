// SPDX-License-Identifier: MIT
// RedisTier against a real redis-server that each test starts on a free loopback port (see
// redis_test_server.h) and always stops. Covers: byte-exact round trip with counted hits/misses/bytes,
// TTL mapped to a Redis expiry, two clients sharing blocks while another layout does not, a corrupted value
// and another model's value counted `corrupt` and not used, the server killed mid-run (errors counted,
// nothing hangs), a stopped (unresponsive) server (time-outs counted), password and ACL-user auth, and
// rediss:// (TLS, certificates made with the openssl tool).
// Skips (exit 77; a failure under CI=true) when redis-server / redis-cli or openssl are not installed.
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
    QCOMPARE(usage.valueBytes, uint64_t(6 * (512 + 88)));  // rank 4: 40 + 4*8 + 8 + 8 checksum = 88
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

  // A damaged blob, another model's blob under our key and our own block's blob under another block's key
  // are misses counted `corrupt`, never returned.
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
    const QString key4 = QString::fromStdString(tier.codec().keyFor(4));
    const QString key5 = QString::fromStdString(tier.codec().keyFor(5));
    // 1: one payload byte overwritten in place (offset 200 is inside the payload, which starts at 88: a
    // 40-byte fixed header, 4 dims, the payload size and the checksum; 88 + 512 payload bytes = 600).
    QCOMPARE(server.cli({"SETRANGE", key1, "200", "Z"}), QString("600"));
    // 2: another model's intact blob moved under our key.
    QCOMPARE(server.cli({"RENAME", QString::fromStdString(otherModel.codec().keyFor(2)), key2}),
             QString("OK"));
    // 3: not a blob at all.
    QCOMPARE(server.cli({"SET", key3, "garbage"}), QString("OK"));
    // 5: block 4's intact blob copied under block 5's key.
    QCOMPARE(server.cli({"COPY", key4, key5}), QString("1"));

    const auto got = tier.get(std::vector<uint64_t>{1, 2, 3, 4, 5});
    QVERIFY(!got[0].has_value());
    QVERIFY(!got[1].has_value());
    QVERIFY(!got[2].has_value());
    QVERIFY(got[3].has_value());
    QCOMPARE(*got[3], payloadFor(4));
    QVERIFY(!got[4].has_value());
    const TierStats stats = tier.stats();
    QCOMPARE(stats.corrupt, uint64_t(4));
    QCOMPARE(stats.hits, uint64_t(1));
    QCOMPARE(stats.misses, uint64_t(4));
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

  // rediss://: Debian's redis-server is built with TLS; the CA and a server certificate for IP 127.0.0.1
  // are made here with the openssl tool. The tier verifies the server against KVLAB_REMOTE_TLS_CA: a round
  // trip works; a server signed by another CA, and plain redis:// to the TLS port, fail as counted faults
  // and never hang.
  void tls() {
    KVLAB_REQUIRE(!QStandardPaths::findExecutable("openssl").isEmpty(), QStringLiteral("the openssl tool"));
    QTemporaryDir dir;
    const auto openssl = [&](const QStringList& args) {
      QProcess p;
      p.setWorkingDirectory(dir.path());
      p.start("openssl", args);
      return p.waitForFinished(120000) && p.exitCode() == 0;
    };
    QFile ext(dir.filePath("ext.cnf"));
    QVERIFY(ext.open(QIODevice::WriteOnly));
    ext.write("subjectAltName=IP:127.0.0.1\n");
    ext.close();
    for (const QString& ca : {QString("ca"), QString("other")})
      QVERIFY(openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out",
                       ca + ".pem", "-days", "1", "-subj", "/CN=kvlab test " + ca}));
    QVERIFY(openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                     "-subj", "/CN=127.0.0.1"}));
    QVERIFY(openssl({"x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                     "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf"}));
    const int tlsPort = RedisTestServer::freeLoopbackPort();
    RedisTestServer server;
    QVERIFY2(server.start({"--tls-port", QString::number(tlsPort), "--tls-cert-file",
                           dir.filePath("server.pem"), "--tls-key-file", dir.filePath("server.key"),
                           "--tls-ca-cert-file", dir.filePath("ca.pem"), "--tls-auth-clients", "no"}),
             qPrintable(server.error()));
    const std::string tlsUrl = "rediss://127.0.0.1:" + std::to_string(tlsPort);
    const auto tierWithCa = [&](const QString& ca, const std::string& url) {
      qputenv(kRemoteTlsCaEnv, dir.filePath(ca).toUtf8());
      RedisTierOptions options;
      options.timeoutMs = kTestTimeoutMs;
      options.reconnectBackoffMs = 0;
      auto tier = std::make_unique<RedisTier>(RemoteUrl::parse(url).withEnvironment(), layout(), options);
      qunsetenv(kRemoteTlsCaEnv);
      return tier;
    };
    auto tier = tierWithCa("ca.pem", tlsUrl);
    QCOMPARE(putBlocks(*tier, {1, 2}), size_t(2));
    const auto got = tier->get(std::vector<uint64_t>{1, 2});
    QVERIFY(got[0] && got[1]);
    QCOMPARE(*got[1], payloadFor(2));
    QCOMPARE(tier->stats().errors + tier->stats().timeouts, uint64_t(0));
    QCOMPARE(server.cli({"DBSIZE"}), QString("2"));

    auto untrusted = tierWithCa("other.pem", tlsUrl);
    QVERIFY(!untrusted->get(std::vector<uint64_t>{1})[0].has_value());
    QCOMPARE(untrusted->stats().errors, uint64_t(1));

    RedisTierOptions options;
    options.timeoutMs = 2000;
    RedisTier plain(RemoteUrl::parse("redis://127.0.0.1:" + std::to_string(tlsPort)), layout(), options);
    QVERIFY(!plain.get(std::vector<uint64_t>{1})[0].has_value());
    QCOMPARE(plain.stats().errors + plain.stats().timeouts, uint64_t(1));
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
