// SPDX-License-Identifier: MIT
// MooncakeTraceReader and parseTraceLine: good traces (field order, extras, CRLF, blank lines, lines
// across chunk boundaries), every kind of bad line with its line number and field, skip-bad-lines
// counting, and the checked-in sample trace.
#include <QtTest/QtTest>
#include <fstream>

#include "core/util/input_error.h"
#include "core/trace/mooncake_trace_reader.h"

using namespace kvlab;

class TestMooncakeTrace : public QObject {
  Q_OBJECT

private slots:
  void parseLineAccepts_data();
  void parseLineAccepts();
  void parseLineRejects_data();
  void parseLineRejects();
  void readerReportsLineAndField_data();
  void readerReportsLineAndField();
  void readerSkipsBadLines();
  void readerHandlesLayout_data();
  void readerHandlesLayout();
  void linesAcrossChunkBoundaries();
  void longValidLine();
  void overlongLine();
  void unreadableFile();
  void sampleTrace();

private:
  QString writeFile(const QString& name, const QByteArray& content);
  QTemporaryDir m_dir;
};

QString TestMooncakeTrace::writeFile(const QString& name, const QByteArray& content) {
  const QString path = m_dir.filePath(name);
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
    qFatal("cannot write %s", qPrintable(path));
  return path;
}

void TestMooncakeTrace::parseLineAccepts_data() {
  QTest::addColumn<QByteArray>("line");
  QTest::addColumn<qint64>("timestamp");
  QTest::addColumn<quint32>("input");
  QTest::addColumn<quint32>("output");
  QTest::addColumn<QList<quint64>>("hashIds");
  QTest::newRow("canonical")
      << QByteArray(
             R"({"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 2]})")
      << qint64(27482) << 6955u << 52u << QList<quint64>{46, 47, 2};
  QTest::newRow("any order, no spaces")
      << QByteArray(R"({"hash_ids":[1],"output_length":2,"timestamp":3,"input_length":4})") << qint64(3) << 4u
      << 2u << QList<quint64>{1};
  QTest::newRow("extra fields ignored")
      << QByteArray(
             R"({"timestamp": 1, "input_length": 2, "output_length": 3, "hash_ids": [], "note": {"x": [1, "é"]}, "id": "abc"})")
      << qint64(1) << 2u << 3u << QList<quint64>{};
  QTest::newRow("limits")
      << QByteArray(
             R"({"timestamp": 9223372036854775807, "input_length": 4294967295, "output_length": 0, "hash_ids": [18446744073709551615, 0]})")
      << qint64(INT64_MAX) << 4294967295u << 0u << QList<quint64>{UINT64_MAX, 0};
  QTest::newRow("CR and spaces")
      << QByteArray("  {\"timestamp\": 5, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [7]}\r")
      << qint64(5) << 1u << 1u << QList<quint64>{7};
  QTest::newRow("escaped key")
      << QByteArray(R"({"time\u0073tamp": 6, "input_length": 1, "output_length": 1, "hash_ids": [7]})")
      << qint64(6) << 1u << 1u << QList<quint64>{7};
}

void TestMooncakeTrace::parseLineAccepts() {
  QFETCH(QByteArray, line);
  QFETCH(qint64, timestamp);
  QFETCH(quint32, input);
  QFETCH(quint32, output);
  QFETCH(QList<quint64>, hashIds);
  TraceRequest r;
  r.hashIds = {99, 98};  // must be replaced, not appended to
  std::string field, message;
  QVERIFY2(parseTraceLine(line.toStdString(), r, field, message), message.c_str());
  QCOMPARE(r.timestampMs, timestamp);
  QCOMPARE(r.inputLength, input);
  QCOMPARE(r.outputLength, output);
  QCOMPARE(QList<quint64>(r.hashIds.begin(), r.hashIds.end()), hashIds);
}

void TestMooncakeTrace::parseLineRejects_data() {
  QTest::addColumn<QByteArray>("line");
  QTest::addColumn<QString>("field");
  QTest::addColumn<QString>("messagePart");
  const QByteArray tail = R"("output_length": 1, "hash_ids": [1]})";
  QTest::newRow("missing timestamp") << QByteArray(
                                            R"({"input_length": 1, "output_length": 1, "hash_ids": [1]})")
                                     << "timestamp"
                                     << "missing";
  QTest::newRow("missing input_length")
      << QByteArray(R"({"timestamp": 1, "output_length": 1, "hash_ids": [1]})") << "input_length"
      << "missing";
  QTest::newRow("missing output_length")
      << QByteArray(R"({"timestamp": 1, "input_length": 1, "hash_ids": [1]})") << "output_length"
      << "missing";
  QTest::newRow("missing hash_ids") << QByteArray(
                                           R"({"timestamp": 1, "input_length": 1, "output_length": 1})")
                                    << "hash_ids"
                                    << "missing";
  QTest::newRow("negative timestamp")
      << QByteArray(R"({"timestamp": -5, "input_length": 1, )" + tail) << "timestamp"
      << "-5";
  QTest::newRow("float timestamp") << QByteArray(R"({"timestamp": 1.5, "input_length": 1, )" + tail)
                                   << "timestamp"
                                   << "1.5";
  QTest::newRow("string timestamp") << QByteArray(R"({"timestamp": "12", "input_length": 1, )" + tail)
                                    << "timestamp"
                                    << "non-negative integer";
  QTest::newRow("timestamp overflow")
      << QByteArray(R"({"timestamp": 9223372036854775808, "input_length": 1, )" + tail) << "timestamp"
      << "non-negative";
  QTest::newRow("negative input") << QByteArray(R"({"timestamp": 1, "input_length": -3, )" + tail)
                                  << "input_length"
                                  << "-3";
  QTest::newRow("input over uint32") << QByteArray(R"({"timestamp": 1, "input_length": 4294967296, )" + tail)
                                     << "input_length"
                                     << "2^32";
  QTest::newRow("null input") << QByteArray(R"({"timestamp": 1, "input_length": null, )" + tail)
                              << "input_length"
                              << "null";
  QTest::newRow("output bool")
      << QByteArray(R"({"timestamp": 1, "input_length": 1, "output_length": true, "hash_ids": [1]})")
      << "output_length"
      << "true";
  QTest::newRow("hash_ids not array")
      << QByteArray(R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": 5})") << "hash_ids"
      << "expected an array of unsigned integers";
  QTest::newRow("hash_ids negative")
      << QByteArray(R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [1, -2]})")
      << "hash_ids"
      << "element 1";
  QTest::newRow("hash_ids string")
      << QByteArray(R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": ["a"]})")
      << "hash_ids"
      << "element 0";
  QTest::newRow("hash_ids float")
      << QByteArray(R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [1.0]})")
      << "hash_ids"
      << "element 0";
  QTest::newRow("hash_ids nested")
      << QByteArray(R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [[1]]})")
      << "hash_ids"
      << "element 0";
  QTest::newRow("hash_ids overflow")
      << QByteArray(
             R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [18446744073709551616]})")
      << ""
      << "";
  QTest::newRow("duplicate field") << QByteArray(R"({"timestamp": 1, "timestamp": 2, "input_length": 1, )" +
                                                 tail)
                                   << "timestamp"
                                   << "twice";
  QTest::newRow("not an object") << QByteArray("[1, 2, 3]") << ""
                                 << "JSON object";
  QTest::newRow("number") << QByteArray("42") << ""
                          << "JSON object";
  QTest::newRow("truncated") << QByteArray(R"({"timestamp": 1, "input_length": 1, "outp)") << ""
                             << "invalid JSON";
  QTest::newRow("trailing content") << QByteArray(R"({"timestamp": 1, "input_length": 1, )" + tail + " {}")
                                    << ""
                                    << "invalid JSON";
  QTest::newRow("two objects") << QByteArray(R"({"timestamp": 1, "input_length": 1, )" + tail + tail) << ""
                               << "invalid JSON";
  QTest::newRow("garbage") << QByteArray("hello world") << ""
                           << "invalid JSON";
  QTest::newRow("binary") << QByteArray("\x00\x01\x02\xff\xfe", 5) << ""
                          << "";
  QTest::newRow("invalid UTF-8 in extra field")
      << QByteArray("{\"timestamp\": 1, \"input_length\": 1, \"x\": \"\xc3\x28\", " + tail) << ""
      << "invalid UTF-8";
  QTest::newRow("overlong UTF-8")
      << QByteArray("{\"x\": \"\xc0\xaf\", \"timestamp\": 1, \"input_length\": 1, " + tail) << ""
      << "invalid UTF-8";
  QTest::newRow("nan") << QByteArray(R"({"timestamp": NaN, "input_length": 1, )" + tail) << ""
                       << "invalid JSON";
  QTest::newRow("empty") << QByteArray("") << ""
                         << "";
}

void TestMooncakeTrace::parseLineRejects() {
  QFETCH(QByteArray, line);
  QFETCH(QString, field);
  QFETCH(QString, messagePart);
  TraceRequest r;
  std::string errorField, message;
  QVERIFY(!parseTraceLine(std::string_view(line.constData(), size_t(line.size())), r, errorField, message));
  QVERIFY(!message.empty());
  QCOMPARE(QString::fromStdString(errorField), field);
  QVERIFY2(QString::fromStdString(message).contains(messagePart), message.c_str());
}

void TestMooncakeTrace::readerReportsLineAndField_data() {
  QTest::addColumn<QByteArray>("content");
  QTest::addColumn<qint64>("line");
  QTest::addColumn<QString>("field");
  const QByteArray good1 = R"({"timestamp": 10, "input_length": 1, "output_length": 1, "hash_ids": [1]})"
                           "\n";
  const QByteArray good2 = R"({"timestamp": 20, "input_length": 1, "output_length": 1, "hash_ids": [1, 2]})"
                           "\n";
  QTest::newRow("bad hash_ids on line 3")
      << good1 + good2 +
             R"({"timestamp": 30, "input_length": 1, "output_length": 1, "hash_ids": "x"})"
             "\n"
      << qint64(3) << "hash_ids";
  QTest::newRow("blank lines still count") << good1 + "\n  \n" +
                                                  R"({"timestamp": 30})"
                                                  "\n"
                                           << qint64(4) << "input_length";
  QTest::newRow("timestamp goes back") << good2 + good1 << qint64(2) << "timestamp";
  QTest::newRow("garbage last line without newline") << good1 + "\x01\x02garbage" << qint64(2) << "";
}

void TestMooncakeTrace::readerReportsLineAndField() {
  QFETCH(QByteArray, content);
  QFETCH(qint64, line);
  QFETCH(QString, field);
  const QString path = writeFile(QStringLiteral("bad.jsonl"), content);
  MooncakeTraceReader reader(path.toStdString());
  TraceRequest r;
  try {
    while (reader.next(r)) {
    }
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(e.line, line);
    QCOMPARE(QString::fromStdString(e.field), field);
    QCOMPARE(QString::fromStdString(e.file), path);
    const QString prefix = path + QLatin1Char(':') + QString::number(line) + QStringLiteral(": ");
    QVERIFY2(QString::fromUtf8(e.what()).startsWith(prefix), e.what());
  }
}

void TestMooncakeTrace::readerSkipsBadLines() {
  QByteArray content;
  int good = 0;
  for (int i = 0; i < 30; ++i) {
    if (i % 3 == 1) {
      content += "{\"timestamp\": " + QByteArray::number(i) + ", \"input_length\": -1}\n";
    } else {
      content += "{\"timestamp\": " + QByteArray::number(i) +
                 ", \"input_length\": 512, \"output_length\": 8, \"hash_ids\": [" + QByteArray::number(i) +
                 "]}\n";
      ++good;
    }
  }
  content +=
      "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": []}\n";  // goes back in
                                                                                            // time
  content += "\xff\xfe\n";
  const QString path = writeFile(QStringLiteral("mixed.jsonl"), content);
  TraceReadOptions options;
  options.skipBadLines = true;
  MooncakeTraceReader reader(path.toStdString(), options);
  TraceRequest r;
  int read = 0;
  while (reader.next(r)) {
    QCOMPARE(r.hashIds.size(), size_t(1));
    QCOMPARE(r.hashIds[0], uint64_t(r.timestampMs));
    ++read;
  }
  QCOMPARE(read, good);
  QCOMPARE(reader.skippedLines(), uint64_t(30 - good + 2));
  QCOMPARE(reader.firstSkipReasons().size(), size_t(10));
  QVERIFY2(QString::fromStdString(reader.firstSkipReasons()[0])
               .startsWith(path + QStringLiteral(":2: field 'input_length'")),
           reader.firstSkipReasons()[0].c_str());
  QCOMPARE(reader.lineNumber(), uint64_t(32));
  QCOMPARE(reader.bytesRead(), uint64_t(content.size()));
  QCOMPARE(reader.fileSize(), uint64_t(content.size()));
  QCOMPARE(readWholeTrace(path.toStdString(), options).size(), size_t(good));
}

void TestMooncakeTrace::readerHandlesLayout_data() {
  QTest::addColumn<QByteArray>("content");
  QTest::addColumn<int>("requests");
  const QByteArray line = R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [1]})";
  QTest::newRow("empty file") << QByteArray() << 0;
  QTest::newRow("only blank lines") << QByteArray("\n\n  \r\n") << 0;
  QTest::newRow("no final newline") << line + "\n" + line << 2;
  QTest::newRow("CRLF") << line + "\r\n" + line + "\r\n" << 2;
  QTest::newRow("blank lines between") << "\n" + line + "\n\n\n" + line + "\n\n" << 2;
  QTest::newRow("byte order mark") << "\xEF\xBB\xBF" + line + "\n" << 1;
  QTest::newRow("equal timestamps") << line + "\n" + line + "\n" + line + "\n" << 3;
}

void TestMooncakeTrace::readerHandlesLayout() {
  QFETCH(QByteArray, content);
  QFETCH(int, requests);
  const QString path = writeFile(QStringLiteral("layout.jsonl"), content);
  QCOMPARE(int(readWholeTrace(path.toStdString()).size()), requests);
}

void TestMooncakeTrace::linesAcrossChunkBoundaries() {
  // ~10 MiB of lines of varying length: many lines straddle the reader's 4 MiB chunks.
  QByteArray content;
  int lines = 0;
  while (content.size() < (10 << 20)) {
    content += "{\"timestamp\": " + QByteArray::number(lines) +
               ", \"input_length\": " + QByteArray::number(lines % 977) +
               ", \"output_length\": 3, \"hash_ids\": [";
    for (int i = 0; i < lines % 53; ++i) content += QByteArray::number(lines + i) + ", ";
    content += QByteArray::number(lines) + "]}\n";
    ++lines;
  }
  const QString path = writeFile(QStringLiteral("big.jsonl"), content);
  MooncakeTraceReader reader(path.toStdString());
  TraceRequest r;
  int n = 0;
  while (reader.next(r)) {
    QCOMPARE(r.timestampMs, int64_t(n));
    QCOMPARE(r.inputLength, uint32_t(n % 977));
    QCOMPARE(r.hashIds.size(), size_t(n % 53 + 1));
    QCOMPARE(r.hashIds.back(), uint64_t(n));
    ++n;
  }
  QCOMPARE(n, lines);
  QCOMPARE(reader.bytesRead(), uint64_t(content.size()));
}

void TestMooncakeTrace::longValidLine() {
  // One 9 MiB line (the buffer must grow past its first chunk), then a normal line.
  QByteArray content = R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [)";
  const int ids = 1'000'000;
  for (int i = 0; i < ids; ++i) content += "12345678,";
  content += "7]}\n";
  content += R"({"timestamp": 2, "input_length": 1, "output_length": 1, "hash_ids": [1]})"
             "\n";
  const QString path = writeFile(QStringLiteral("long.jsonl"), content);
  const auto trace = readWholeTrace(path.toStdString());
  QCOMPARE(trace.size(), size_t(2));
  QCOMPARE(trace[0].hashIds.size(), size_t(ids + 1));
  QCOMPARE(trace[1].timestampMs, int64_t(2));
}

void TestMooncakeTrace::overlongLine() {
  const QByteArray good = R"({"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [1]})"
                          "\n";
  QByteArray content = good;
  content += QByteArray(int(kMaxTraceLineBytes) + 100, 'x');
  content += "\n" + good;
  const QString path = writeFile(QStringLiteral("overlong.jsonl"), content);
  try {
    readWholeTrace(path.toStdString());
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(e.line, int64_t(2));
    QVERIFY2(QString::fromStdString(e.message).contains(QStringLiteral("64 MiB")), e.what());
  }
  TraceReadOptions options;
  options.skipBadLines = true;
  MooncakeTraceReader reader(path.toStdString(), options);
  TraceRequest r;
  int n = 0;
  while (reader.next(r)) ++n;
  QCOMPARE(n, 2);
  QCOMPARE(reader.skippedLines(), uint64_t(1));
  QCOMPARE(reader.lineNumber(), uint64_t(3));
  QCOMPARE(reader.bytesRead(), uint64_t(content.size()));
}

void TestMooncakeTrace::unreadableFile() {
  const std::string missing = m_dir.filePath(QStringLiteral("does-not-exist.jsonl")).toStdString();
  try {
    MooncakeTraceReader reader(missing);
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(e.file, missing);
    QCOMPARE(e.line, int64_t(0));
  }
  QVERIFY_THROWS_EXCEPTION(InputError, MooncakeTraceReader(m_dir.path().toStdString()));
}

void TestMooncakeTrace::sampleTrace() {
  // First 64 lines of the published Mooncake conversation trace.
  const auto trace = readWholeTrace(KVLAB_TEST_DATA_DIR "/mooncake_sample.jsonl");
  QCOMPARE(trace.size(), size_t(64));
  QCOMPARE(trace.front().timestampMs, int64_t(0));
  QCOMPARE(trace.front().inputLength, uint32_t(6758));
  QCOMPARE(trace.front().hashIds.size(), size_t(14));
  QCOMPARE(trace.back().timestampMs, int64_t(18000));
  QCOMPARE(trace.back().inputLength, uint32_t(898));
  size_t ids = 0;
  uint64_t inputTokens = 0;
  for (const auto& r : trace) {
    ids += r.hashIds.size();
    inputTokens += r.inputLength;
  }
  QCOMPARE(ids, size_t(1560));
  QCOMPARE(inputTokens, uint64_t(779989));
}

QTEST_GUILESS_MAIN(TestMooncakeTrace)
#include "tst_mooncake_trace.moc"
