// SPDX-License-Identifier: MIT
// `kvlab-cli analyze --model M --hardware H`: the prefill time the cache saves (cost model). The price per
// token must be what `simulate` charges for the same prompt alone on the same model and hardware (its TTFT
// of a one-request trace of the mean prompt length, output 1: one step through the serving engine's cost
// model, a separate code path); saved seconds = hit tokens x that price, at the bound and along the curve.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "cli_runner.h"
#include "test_requirements.h"

namespace {

QJsonObject runJson(const QStringList& args, int* exitCode = nullptr, QString* err = nullptr) {
  const kvlab::test::CliResult r = kvlab::test::runCli(args);
  if (exitCode) *exitCode = r.code;
  if (err) *err = r.err;
  return QJsonDocument::fromJson(r.out).object();
}

}  // namespace

class TestAnalyzeCli : public QObject {
  Q_OBJECT
private slots:
  void prefillPriceEqualsSimulatesStep() {
    // Two requests of 2000 tokens sharing their first 1024 (blocks of 512: ids [1,2,3] and [1,2,4]); mean
    // prompt 2000. Bound: the second request reuses 2 blocks = 1024 tokens.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString trace = dir.filePath("t.jsonl");
    QFile f(trace);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        "{\"timestamp\": 0, \"input_length\": 2000, \"output_length\": 1, \"hash_ids\": [1, 2, 3]}\n"
        "{\"timestamp\": 100000, \"input_length\": 2000, \"output_length\": 1, \"hash_ids\": [1, 2, 4]}\n");
    f.close();
    const QString one = dir.filePath("one.jsonl");
    QFile g(one);
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write("{\"timestamp\": 0, \"input_length\": 2000, \"output_length\": 1, \"hash_ids\": [7, 8, 9]}\n");
    g.close();

    int code = -1;
    const QJsonObject a =
        runJson({"analyze", trace, "--model", "llama-3-8b", "--hardware", "h100-sxm", "--json"}, &code);
    QCOMPARE(code, 0);
    QCOMPARE(a["infinite_hit_tokens"].toInteger(), 1024);
    const double perToken = a["prefill_seconds_per_token"].toDouble();
    QVERIFY(perToken > 0);
    QVERIFY(a["prefill_cost"].toString().contains("cost model"));
    QVERIFY(qFuzzyCompare(a["infinite_prefill_s_saved"].toDouble(), 1024 * perToken));
    for (const QJsonValue& point : a["lru_curve"].toArray())
      QVERIFY(qFuzzyCompare(1 + point["prefill_s_saved"].toDouble(),
                            1 + point["hit_tokens"].toDouble() * perToken));

    const QJsonObject s =
        runJson({"simulate", one, "--model", "llama-3-8b", "--hardware", "h100-sxm", "--json"}, &code);
    QCOMPARE(code, 0);
    const double ttftS = s["runs"].toArray().at(0)["ttft_ms_p50"].toDouble() / 1e3;
    QVERIFY2(qFuzzyCompare(perToken * 2000, ttftS),
             qPrintable(QString("%1 vs %2").arg(perToken * 2000).arg(ttftS)));
  }

  void hardwareNeedsModel() {
    int code = -1;
    QString err;
    runJson(
        {"analyze", QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl"), "--hardware", "h100-sxm"},
        &code, &err);
    QCOMPARE(code, 2);
    QVERIFY2(err.contains("hardware") && err.contains("--model"), qPrintable(err));
  }
};

KVLAB_TEST_GUILESS_MAIN(TestAnalyzeCli)
#include "tst_analyze_cli.moc"
