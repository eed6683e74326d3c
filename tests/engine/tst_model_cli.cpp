// SPDX-License-Identifier: MIT
// `kvlab-cli model` and the shared model flags (--model, --kv-dtype, --tp) through the real binary
// (KVLAB_CLI_PATH): the JSON contract for every preset (the fields issue 21 names), --kv-dtype halving K/V,
// a config.json path accepted by model / replay / simulate, `simulate --tp` splitting the pool per device,
// a model that does not fit named with its figures, and bad flags refused with exit 2 naming the flag.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "cli_runner.h"

using kvlab::test::CliResult;
using kvlab::test::runCli;

namespace {

const QString kTrace = QStringLiteral(KVLAB_TEST_DATA_DIR "/mooncake_sample.jsonl");

}  // namespace

class TestModelCli : public QObject {
  Q_OBJECT
private slots:
  void everyPresetHasTheFields();
  void kvDtypeAndTokens();
  void configPathEverywhere();
  void tensorParallelPool();
  void badFlags_data();
  void badFlags();
};

void TestModelCli::everyPresetHasTheFields() {
  const CliResult r = runCli({"model", "--json"});
  QCOMPARE(r.code, 0);
  const QJsonArray all = QJsonDocument::fromJson(r.out).object()["models"].toArray();
  QVERIFY(all.size() >= 20);
  for (const QJsonValue& v : all) {
    const QJsonObject o = v.toObject();
    for (const char* key : {"kv_bytes_per_token", "kv_bytes_total", "layers", "attention", "window_layers",
                            "window", "params_total", "params_active", "weight_bytes", "source"})
      QVERIFY2(o.contains(key), qPrintable(o["name"].toString() + ": no " + key));
    QVERIFY(o["params_active"].toDouble() <= o["params_total"].toDouble());
  }
  const CliResult csv = runCli({"model", "--format", "csv"});
  QCOMPARE(csv.code, 0);
  QCOMPARE(csv.out.count('\n'), qsizetype(all.size() + 1));  // header + one row per preset
}

void TestModelCli::kvDtypeAndTokens() {
  // DeepSeek V3: 61 x 576 B of latent per token in fp8 = 35136; 1000 tokens: 35,136,000.
  const CliResult r = runCli({"model", "deepseek-v3", "--kv-dtype", "fp8", "--tokens", "1000", "--json"});
  QCOMPARE(r.code, 0);
  const QJsonObject o = QJsonDocument::fromJson(r.out).object();  // one model: an object
  QCOMPARE(o["kv_bytes_per_token"].toInteger(), 35136);
  QCOMPARE(o["kv_bytes_total"].toInteger(), 35136000);
  QCOMPARE(o["attention"].toString(), QStringLiteral("MLA"));
  QCOMPARE(o["kv_dtype"].toString(), QStringLiteral("fp8"));
}

void TestModelCli::configPathEverywhere() {
  // The qwen3-8b preset's fields as a model directory: every command takes it and sizes by it.
  QFile preset(QStringLiteral(KVLAB_MODELS_DIR "/qwen3-8b.json"));
  QVERIFY(preset.open(QIODevice::ReadOnly));
  QJsonObject config = QJsonDocument::fromJson(preset.readAll()).object();
  config.remove("kvlab");
  QTemporaryDir dir;
  const QString modelDir = dir.filePath("Qwen3-8B");
  QVERIFY(QDir().mkpath(modelDir));
  QFile out(modelDir + "/config.json");
  QVERIFY(out.open(QIODevice::WriteOnly));
  out.write(QJsonDocument(config).toJson());
  out.close();
  const CliResult model = runCli({"model", modelDir, "--json"});
  QCOMPARE(model.code, 0);
  QCOMPARE(QJsonDocument::fromJson(model.out).object()["kv_bytes_per_token"].toInteger(), 147456);
  // replay: 2 GiB / (147456 / 2 B per token in fp8) = 29127 tokens.
  const CliResult replay =
      runCli({"replay", kTrace, "--max-size", "2GiB", "--model", modelDir, "--kv-dtype", "fp8", "--json"});
  QCOMPARE(replay.code, 0);
  const QJsonObject rc = QJsonDocument::fromJson(replay.out).object()["config"].toObject();
  QCOMPARE(rc["bytes_per_token"].toInteger(), 73728);
  QCOMPARE(rc["max_tokens"].toInteger(), 29127);
  const CliResult sim =
      runCli({"simulate", kTrace, "--model", modelDir + "/config.json", "--format", "json"});
  QCOMPARE(sim.code, 0);
  QCOMPARE(QJsonDocument::fromJson(sim.out).object()["config"].toObject()["model"].toString(),
           QStringLiteral("Qwen3-8B"));
}

void TestModelCli::tensorParallelPool() {
  // llama-3-70b on 8 x H100, per device: 0.9 x 80e9 - 141.1e9 / 8 weights = 54.36e9 B for blocks of 512 x
  // 40960 B (one KV head per device) = 2592 blocks.
  const CliResult r = runCli({"simulate", kTrace, "--model", "llama-3-70b", "--tp", "8", "--format", "json"});
  QCOMPARE(r.code, 0);
  const QJsonObject c = QJsonDocument::fromJson(r.out).object()["config"].toObject();
  QCOMPARE(c["tp"].toInt(), 8);
  const double weights = 70553706496.0 * 2;  // 70.55 B parameters in bf16 (tst_model_figures)
  QCOMPARE(c["pool_blocks"].toInteger(), qint64((0.9 * 80e9 - weights / 8) / (512.0 * 40960)));
  QVERIFY(QJsonDocument::fromJson(r.out).object()["figures"].toString().contains("tp 8"));
}

void TestModelCli::badFlags_data() {
  QTest::addColumn<QStringList>("args");
  QTest::addColumn<QString>("message");
  QTest::newRow("model unknown") << QStringList{"model", "llama-9"}
                                 << "field 'model': unknown model 'llama-9'";
  QTest::newRow("kv-dtype") << QStringList{"model", "qwen3-8b", "--kv-dtype", "fp6"} << "field 'kv-dtype'";
  QTest::newRow("tokens") << QStringList{"model", "--tokens", "many"} << "field 'tokens'";
  QTest::newRow("replay model") << QStringList{"replay", kTrace, "--max-size", "1GiB", "--model", "gpt-5"}
                                << "field 'model'";
  QTest::newRow("simulate tp zero") << QStringList{"simulate", kTrace, "--tp", "0"} << "field 'tp'";
  QTest::newRow("simulate tp on cpu")
      << QStringList{"simulate", kTrace, "--tp", "2", "--hardware", "cpu-here"}
      << "field 'tp': cpu-here has no device interconnect";
  QTest::newRow("does not fit") << QStringList{"simulate", kTrace, "--model", "deepseek-v3", "--tp", "4"}
                                << "deepseek-v3 does not fit h100-sxm per device (--tp 4): weights";
  QTest::newRow("fleet tp without serving")
      << QStringList{"fleet", kTrace, "--replicas", "2", "--max-tokens", "10000", "--tp", "2"}
      << "field 'tp'";
}

void TestModelCli::badFlags() {
  QFETCH(QStringList, args);
  QFETCH(QString, message);
  const CliResult r = runCli(args);
  QVERIFY2(r.code == 2, qPrintable(r.err));
  QVERIFY2(r.err.contains(message), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestModelCli)
#include "tst_model_cli.moc"
