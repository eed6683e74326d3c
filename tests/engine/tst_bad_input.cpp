// SPDX-License-Identifier: MIT
// The bad-input catalogue, parser level: for each input kind (scenario file, trace file, size/duration/
// count fields) and each defect (empty, truncated, wrong type, negative, zero, huge, NaN, overflowing
// integer, very long line, invalid UTF-8, binary garbage) the parser throws one InputError naming the
// file, the line (traces) and the field, with a readable message. tst_cli_bad_input.cpp checks the same
// defects through kvlab-cli (exit codes, no crash, no half-written output).
#include <QtTest/QtTest>
#include <algorithm>
#include <fstream>
#include <functional>

#include "core/replay/trace_replayer.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "core/trace/mooncake_trace_reader.h"
#include "core/workload/scenario.h"

using namespace kvlab;

namespace {

// A valid scenario; rows replace one marker to inject their defect.
const QByteArray kScenario = R"({
  "name": "bad-input", "title": "t", "description": "d", "kind": "repeated-prefix", "seed": SEED,
  "cache": {"granularity": "block", "block_size": 16, "max_size": MAXSIZE, "ttl": TTL},
  "arrival": {"mode": "poisson", "rate_per_s": RATE},
  "repeated-prefix": {"system_prompt_tokens": 100, "questions": QUESTIONS, "question_tokens": {"min": 1, "max": 5}}
})";

QByteArray scenarioWith(const char* marker, const QByteArray& value) {
  QByteArray s = kScenario;
  if (*marker) s.replace(marker, value);
  s.replace("SEED", "1").replace("MAXSIZE", "\"1GiB\"").replace("TTL", "\"0\"").replace("RATE", "2.5");
  s.replace("QUESTIONS", "3");
  return s;
}

const QByteArray kGoodLine =
    R"({"timestamp": 10, "input_length": 1024, "output_length": 5, "hash_ids": [1, 2]})";

QByteArray traceLine(const QByteArray& timestamp, const QByteArray& input, const QByteArray& ids) {
  return R"({"timestamp": )" + timestamp + R"(, "input_length": )" + input +
         R"(, "output_length": 5, "hash_ids": )" + ids + "}";
}

// Runs f, expecting an InputError; returns it (or fails the test).
std::optional<InputError> expectInputError(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  } catch (const std::exception& e) {
    qWarning("not an InputError: %s", e.what());
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

class TestBadInput : public QObject {
  Q_OBJECT

private slots:
  void scenarioFile_data();
  void scenarioFile();
  void traceFile_data();
  void traceFile();
  void traceLongLine();
  void traceReplayEmpty_data();
  void traceReplayEmpty();
  void fields_data();
  void fields();
  void messagesQuoteGarbage();

private:
  QTemporaryDir m_dir;
};

void TestBadInput::scenarioFile_data() {
  QTest::addColumn<QByteArray>("text");
  QTest::addColumn<QString>("field");    // "" = the file as a whole
  QTest::addColumn<QString>("message");  // a part of the message

  QTest::newRow("empty") << QByteArray() << ""
                         << "invalid JSON";
  QTest::newRow("only spaces") << QByteArray("  \n\t ") << ""
                               << "invalid JSON";
  QTest::newRow("truncated") << scenarioWith("", "").left(120) << ""
                             << "invalid JSON";
  QTest::newRow("top level array") << QByteArray("[1, 2]") << ""
                                   << "expected a JSON object";
  QTest::newRow("wrong type: count as string")
      << scenarioWith("QUESTIONS", "\"ten\"") << "repeated-prefix.questions"
      << "must be an integer";
  QTest::newRow("wrong type: size as bool") << scenarioWith("MAXSIZE", "true") << "cache.max_size"
                                            << "must be a string";
  QTest::newRow("wrong type: section as array") << QByteArray(scenarioWith("", ""))
                                                       .replace(R"("arrival": {)", R"("arrival": [{)")
                                                       .replace(R"(2.5},)", R"(2.5}],)")
                                                << "arrival"
                                                << "expected an object";
  QTest::newRow("negative count") << scenarioWith("QUESTIONS", "-3") << "repeated-prefix.questions"
                                  << "got -3";
  QTest::newRow("negative size") << scenarioWith("MAXSIZE", "\"-1GiB\"") << "cache.max_size"
                                 << "negative";
  QTest::newRow("negative ttl") << scenarioWith("TTL", "\"-5s\"") << "cache.ttl"
                                << "negative";
  QTest::newRow("negative rate") << scenarioWith("RATE", "-1") << "arrival.rate_per_s"
                                 << "must be a number in (0";
  QTest::newRow("zero count") << scenarioWith("QUESTIONS", "0") << "repeated-prefix.questions"
                              << "got 0";
  QTest::newRow("zero size") << scenarioWith("MAXSIZE", "\"0 GiB\"") << "cache.max_size"
                             << "larger than 0";
  QTest::newRow("zero rate") << scenarioWith("RATE", "0") << "arrival.rate_per_s"
                             << "got 0";
  QTest::newRow("huge size 1e30 GiB") << scenarioWith("MAXSIZE", "\"1e30 GiB\"") << "cache.max_size"
                                      << "too large";
  QTest::newRow("huge count") << scenarioWith("QUESTIONS", "4000000000") << "repeated-prefix.questions"
                              << "[1, 100000]";
  QTest::newRow("huge rate") << scenarioWith("RATE", "1e300") << "arrival.rate_per_s"
                             << "1e+300";
  QTest::newRow("NaN literal") << scenarioWith("RATE", "NaN") << ""
                               << "invalid JSON";
  QTest::newRow("NaN string size") << scenarioWith("MAXSIZE", "\"nan\"") << "cache.max_size"
                                   << "expected a size";
  QTest::newRow("infinite duration") << scenarioWith("TTL", "\"inf\"") << "cache.ttl"
                                     << "expected a duration";
  QTest::newRow("overflowing integer") << scenarioWith("SEED", "18446744073709551616") << "seed"
                                       << "must be an integer";
  QTest::newRow("400-digit number") << scenarioWith("SEED", QByteArray(400, '4')) << ""
                                    << "invalid JSON";
  QTest::newRow("overflowing size") << scenarioWith("MAXSIZE", "\"18446744073709551616\"") << "cache.max_size"
                                    << "too large";
  QTest::newRow("very long line")
      << QByteArray(scenarioWith("", "")).replace("\"d\"", QByteArray("\"" + QByteArray(2 << 20, 'x') + "\""))
      << "description"
      << "at most 1000 bytes";
  QTest::newRow("invalid UTF-8") << QByteArray(scenarioWith("", "")).replace("\"t\"", "\"t\xc3\x28\"") << ""
                                 << "invalid JSON";
  QTest::newRow("binary garbage") << QByteArray("\x00\x01\xff\xfe{\"\x80", 7) << ""
                                  << "invalid JSON";
  QTest::newRow("unknown key with control chars")
      << QByteArray(scenarioWith("", "")).replace(R"("seed")", R"("se\u0001ed")") << "'se\\x01ed'"
      << "unknown key";
  QTest::newRow("range min > max")
      << QByteArray(scenarioWith("", "")).replace(R"("min": 1, "max": 5)", R"("min": 4, "max": 2)")
      << "repeated-prefix.question_tokens.max"
      << ">=";
}

void TestBadInput::scenarioFile() {
  QFETCH(QByteArray, text);
  QFETCH(QString, field);
  QFETCH(QString, message);
  const auto error = expectInputError([&] { parseScenarioJson(text.toStdString(), "bad.json"); });
  QVERIFY(error);
  QCOMPARE(QString::fromStdString(error->file), QStringLiteral("bad.json"));
  QCOMPARE(QString::fromStdString(error->field), field);
  const QString what = QString::fromStdString(error->what());
  QVERIFY2(what.startsWith("bad.json: "), qPrintable(what));
  QVERIFY2(what.contains(message), qPrintable(what));
  QVERIFY2(what.size() < 1000, "messages stay short, whatever the input");
}

void TestBadInput::traceFile_data() {
  QTest::addColumn<QByteArray>("text");
  QTest::addColumn<qint64>("line");
  QTest::addColumn<QString>("field");
  QTest::addColumn<QString>("message");

  const QByteArray good = QByteArray(kGoodLine + "\n");
  QTest::newRow("truncated line") << QByteArray(good + kGoodLine.left(40)) << qint64(2) << ""
                                  << "invalid JSON";
  QTest::newRow("truncated mid-file")
      << QByteArray(good + kGoodLine.left(40) + "\n" + good) << qint64(2) << ""
      << "invalid JSON";
  QTest::newRow("wrong type: string length")
      << QByteArray(good + traceLine("20", "\"1024\"", "[1]")) << qint64(2) << "input_length"
      << "must be a non-negative integer";
  QTest::newRow("wrong type: ids as string")
      << QByteArray(good + traceLine("20", "1", "\"1,2\"")) << qint64(2) << "hash_ids"
      << "expected an array";
  QTest::newRow("wrong type: float id")
      << QByteArray(good + traceLine("20", "1", "[1, 2.5]")) << qint64(2) << "hash_ids"
      << "element 1";
  QTest::newRow("negative timestamp")
      << QByteArray(good + traceLine("-1", "1", "[1]")) << qint64(2) << "timestamp"
      << "got '-1'";
  QTest::newRow("negative length") << QByteArray(good + traceLine("20", "-4", "[1]")) << qint64(2)
                                   << "input_length"
                                   << "got '-4'";
  QTest::newRow("negative id") << QByteArray(good + traceLine("20", "1", "[-7]")) << qint64(2) << "hash_ids"
                               << "-7";
  QTest::newRow("time goes back") << QByteArray(good + traceLine("9", "1", "[1]")) << qint64(2) << "timestamp"
                                  << "sorted";
  QTest::newRow("huge length 1e30") << QByteArray(good + traceLine("20", "1e30", "[1]")) << qint64(2)
                                    << "input_length"
                                    << "below 2^32";
  QTest::newRow("length over 2^32") << QByteArray(good + traceLine("20", "4294967296", "[1]")) << qint64(2)
                                    << "input_length"
                                    << "4294967296";
  QTest::newRow("overflowing id") << QByteArray(good + traceLine("20", "1", "[18446744073709551616]"))
                                  << qint64(2) << ""
                                  << "does not fit in 64 bits";  // the JSON parser stops before the field
  QTest::newRow("overflowing timestamp")
      << QByteArray(good + traceLine("99999999999999999999", "1", "[1]")) << qint64(2) << ""
      << "does not fit in 64 bits";
  QTest::newRow("NaN") << QByteArray(good + traceLine("NaN", "1", "[1]")) << qint64(2) << ""
                       << "invalid JSON";
  QTest::newRow("missing field") << QByteArray(good +
                                               R"({"timestamp": 20, "input_length": 1, "hash_ids": []})")
                                 << qint64(2) << "output_length"
                                 << "is missing";
  QTest::newRow("duplicate field")
      << QByteArray(
             good +
             R"({"timestamp": 20, "timestamp": 21, "input_length": 1, "output_length": 1, "hash_ids": []})")
      << qint64(2) << "timestamp"
      << "twice";
  QTest::newRow("invalid UTF-8") << QByteArray(good + good + R"({"note": "caf)" + QByteArray("\xc3\x28") +
                                               R"(", "timestamp": 20})")
                                 << qint64(3) << ""
                                 << "invalid UTF-8";
  QTest::newRow("binary garbage") << QByteArray(good + QByteArray("\x00\x01\x02\xff\xfe\x7f", 6) + "\n" +
                                                good)
                                  << qint64(2) << ""
                                  << "invalid";  // UTF-8 or JSON, whichever the parser sees first
  QTest::newRow("garbage first line") << QByteArray("\x89PNG\r\n\x1a\n", 8) << qint64(1) << ""
                                      << "invalid";
  QTest::newRow("line is an array") << QByteArray(good + "[1, 2, 3]") << qint64(2) << ""
                                    << "expected one JSON object";
  QTest::newRow("trailing content") << QByteArray(good + kGoodLine + " 42") << qint64(2) << ""
                                    << "invalid JSON";
}

void TestBadInput::traceFile() {
  QFETCH(QByteArray, text);
  QFETCH(qint64, line);
  QFETCH(QString, field);
  QFETCH(QString, message);
  const std::string path = m_dir.filePath("trace.jsonl").toStdString();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.constData(), text.size());
  const auto error = expectInputError([&] { readWholeTrace(path); });
  QVERIFY(error);
  QCOMPARE(QString::fromStdString(error->file), QString::fromStdString(path));
  QCOMPARE(error->line, line);
  QCOMPARE(QString::fromStdString(error->field), field);
  const QString what = QString::fromStdString(error->what());
  QVERIFY2(what.startsWith(QString(QString::fromStdString(path) + ":" + QString::number(line) + ": ")),
           qPrintable(what));
  QVERIFY2(what.contains(message), qPrintable(what));
  QVERIFY2(what.size() < 600, qPrintable(what));

  // The same line with --skip-bad-lines: skipped, counted, the good lines kept.
  MooncakeTraceReader reader(path, TraceReadOptions{/*skipBadLines=*/true, /*prompts=*/{}});
  TraceRequest request;
  int good = 0;
  while (reader.next(request)) ++good;
  QVERIFY(reader.skippedLines() >= 1);
  // Every line that is exactly the good line is kept (counted in the text here, not by a reader).
  const QList<QByteArray> lines = text.split('\n');
  QCOMPARE(good, int(std::count(lines.begin(), lines.end(), kGoodLine)));
}

void TestBadInput::traceLongLine() {
  // One line longer than kMaxTraceLineBytes between two good lines: an error naming line 2, never a
  // 64 MiB+ allocation per line; skipped with skipBadLines and the reader resynchronises on line 3.
  const std::string path = m_dir.filePath("long.jsonl").toStdString();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << kGoodLine.constData() << "\n{\"pad\": \"";
    const std::string chunk(1 << 20, 'a');
    for (uint64_t i = 0; i <= kMaxTraceLineBytes / chunk.size(); ++i) out << chunk;
    out << "\"}\n" << traceLine("20", "1", "[3]").constData() << "\n";
  }
  const auto error = expectInputError([&] { readWholeTrace(path); });
  QVERIFY(error);
  QCOMPARE(error->line, qint64(2));
  QVERIFY(QString::fromStdString(error->what()).contains("longer than 64 MiB"));
  const auto requests = readWholeTrace(path, TraceReadOptions{/*skipBadLines=*/true, /*prompts=*/{}});
  QCOMPARE(requests.size(), size_t(2));
  QCOMPARE(requests.back().hashIds, std::vector<uint64_t>{3});
}

void TestBadInput::traceReplayEmpty_data() {
  QTest::addColumn<QByteArray>("text");
  QTest::addColumn<bool>("skipBadLines");
  QTest::addColumn<QString>("message");
  QTest::newRow("empty file") << QByteArray() << false << "contains no requests";
  QTest::newRow("blank lines only") << QByteArray("\n \r\n\t\n") << false << "contains no requests";
  QTest::newRow("all lines skipped") << QByteArray("garbage\n[1]\n") << true << "all 2 non-blank lines";
}

void TestBadInput::traceReplayEmpty() {
  // Replaying nothing is an error, not a report of zero hits that looks like a result.
  QFETCH(QByteArray, text);
  QFETCH(bool, skipBadLines);
  QFETCH(QString, message);
  const std::string path = m_dir.filePath("empty.jsonl").toStdString();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.constData(), text.size());
  ReplayConfig config;
  config.maxTokens = 4096;
  config.skipBadLines = skipBadLines;
  const auto error = expectInputError([&] { replayTraceFile(path, config); });
  QVERIFY(error);
  QCOMPARE(QString::fromStdString(error->file), QString::fromStdString(path));
  QVERIFY2(QString::fromStdString(error->what()).contains(message), error->what());
}

void TestBadInput::fields_data() {
  // The text fields of the command line and the GUI forms go through these parsers.
  QTest::addColumn<QString>("kind");  // size, duration, count, sizes, counts
  QTest::addColumn<QByteArray>("text");
  QTest::addColumn<QString>("field");
  QTest::addColumn<QString>("message");
  const QByteArray longText(1 << 20, '9');
  const QByteArray garbage("\x01\xff\x80\x1b[31m", 8);
  for (const char* kind : {"size", "duration", "count"}) {
    const QString k = kind;
    QTest::addRow("%s: empty", kind) << k << QByteArray() << k << "is empty";
    QTest::addRow("%s: spaces", kind) << k << QByteArray(" \t ") << k << "is empty";
    QTest::addRow("%s: negative", kind) << k << QByteArray("-5") << k << "negative";
    QTest::addRow("%s: NaN", kind) << k << QByteArray("nan") << k << "expected";
    QTest::addRow("%s: huge", kind) << k << QByteArray(k == "count" ? "99999999999999999999" : "1e30") << k
                                    << (k == "count" ? "integer in" : "too large");
    QTest::addRow("%s: very long", kind) << k << longText << k << (k == "count" ? "integer in" : "too large");
    QTest::addRow("%s: invalid UTF-8", kind) << k << QByteArray("1\xc3\x28") << k << "\\xc3";
    QTest::addRow("%s: binary garbage", kind) << k << garbage << k << "\\x01";
    QTest::addRow("%s: wrong type (word)", kind) << k << QByteArray("lots") << k << "expected";
  }
  QTest::newRow("size: 1e30 GiB") << "size" << QByteArray("1e30 GiB") << "size"
                                  << "too large";
  QTest::newRow("size: overflowing integer") << "size" << QByteArray("18446744073709551616") << "size"
                                             << "too large";
  QTest::newRow("size: unknown unit") << "size" << QByteArray("5 parsecs") << "size"
                                      << "unknown unit";
  QTest::newRow("duration: overflow ms") << "duration" << QByteArray("9223372036854775808ms") << "duration"
                                         << "too large";
  QTest::newRow("count: zero") << "count" << QByteArray("0") << "count"
                               << "[1, ";
  QTest::newRow("count: decimal") << "count" << QByteArray("1.5") << "count"
                                  << "whole number";
  QTest::newRow("sizes: empty item") << "sizes" << QByteArray("1GiB,,2GiB") << "sizes[1]"
                                     << "is empty";
  QTest::newRow("sizes: empty") << "sizes" << QByteArray("") << "sizes"
                                << "is empty";
  QTest::newRow("counts: bad item") << "counts" << QByteArray("1,2,-3") << "counts[2]"
                                    << "negative";
}

void TestBadInput::fields() {
  QFETCH(QString, kind);
  QFETCH(QByteArray, text);
  QFETCH(QString, field);
  QFETCH(QString, message);
  const std::string t = text.toStdString();
  const std::string f = kind.toStdString();
  const auto error = expectInputError([&] {
    if (kind == "size")
      parseSize(t, f);
    else if (kind == "duration")
      parseDurationMs(t, f);
    else if (kind == "count")
      parseCount(t, f);
    else if (kind == "sizes")
      parseSizeList(t, f);
    else
      parseCountList(t, f);
  });
  QVERIFY(error);
  QCOMPARE(QString::fromStdString(error->field), field);
  const QString what = QString::fromStdString(error->what());
  QVERIFY2(what.startsWith(QString("field '" + field + "': ")), qPrintable(what));
  QVERIFY2(what.contains(message), qPrintable(what));
  QVERIFY2(what.size() < 400, qPrintable(what));
}

void TestBadInput::messagesQuoteGarbage() {
  // No raw control bytes or escape sequences reach a terminal or a message box.
  const auto error = expectInputError([] { parseSize(std::string("\x1b[2J\x07\xff", 6), "max-size"); });
  QVERIFY(error);
  for (const char c : std::string(error->what()))
    QVERIFY2(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f, error->what());
}

QTEST_GUILESS_MAIN(TestBadInput)
#include "tst_bad_input.moc"
