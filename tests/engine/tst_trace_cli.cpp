// SPDX-License-Identifier: MIT
// Every command that reads a trace takes every format, through the real binary (KVLAB_CLI_PATH): replay,
// sweep, fleet, simulate, fleet --serving and bench on the hand-worked fixtures of tst_trace_formats
// (tests/data/traces; the expected hit tokens are worked there), the format and the skipped lines named in
// the output, --input-format, the trace's own block size and a contradicting --block-size refused, length-
// only traces refused by replay and sweep and taken by simulate without prefix reuse.
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

QString fixture(const char* relative) { return QStringLiteral(KVLAB_TEST_DATA_DIR "/traces/") + relative; }

QJsonObject jsonOf(const CliResult& r) { return QJsonDocument::fromJson(r.out).object(); }

}  // namespace

class TestTraceCli : public QObject {
  Q_OBJECT
private slots:
  void replayEveryFormat_data();
  void replayEveryFormat();
  void sweepFleetAndBench();
  void simulateEveryFormat_data();
  void simulateEveryFormat();
  void refusals_data();
  void refusals();
  void skippedLinesAreCounted();
  void promptsEveryCommand();
};

void TestTraceCli::replayEveryFormat_data() {
  QTest::addColumn<QString>("path");
  QTest::addColumn<QString>("format");
  QTest::addColumn<int>("blockSize");
  QTest::addColumn<qint64>("hitTokens");  // unlimited cache = the infinite-cache bound (tst_trace_formats)
  QTest::addColumn<qint64>("chunkHits");  // chunk-level bound, formats with chunk ids (-1: none)
  QTest::newRow("mooncake") << fixture("mooncake/tiny.jsonl") << "mooncake" << 512 << qint64(1212)
                            << qint64(-1);
  QTest::newRow("qwen-bailian") << fixture("qwen_bailian/tiny.jsonl") << "qwen-bailian" << 16 << qint64(64)
                                << qint64(96);
  QTest::newRow("kvcache-simulator") << fixture("kvcache_simulator/weighted.jsonl") << "kvcache-simulator"
                                     << 8 << qint64(14) << qint64(-1);
  QTest::newRow("ragpulse") << fixture("ragpulse") << "ragpulse" << 512 << qint64(160) << qint64(240);
  QTest::newRow("kv-cache-tester") << fixture("kv_cache_tester") << "kv-cache-tester" << 4 << qint64(36)
                                   << qint64(-1);
}

void TestTraceCli::replayEveryFormat() {
  QFETCH(QString, path);
  QFETCH(QString, format);
  QFETCH(int, blockSize);
  QFETCH(qint64, hitTokens);
  QFETCH(qint64, chunkHits);
  const CliResult r = runCli({"replay", path, "--max-tokens", "unlimited", "--json"});
  QVERIFY2(r.code == 0, qPrintable(r.err));
  const QJsonObject j = jsonOf(r);
  QCOMPARE(j["trace_format"].toString(), format);
  QCOMPARE(j["skipped_lines"].toInteger(), qint64(0));
  QCOMPARE(j["hit_tokens"].toInteger(), hitTokens);
  QCOMPARE(j["config"].toObject()["block_size"].toInt(), blockSize);
  QCOMPARE(j.contains("bounds"), chunkHits >= 0);
  if (chunkHits >= 0) {
    QCOMPARE(j["bounds"].toObject()["prefix_hit_tokens"].toInteger(), hitTokens);
    QCOMPARE(j["bounds"].toObject()["chunk_hit_tokens"].toInteger(), chunkHits);
    QCOMPARE(j["bounds"].toObject()["chunk_only_tokens"].toInteger(), chunkHits - hitTokens);
  }
  // Forced, the same.
  const CliResult forced =
      runCli({"replay", path, "--input-format", format, "--max-tokens", "unlimited", "--json"});
  QVERIFY2(forced.code == 0, qPrintable(forced.err));
  QCOMPARE(jsonOf(forced)["hit_tokens"].toInteger(), hitTokens);
  // The table names the format too.
  const CliResult table = runCli({"replay", path, "--max-tokens", "unlimited"});
  QVERIFY2(table.code == 0, qPrintable(table.err));
  QVERIFY2(table.out.contains(QByteArray("format          " + format.toUtf8() + ", 0 lines skipped")),
           table.out.constData());
}

void TestTraceCli::sweepFleetAndBench() {
  // Sweep of RAGPulse: its 512-token slots, the unlimited point = the bound 160.
  const CliResult sweep = runCli({"sweep", fixture("ragpulse"), "--max-tokens", "1024,unlimited", "--policy",
                                  "lru,fifo", "--format", "json"});
  QVERIFY2(sweep.code == 0, qPrintable(sweep.err));
  const QJsonObject s = jsonOf(sweep);
  QCOMPARE(s["trace_format"].toString(), QStringLiteral("ragpulse"));
  bool sawUnlimited = false;
  for (const QJsonValue& v : s["points"].toArray()) {
    const QJsonObject p = v.toObject();
    QCOMPARE(p["block_size"].toInt(), 512);
    if (p["max_tokens"].toString() == QLatin1String("unlimited")) {
      QCOMPARE(p["hit_tokens"].toInteger(), qint64(160));
      sawUnlimited = true;
    }
  }
  QVERIFY(sawUnlimited);
  // Fleet of one replica over the agent traces: replay's hits, the format named.
  const CliResult fleet = runCli({"fleet", fixture("kv_cache_tester"), "--replicas", "1", "--max-tokens",
                                  "unlimited", "--format", "json"});
  QVERIFY2(fleet.code == 0, qPrintable(fleet.err));
  QCOMPARE(jsonOf(fleet)["trace_format"].toString(), QStringLiteral("kv-cache-tester"));
  QCOMPARE(jsonOf(fleet)["hit_tokens"].toInteger(), qint64(36));
  QCOMPARE(jsonOf(fleet)["config"].toObject()["block_size"].toInt(), 4);
  // Bench reads it too (one short run; no reference, no prefill).
  const CliResult bench = runCli({"bench", fixture("qwen_bailian/tiny.jsonl"), "--no-prefill", "--seconds",
                                  "0", "--runs", "1", "--max-tokens", "1000"});
  QVERIFY2(bench.code == 0, qPrintable(bench.err + bench.out));
  QVERIFY2(bench.out.contains("replay bench"), bench.out.constData());
}

void TestTraceCli::simulateEveryFormat_data() {
  QTest::addColumn<QString>("path");
  QTest::addColumn<QString>("format");
  QTest::addColumn<bool>("prefix");
  QTest::addColumn<QStringList>("extra");
  QTest::newRow("ragpulse, re-cut at 16")
      << fixture("ragpulse") << "ragpulse" << true << QStringList{"--block-size", "16"};
  QTest::newRow("kv-cache-tester") << fixture("kv_cache_tester") << "kv-cache-tester" << true
                                   << QStringList{};
  QTest::newRow("qwen-bailian") << fixture("qwen_bailian/tiny.jsonl") << "qwen-bailian" << true
                                << QStringList{};
  QTest::newRow("azure, lengths only")
      << fixture("azure_llm/tiny.csv") << "azure-llm" << false << QStringList{};
  QTest::newRow("burstgpt, lengths only")
      << fixture("burstgpt/tiny.csv") << "burstgpt" << false << QStringList{};
}

void TestTraceCli::simulateEveryFormat() {
  QFETCH(QString, path);
  QFETCH(QString, format);
  QFETCH(bool, prefix);
  QFETCH(QStringList, extra);
  const CliResult r =
      runCli(QStringList{"simulate", path, "--pool-blocks", "4000", "--format", "json"} + extra);
  QVERIFY2(r.code == 0, qPrintable(r.err));
  const QJsonObject j = jsonOf(r);
  QCOMPARE(j["trace_format"].toString(), format);
  QCOMPARE(j["prefix_information"].toBool(), prefix);
  const QJsonObject run = j["runs"].toArray().first().toObject();
  if (!prefix) QCOMPARE(run["token_hit_rate"].toDouble(), 0.0);
  // The table says so in words.
  const CliResult table = runCli(QStringList{"simulate", path, "--pool-blocks", "4000"} + extra);
  QVERIFY2(table.code == 0, qPrintable(table.err));
  QVERIFY2(table.out.contains(QByteArray("trace format " + format.toUtf8())), table.out.constData());
  QCOMPARE(table.out.contains("no prefix reuse"), !prefix);
  // fleet --serving takes it as well.
  const CliResult serving = runCli(QStringList{"fleet", path, "--serving", "--replicas", "2", "--pool-blocks",
                                               "4000", "--format", "json"} +
                                   extra);
  QVERIFY2(serving.code == 0, qPrintable(serving.err));
  QCOMPARE(jsonOf(serving)["trace_format"].toString(), format);
}

void TestTraceCli::refusals_data() {
  QTest::addColumn<QStringList>("args");
  QTest::addColumn<QString>("message");
  QTest::newRow("replay length-only")
      << QStringList{"replay", fixture("azure_llm/tiny.csv"), "--max-tokens", "1000"} << "length-only trace";
  QTest::newRow("sweep length-only") << QStringList{"sweep", fixture("burstgpt/tiny.csv"), "--max-tokens",
                                                    "1000"}
                                     << "length-only trace";
  QTest::newRow("contradicting block size")
      << QStringList{"replay", fixture("qwen_bailian/tiny.jsonl"), "--max-tokens", "1000", "--block-size",
                     "512"}
      << "field 'block-size'";
  QTest::newRow("sweep contradicting block size")
      << QStringList{"sweep", fixture("kv_cache_tester"), "--max-tokens", "1000", "--block-size", "4,64"}
      << "declares 4 tokens";
  QTest::newRow("unknown format") << QStringList{"replay",         fixture("mooncake/tiny.jsonl"),
                                                 "--input-format", "xml",
                                                 "--max-tokens",   "1000"}
                                  << "field 'input-format'";
  QTest::newRow("tiers with per-block counts")
      << QStringList{"replay", fixture("ragpulse"), "--max-tokens", "1000", "--host-tokens", "5000"}
      << "one tier";
}

void TestTraceCli::refusals() {
  QFETCH(QStringList, args);
  QFETCH(QString, message);
  const CliResult r = runCli(args);
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.contains(message), qPrintable(r.err));
}

void TestTraceCli::promptsEveryCommand() {
  // Your own prompts (tests/data/prompts/chat.jsonl, hand-worked in tst_prompt_trace): infinite-cache hits 32
  // tokens at the default block size 16, 48 at --block-size 8, given the byte-per-token chatml tokenizer.
  const QString chat = QStringLiteral(KVLAB_TEST_DATA_DIR "/prompts/chat.jsonl");
  const QStringList tok{"--tokenizer",
                        QStringLiteral(KVLAB_TEST_DATA_DIR "/prompts/byte_chatml_tokenizer.json")};
  const CliResult replay = runCli(QStringList{"replay", chat, "--max-tokens", "unlimited", "--json"} + tok);
  QVERIFY2(replay.code == 0, qPrintable(replay.err));
  QCOMPARE(jsonOf(replay)["trace_format"].toString(), QStringLiteral("prompts"));
  QCOMPARE(jsonOf(replay)["hit_tokens"].toInteger(), qint64(32));
  QCOMPARE(jsonOf(replay)["config"].toObject()["block_size"].toInt(), 16);
  QVERIFY2(jsonOf(replay)["tokenization"].toString().endsWith("chat template chatml (detected)"),
           replay.out.constData());
  const QStringList at8 = tok + QStringList{"--block-size", "8"};
  const CliResult replay8 = runCli(QStringList{"replay", chat, "--max-tokens", "unlimited", "--json"} + at8);
  QVERIFY2(replay8.code == 0, qPrintable(replay8.err));
  QCOMPARE(jsonOf(replay8)["hit_tokens"].toInteger(), qint64(48));
  const CliResult sweep =
      runCli(QStringList{"sweep", chat, "--max-tokens", "unlimited", "--policy", "lru,opt", "--json"} + at8);
  QVERIFY2(sweep.code == 0, qPrintable(sweep.err));
  for (const QJsonValue& v : jsonOf(sweep)["points"].toArray())
    QCOMPARE(v.toObject()["hit_tokens"].toInteger(), qint64(48));
  const CliResult fleet =
      runCli(QStringList{"fleet", chat, "--replicas", "1", "--max-tokens", "unlimited", "--json"} + at8);
  QVERIFY2(fleet.code == 0, qPrintable(fleet.err));
  QCOMPARE(jsonOf(fleet)["hit_tokens"].toInteger(), qint64(48));
  for (const QStringList& serving :
       {QStringList{"simulate", chat}, QStringList{"fleet", chat, "--serving"}}) {
    const CliResult r = runCli(serving + QStringList{"--pool-blocks", "4000", "--json"} + at8);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(jsonOf(r)["trace_format"].toString(), QStringLiteral("prompts"));
  }
  for (const auto& [flags, bound] : {std::pair{tok, 32}, std::pair{at8, 48}}) {  // analyze's bound: the same
    const CliResult analyze = runCli(QStringList{"analyze", chat, "--json"} + flags);
    QVERIFY2(analyze.code == 0, qPrintable(analyze.err));
    QCOMPARE(jsonOf(analyze)["infinite_hit_tokens"].toInteger(), qint64(bound));
  }
  const CliResult bench = runCli({"bench", chat, "--no-prefill", "--seconds", "0", "--runs", "1",
                                  "--trace-tokenizer", tok.back(), "--max-tokens", "1000"});
  QVERIFY2(bench.code == 0, qPrintable(bench.err + bench.out));
  QVERIFY2(bench.out.contains("(prompts)"), bench.out.constData());
  // Text without a tokenizer, an unknown template, several block sizes for one reading: refused (exit 2).
  const CliResult noTokenizer = runCli({"replay", chat, "--max-tokens", "100"});
  QCOMPARE(noTokenizer.code, 2);
  QVERIFY2(noTokenizer.err.contains(":1: field 'messages'") && noTokenizer.err.contains("--tokenizer"),
           qPrintable(noTokenizer.err));
  const CliResult badTemplate =
      runCli(QStringList{"replay", chat, "--max-tokens", "100", "--chat-template", "x"} + tok);
  QCOMPARE(badTemplate.code, 2);
  QVERIFY2(badTemplate.err.contains("field 'chat-template'"), qPrintable(badTemplate.err));
  const CliResult twoSizes =
      runCli(QStringList{"sweep", chat, "--max-tokens", "100", "--block-size", "8,16"} + tok);
  QCOMPARE(twoSizes.code, 2);
  QVERIFY2(twoSizes.err.contains("field 'block-size'"), qPrintable(twoSizes.err));
}

void TestTraceCli::skippedLinesAreCounted() {
  // A Qwen-Bailian file with a bad second line (hash_ids not an array): named by file, line and field, or
  // counted with --skip-bad-lines (the other three requests replay).
  QTemporaryDir dir;
  QFile in(fixture("qwen_bailian/tiny.jsonl"));
  QVERIFY(in.open(QIODevice::ReadOnly));
  QList<QByteArray> lines = in.readAll().split('\n');
  lines[1] = R"({"chat_id": 2, "timestamp": 1.25, "input_length": 50, "output_length": 6, "hash_ids": "x"})";
  const QString path = dir.filePath("bad.jsonl");
  QFile out(path);
  QVERIFY(out.open(QIODevice::WriteOnly));
  out.write(lines.join('\n'));
  out.close();
  const CliResult bad = runCli({"replay", path, "--max-tokens", "unlimited"});
  QCOMPARE(bad.code, 2);
  QVERIFY2(bad.err.contains("bad.jsonl:2: field 'hash_ids'"), qPrintable(bad.err));
  const CliResult skipped =
      runCli({"replay", path, "--max-tokens", "unlimited", "--skip-bad-lines", "--json"});
  QVERIFY2(skipped.code == 0, qPrintable(skipped.err));
  QCOMPARE(jsonOf(skipped)["skipped_lines"].toInteger(), qint64(1));
  QCOMPARE(jsonOf(skipped)["requests"].toInteger(), qint64(3));
  QVERIFY2(skipped.err.contains("bad.jsonl:2"), qPrintable(skipped.err));
}

QTEST_GUILESS_MAIN(TestTraceCli)
#include "tst_trace_cli.moc"
