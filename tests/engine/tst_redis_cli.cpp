// SPDX-License-Identifier: MIT
// `kvlab-cli remote stats|clear` as a second process against the test's own redis-server: it sees exactly
// the blocks this process stored for the same model preset + block size, and `clear` deletes those and
// nothing else (another preset's keys and unrelated keys stay); `remote bench` counts its round trips and
// cleans up. Bad --remote values exit 2 naming the field;
// an unreachable server exits 1 without hanging. Skips only when redis-server is not installed.
#include <QtTest>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/tiers/model_blob_layout.h"
#include "core/tiers/redis_tier.h"
#include "redis_test_server.h"
#include "test_requirements.h"

using namespace kvlab;
using kvlab::test::RedisTestServer;

namespace {

struct CliResult {
  int exitCode = -1;
  QString out;
  QString err;
};

CliResult runCli(const QStringList& args) {
  QProcess process;
  process.start(QStringLiteral(KVLAB_CLI_PATH), args);
  CliResult result;
  if (!process.waitForFinished(120000)) {
    process.kill();
    process.waitForFinished(30000);
    return result;
  }
  result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  result.out = QString::fromUtf8(process.readAllStandardOutput());
  result.err = QString::fromUtf8(process.readAllStandardError());
  return result;
}

// Stores `count` blocks (hashes 1..count) the way a lab running `model` with `blockSize` would.
size_t storeBlocks(const std::string& url, const char* model, uint32_t blockSize, uint64_t count) {
  RedisTierOptions options;
  options.timeoutMs = 10000;
  RedisTier tier(RemoteUrl::parse(url), modelBlobLayout(*findModelPreset(model), blockSize), options);
  const std::string payload(tier.codec().layout().payloadBytes(), 'k');
  std::vector<TierItem> items;
  for (uint64_t h = 1; h <= count; ++h) items.push_back({h, payload});
  return tier.put(items);
}

QJsonObject parseJson(const QString& text) { return QJsonDocument::fromJson(text.toUtf8()).object(); }

}  // namespace

class TestRedisCli : public QObject {
  Q_OBJECT

private slots:
  void init() {
    KVLAB_REQUIRE(RedisTestServer::installed(), QStringLiteral("redis-server and redis-cli"));
  }

  void statsAndClearSeeOnlyTheirNamespace() {
    RedisTestServer server;
    QVERIFY2(server.start(), qPrintable(server.error()));
    const std::string url = server.url();
    QCOMPARE(storeBlocks(url, "demo", 16, 5), size_t(5));
    QCOMPARE(storeBlocks(url, "demo", 32, 2), size_t(2));  // same model, other block size: other namespace
    QCOMPARE(server.cli({"SET", "unrelated", "x"}), QString("OK"));

    const QStringList demo16{"--remote", QString::fromStdString(url), "--model", "demo",  "--block-size",
                             "16",       "--remote-timeout",          "10s",     "--json"};
    CliResult stats = runCli(QStringList{"remote", "stats"} + demo16);
    QVERIFY2(stats.exitCode == 0, qPrintable(stats.err));
    QJsonObject json = parseJson(stats.out);
    QCOMPARE(json["keys"].toInteger(), qint64(5));
    const qint64 blob = qint64(modelBlobLayout(*findModelPreset("demo"), 16).payloadBytes()) + 96;
    QCOMPARE(json["value_bytes"].toInteger(), 5 * blob);  // rank-5 header + checksum: 40 + 40 + 8 + 8 = 96

    const CliResult clear = runCli(QStringList{"remote", "clear"} + demo16);
    QVERIFY2(clear.exitCode == 0, qPrintable(clear.err));
    QCOMPARE(parseJson(clear.out)["deleted"].toInteger(), qint64(5));
    QCOMPARE(server.cli({"DBSIZE"}), QString("3"));  // the two 32-token blocks and "unrelated" remain

    stats = runCli(QStringList{"remote", "stats"} + demo16);
    QCOMPARE(parseJson(stats.out)["keys"].toInteger(), qint64(0));
  }

  // remote bench: 10 blocks in batches of 4 = ceil(10 / 4) = 3 pipelined round trips each way, every block
  // read back, and nothing left behind in the namespace. (Its timings are not asserted.)
  void benchCountsRoundTripsAndCleansUp() {
    RedisTestServer server;
    QVERIFY2(server.start(), qPrintable(server.error()));
    const QStringList common{
        "--remote", QString::fromStdString(server.url()), "--model", "small", "--remote-timeout", "10s",
        "--json"};
    const CliResult bench = runCli(QStringList{"remote", "bench", "--blocks", "10", "--batch", "4"} + common);
    QCOMPARE(bench.exitCode, 0);
    const QJsonObject out = parseJson(bench.out);
    QCOMPARE(out["stored"].toInt(), 10);
    QCOMPARE(out["hits"].toInt(), 10);
    QCOMPARE(out["put_round_trips"].toInt(), 3);
    QCOMPARE(out["get_round_trips"].toInt(), 3);
    QCOMPARE(out["errors"].toInt(), 0);
    QCOMPARE(server.cli({"DBSIZE"}), QString("0"));
  }

  void badInputAndUnreachableServer_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("bad url") << QStringList{"--remote", "http://x"} << 2 << "field 'remote'";
    QTest::newRow("bad port") << QStringList{"--remote", "redis://127.0.0.1:0"} << 2 << "port";
    QTest::newRow("bad timeout") << QStringList{"--remote", "redis://127.0.0.1:1", "--remote-timeout", "x"}
                                 << 2 << "remote-timeout";
    QTest::newRow("bad model") << QStringList{"--remote", "redis://127.0.0.1:1", "--model", "nope"} << 2
                               << "model";
    // A port nobody listens on: refused at once, exit 1 with the reason.
    QTest::newRow("unreachable") << QStringList{"--remote", "redis://127.0.0.1:PORT"} << 1
                                 << "cannot connect";
    QTest::newRow("cluster empty seed") << QStringList{"--remote", "redis-cluster://127.0.0.1:1,,127.0.0.1:2"}
                                        << 2 << "seed 2 of the list is empty";
    QTest::newRow("cluster unreachable") << QStringList{"--remote", "redis-cluster://127.0.0.1:PORT"} << 1
                                         << "cannot read the cluster's slot map";
    QTest::newRow("bench batch over 1 GiB")
        << QStringList{"--remote", "redis://127.0.0.1:1", "--blocks", "10", "--batch", "5000"} << 2
        << "exceed 1 GiB per batch";
    QTest::newRow("bad bench blocks")
        << QStringList{"--remote", "redis://127.0.0.1:1", "--blocks", "0"} << 2 << "blocks";
  }
  void badInputAndUnreachableServer() {
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, mentions);
    args.replaceInStrings("PORT", QString::number(RedisTestServer::freeLoopbackPort()));
    const QString verb = args.contains("--blocks") ? "bench" : "stats";
    const CliResult result = runCli(QStringList{"remote", verb} + args);
    QCOMPARE(result.exitCode, exitCode);
    QVERIFY2(result.err.contains(mentions), qPrintable(result.err));
  }
};

KVLAB_TEST_GUILESS_MAIN(TestRedisCli)
#include "tst_redis_cli.moc"
