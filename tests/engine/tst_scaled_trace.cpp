// SPDX-License-Identifier: MIT
// writeScaledTrace / scaledRequest: a hand-worked three-request trace scaled 3 times (exact output text),
// the properties a scaled trace must have (copies share no block, timestamps sorted, each copy replays
// like the source), and bad input (copies, a malformed source line, shifted values that do not fit).
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <set>
#include <sstream>

#include "core/trace/mooncake_trace_reader.h"
#include "core/replay/trace_replayer.h"
#include "core/util/input_error.h"
#include "core/trace/scaled_trace.h"

using namespace kvlab;

namespace {

// Three requests; the largest id is 4 and the timestamps span 5..9.
constexpr const char* kSource =
    "{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0, 1]}\n"
    "{\"hash_ids\":[0,2],\"timestamp\":5,\"input_length\":6,\"output_length\":2}\n"
    "\n"
    "{\"timestamp\": 9, \"input_length\": 3, \"output_length\": 3, \"hash_ids\": [4]}\n";

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

class TestScaledTrace : public QObject {
  Q_OBJECT
private slots:
  void handWorked();
  void oneCopyIsTheSource();
  void copiesShareNoBlockAndStaySorted();
  void eachCopyReplaysLikeTheSource();
  void badInput_data();
  void badInput();
  void boundariesFit();

private:
  std::string write(const char* name, const std::string& text) {
    const std::string path = m_dir.filePath(name).toStdString();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  QTemporaryDir m_dir;
};

void TestScaledTrace::handWorked() {
  const std::string source = write("source.jsonl", kSource);
  const std::string scaled = m_dir.filePath("x3.jsonl").toStdString();
  const ScaledTraceInfo info = writeScaledTrace(source, scaled, 3);
  // idStride = largest id + 1 = 4 + 1 = 5; timeStrideMs = last - first + 1 = 9 - 5 + 1 = 5.
  QCOMPARE(info.scaling.idStride, std::uint64_t(5));
  QCOMPARE(info.scaling.timeStrideMs, std::int64_t(5));
  QCOMPARE(info.requests, std::uint64_t(9));  // 3 requests x 3 copies
  QCOMPARE(info.blocks, std::uint64_t(15));   // (2 + 2 + 1) ids x 3 copies
  // Copy k: ids + 5k, timestamps + 5k; the blank line is dropped, the fields are written in the published
  // traces' order and layout.
  const std::string expected =
      "{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0, 1]}\n"
      "{\"timestamp\": 5, \"input_length\": 6, \"output_length\": 2, \"hash_ids\": [0, 2]}\n"
      "{\"timestamp\": 9, \"input_length\": 3, \"output_length\": 3, \"hash_ids\": [4]}\n"
      "{\"timestamp\": 10, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [5, 6]}\n"
      "{\"timestamp\": 10, \"input_length\": 6, \"output_length\": 2, \"hash_ids\": [5, 7]}\n"
      "{\"timestamp\": 14, \"input_length\": 3, \"output_length\": 3, \"hash_ids\": [9]}\n"
      "{\"timestamp\": 15, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [10, 11]}\n"
      "{\"timestamp\": 15, \"input_length\": 6, \"output_length\": 2, \"hash_ids\": [10, 12]}\n"
      "{\"timestamp\": 19, \"input_length\": 3, \"output_length\": 3, \"hash_ids\": [14]}\n";
  QCOMPARE(readText(scaled), expected);
  QVERIFY(!QFile::exists(QString::fromStdString(scaled + ".partial")));

  TraceRequest r;
  r.timestampMs = 9;
  r.hashIds = {4, 0};
  const TraceRequest shifted = scaledRequest(r, 2, info.scaling);  // + 2 x 5 on both
  QCOMPARE(shifted.timestampMs, std::int64_t(19));
  QCOMPARE(shifted.hashIds, (std::vector<std::uint64_t>{14, 10}));
}

void TestScaledTrace::oneCopyIsTheSource() {
  const std::string source = write("source1.jsonl", kSource);
  const std::string scaled = m_dir.filePath("x1.jsonl").toStdString();
  writeScaledTrace(source, scaled, 1);
  const auto a = readWholeTrace(source);
  const auto b = readWholeTrace(scaled);
  QCOMPARE(b.size(), a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    QCOMPARE(b[i].timestampMs, a[i].timestampMs);
    QCOMPARE(b[i].inputLength, a[i].inputLength);
    QCOMPARE(b[i].outputLength, a[i].outputLength);
    QCOMPARE(b[i].hashIds, a[i].hashIds);
  }
}

void TestScaledTrace::copiesShareNoBlockAndStaySorted() {
  // The checked-in sample: its ids are not 0..n dense, its first timestamp may be above 0.
  const std::string source = KVLAB_TEST_DATA_DIR "/mooncake_sample.jsonl";
  const std::string scaled = m_dir.filePath("sample-x4.jsonl").toStdString();
  constexpr std::uint32_t kCopies = 4;
  writeScaledTrace(source, scaled, kCopies);
  const auto base = readWholeTrace(source);
  const auto all = readWholeTrace(scaled);  // the reader itself rejects unsorted timestamps
  QCOMPARE(all.size(), base.size() * kCopies);
  std::vector<std::set<std::uint64_t>> idsOfCopy(kCopies);
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) QVERIFY(all[i].timestampMs >= all[i - 1].timestampMs);
    idsOfCopy[i / base.size()].insert(all[i].hashIds.begin(), all[i].hashIds.end());
  }
  for (std::uint32_t a = 0; a < kCopies; ++a)
    for (std::uint32_t b = a + 1; b < kCopies; ++b)
      for (const std::uint64_t id : idsOfCopy[a]) QVERIFY2(!idsOfCopy[b].count(id), "copies share a block");
}

void TestScaledTrace::eachCopyReplaysLikeTheSource() {
  // With a cache that never fills, copies (sharing no block) replay independently: hits x copies.
  // Source by hand (block size 512): r1 [0,1] both cold; r2 [0,2]: 0 hits (1 block, min(1 x 512, 6) = 6
  // tokens), 2 cold; r3 [4] cold. So 1 hit block and 6 hit tokens per copy, 19 prompt tokens per copy.
  const std::string source = write("source2.jsonl", kSource);
  const std::string scaled = m_dir.filePath("x5.jsonl").toStdString();
  writeScaledTrace(source, scaled, 5);
  ReplayConfig config;
  config.maxTokens = 512 * 1000;
  const ReplayResult r = replayTraceFile(scaled, config);
  QCOMPARE(r.requests, std::uint64_t(15));
  QCOMPARE(r.hitBlocks, std::uint64_t(5));
  QCOMPARE(r.hitTokens, std::uint64_t(30));
  QCOMPARE(r.promptTokens, std::uint64_t(95));
}

void TestScaledTrace::badInput_data() {
  QTest::addColumn<QByteArray>("source");
  QTest::addColumn<uint>("copies");
  QTest::addColumn<bool>("sourceFile");  // the error names the source file
  QTest::addColumn<qint64>("line");
  QTest::addColumn<QString>("field");
  QTest::addColumn<QString>("message");  // a part of the message

  QTest::newRow("zero copies") << QByteArray(kSource) << 0u << false << qint64(0) << "scale"
                               << "at least 1";
  QTest::newRow("bad source line")
      << QByteArray(
             "{\"timestamp\": 1, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n"
             "{\"timestamp\": 2, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1, -2]}\n")
      << 2u << true << qint64(2) << "hash_ids"
      << "element 1";
  QTest::newRow("empty source") << QByteArray("\n\n") << 2u << true << qint64(0) << ""
                                << "no requests";
  // 2^63 + (2^63 + 1) > 2^64 - 1: the second copy's ids do not fit.
  QTest::newRow("ids overflow") << QByteArray(
                                       "{\"timestamp\": 1, \"input_length\": 1, \"output_length\": 1, "
                                       "\"hash_ids\": [9223372036854775808]}\n")
                                << 2u << false << qint64(0) << "scale"
                                << "64 bits";
  // One request at 2^63 - 2 ms: stride 1 ms; the third copy's timestamp, 2^63, does not fit (boundariesFit
  // has the second, 2^63 - 1, which does).
  QTest::newRow("timestamps overflow") << QByteArray(
                                              "{\"timestamp\": 9223372036854775806, \"input_length\": 1, "
                                              "\"output_length\": 1, \"hash_ids\": []}\n")
                                       << 3u << false << qint64(0) << "scale"
                                       << "64-bit timestamps";
}

void TestScaledTrace::badInput() {
  QFETCH(QByteArray, source);
  QFETCH(uint, copies);
  QFETCH(bool, sourceFile);
  QFETCH(qint64, line);
  QFETCH(QString, field);
  QFETCH(QString, message);
  const std::string path = write("bad.jsonl", source.toStdString());
  const std::string out = m_dir.filePath("bad-out.jsonl").toStdString();
  try {
    writeScaledTrace(path, out, copies);
    QFAIL("no InputError");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.file), sourceFile ? QString::fromStdString(path) : QString());
    QCOMPARE(e.line, line);
    QCOMPARE(QString::fromStdString(e.field), field);
    QVERIFY2(QString::fromStdString(e.message).contains(message), e.what());
  }
  QVERIFY(!QFile::exists(QString::fromStdString(out)));
}

void TestScaledTrace::boundariesFit() {
  // Largest id 2^63 - 1: stride 2^63, so the second copy's id is 2^64 - 1, the largest that fits. One
  // timestamp, 2^63 - 2: stride 1 ms, the second copy's is 2^63 - 1.
  const std::string source =
      write("edge.jsonl",
            "{\"timestamp\": 9223372036854775806, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": "
            "[9223372036854775807]}\n");
  const std::string scaled = m_dir.filePath("edge-x2.jsonl").toStdString();
  writeScaledTrace(source, scaled, 2);
  const auto all = readWholeTrace(scaled);
  QCOMPARE(all.size(), std::size_t(2));
  QCOMPARE(all[1].timestampMs, std::int64_t(9223372036854775807));
  QCOMPARE(all[1].hashIds, (std::vector<std::uint64_t>{18446744073709551615ull}));
}

QTEST_GUILESS_MAIN(TestScaledTrace)
#include "tst_scaled_trace.moc"
