// SPDX-License-Identifier: MIT
// Every trace reader on the real public traces in ../shared/data against tools/trace_reference.py (plain
// Python, stdlib only, written from the formats' descriptions apart from the C++): requests, prompt and
// output tokens, blocks, arrival times (first, last, sum), and the infinite-cache bounds (prefix hit tokens; chunk-level hit
// tokens where the format keeps chunk ids). Slices keep it to seconds: the first N requests of a streaming
// format, a few conversations of the agent traces (kept as a directory, with sub-agents). A missing data file
// or python3 skips, and fails under CI=true (tests/test_requirements.h).
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "core/trace/trace.h"
#include "core/trace/trace_bounds.h"
#include "test_requirements.h"

using namespace kvlab;

class TestTraceReference : public QObject {
  Q_OBJECT
private slots:
  void matchesPython_data();
  void matchesPython();
};

void TestTraceReference::matchesPython_data() {
  QTest::addColumn<QString>("path");    // under ../shared/data; a list of files = a directory of just those
  QTest::addColumn<QString>("format");  // the name detection must give (and --format of the reference)
  QTest::addColumn<int>("first");       // keep the first N requests (0 = all)
  QTest::newRow("mooncake conversation") << "conversation_trace.jsonl" << "mooncake" << 3000;
  QTest::newRow("mooncake synthetic") << "synthetic_trace.jsonl" << "mooncake" << 1500;
  QTest::newRow("ragpulse") << "ragpulse" << "ragpulse" << 0;
  QTest::newRow("kv-cache-tester, 3 conversations incl. a sub-agent")
      << "kv_cache_tester/trace_0012.json,kv_cache_tester/trace_0019.json,kv_cache_tester/trace_0014.json"
      << "kv-cache-tester" << 0;
  QTest::newRow("azure code") << "azure_llm_2023/AzureLLMInferenceTrace_code.csv" << "azure-llm" << 0;
  QTest::newRow("azure conversation") << "azure_llm_2023/AzureLLMInferenceTrace_conv.csv" << "azure-llm" << 5000;
}

void TestTraceReference::matchesPython() {
  QFETCH(QString, path);
  QFETCH(QString, format);
  QFETCH(int, first);
  const QString data = QStringLiteral(KVLAB_SHARED_DATA_DIR "/");
  QString trace = data + path;
  QTemporaryDir dir;
  if (path.contains(',')) {  // a directory holding just these files
    for (const QString& file : path.split(',')) {
      KVLAB_REQUIRE_SHARED_DATA(data + file);
      QVERIFY(QFile::link(data + file, dir.filePath(QFileInfo(file).fileName())));
    }
    trace = dir.path();
  }
  KVLAB_REQUIRE_SHARED_DATA(trace);
  const QString python = kvlab::test::findPython3();
  KVLAB_REQUIRE_PYTHON3(python);

  QStringList args{QStringLiteral(KVLAB_TOOLS_DIR "/trace_reference.py"), trace, "--format", format};
  if (first > 0) args << "--first" << QString::number(first);
  QProcess process;
  process.start(python, args);
  QVERIFY(process.waitForFinished(600000));
  QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
  const QJsonObject ref = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
  QVERIFY(!ref.isEmpty());

  QCOMPARE(QString::fromStdString(detectTraceFormat(trace.toStdString()).name), format);
  Trace t = loadTrace(trace.toStdString());
  if (first > 0 && t.requests.size() > std::size_t(first)) t.requests.resize(std::size_t(first));
  const TraceBounds b = computeBounds(t);
  QCOMPARE(qint64(t.info.blockSize), ref["block_size"].toInteger());
  QCOMPARE(qint64(b.requests), ref["requests"].toInteger());
  QCOMPARE(qint64(b.promptTokens), ref["prompt_tokens"].toInteger());
  QCOMPARE(qint64(b.outputTokens), ref["output_tokens"].toInteger());
  QCOMPARE(qint64(b.blocks), ref["blocks"].toInteger());
  QCOMPARE(t.requests.front().timestampMs, ref["first_timestamp_ms"].toInteger());
  QCOMPARE(t.requests.back().timestampMs, ref["last_timestamp_ms"].toInteger());
  qint64 timestampSum = 0;  // the whole timeline, not only its ends (sub-agents' times, sorting)
  for (const TraceRequest& r : t.requests) timestampSum += r.timestampMs;
  QCOMPARE(timestampSum, ref["timestamp_sum_ms"].toInteger());
  QCOMPARE(qint64(b.prefixHitTokens), ref["prefix_hit_tokens"].toInteger());
  QCOMPARE(b.chunkHitTokens.has_value(), ref.contains("chunk_hit_tokens"));
  if (b.chunkHitTokens) QCOMPARE(qint64(*b.chunkHitTokens), ref["chunk_hit_tokens"].toInteger());
  QCOMPARE(t.skippedLines, quint64(0));
}

KVLAB_TEST_GUILESS_MAIN(TestTraceReference)
#include "tst_trace_reference.moc"
