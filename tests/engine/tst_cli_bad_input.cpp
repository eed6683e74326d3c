// SPDX-License-Identifier: MIT
// The bad-input catalogue through the real kvlab-cli (KVLAB_CLI_PATH): every bad flag value or input file
// ends with a non-zero exit code, a message on stderr naming the flag / file:line / field, no crash (no
// signal, no sanitizer report), and no output file that looks complete. tst_bad_input.cpp covers the
// parsers directly.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest/QtTest>

namespace {

const QByteArray kGoodLine =
    R"({"timestamp": 10, "input_length": 1024, "output_length": 5, "hash_ids": [1, 2]})";

struct CliResult {
  QProcess::ExitStatus status = QProcess::CrashExit;
  int code = -1;
  QString out;
  QString err;
};

void writeFile(const QString& path, const QByteArray& data) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
  f.write(data);
}

QString cliPath() { return QStringLiteral(KVLAB_CLI_PATH); }

// A sanitizer (ASan, UBSan, LSan) report in the child's stderr counts as a crash.
bool hasSanitizerReport(const QString& err) {
  return err.contains("ERROR: AddressSanitizer") || err.contains("ERROR: LeakSanitizer") ||
         err.contains("runtime error:") || err.contains("WARNING: ThreadSanitizer");
}

}  // namespace

class TestCliBadInput : public QObject {
  Q_OBJECT

private slots:
  void initTestCase();
  void badInput_data();
  void badInput();
  void failedReplayLeavesNoEventsFile();
  void successfulReplayPublishesEventsFile();
  void unwritableEventsPath();
  void interruptedReplayLeavesNoEventsFile();
  void hugeThreadCountIsCapped();
  void sweepTakesUnlimited_data();
  void sweepTakesUnlimited();
  void oversizedLiveRunIsRefused();
  void computeFlagsRefused_data();
  void computeFlagsRefused();

private:
  CliResult runCli(const QStringList& args, int timeoutMs = 60000);
  QTemporaryDir m_dir;
};

CliResult TestCliBadInput::runCli(const QStringList& args, int timeoutMs) {
  QProcess p;
  p.setWorkingDirectory(m_dir.path());
  p.start(cliPath(), args);
  CliResult r;
  if (!p.waitForStarted(10000) || !p.waitForFinished(timeoutMs)) {
    p.kill();
    p.waitForFinished();
    r.err = "did not finish: " + args.join(' ');
    return r;
  }
  r.status = p.exitStatus();
  r.code = p.exitCode();
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

void TestCliBadInput::initTestCase() {
  QVERIFY2(QFileInfo::exists(cliPath()), qPrintable(cliPath()));
  QVERIFY(m_dir.isValid());
  const QString d = m_dir.path() + '/';
  writeFile(d + "t.jsonl", kGoodLine + "\n" + kGoodLine + "\n");
  writeFile(d + "bad.jsonl", kGoodLine + "\n" +
                                 R"({"timestamp": -1, "input_length": 1, "output_length": 1, "hash_ids": []})"
                                 "\n" +
                                 kGoodLine + "\n");
  writeFile(d + "empty.jsonl", QByteArray());
  writeFile(d + "binary.bin", QByteArray("\x7f"
                                         "ELF\x02\x01\x01\x00\x00\x00\xff\xfe\n",
                                         13));
  writeFile(d + "utf8.jsonl", kGoodLine + "\n" + kGoodLine + "\n" + R"({"timestamp": 20, "note": ")" +
                                  QByteArray("\xc3\x28\xff") + "\"}\n");
  writeFile(d + "truncated.jsonl", kGoodLine + "\n" + kGoodLine.left(30));
  QVERIFY(QDir(d).mkdir("dir"));
}

void TestCliBadInput::badInput_data() {
  QTest::addColumn<QStringList>("args");
  QTest::addColumn<int>("code");         // expected exit code
  QTest::addColumn<QStringList>("err");  // parts of stderr

  const QStringList replay = {"replay", "t.jsonl"};
  // Command line structure (CLI11 errors: exit 2).
  QTest::newRow("no arguments") << QStringList{} << 2 << QStringList{"subcommand"};
  QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2 << QStringList{"frobnicate"};
  QTest::newRow("replay without trace") << QStringList{"replay"} << 2 << QStringList{"trace"};
  QTest::newRow("replay without size") << replay << 2 << QStringList{"max-tokens", "--max-size"};
  QTest::newRow("both sizes") << replay + QStringList{"--max-tokens", "1", "--max-size", "1GiB"} << 2
                              << QStringList{"excludes"};
  QTest::newRow("blocks and tokens") << replay + QStringList{"--max-blocks", "4", "--max-tokens", "1"} << 2
                                     << QStringList{"excludes"};
  // Flag values (InputError from our parsers: exit 2, message names the flag).
  QTest::newRow("max-blocks word") << replay + QStringList{"--max-blocks", "lots"} << 2
                                   << QStringList{"field 'max-blocks'", "'lots'"};
  QTest::newRow("warmup past one") << replay + QStringList{"--max-blocks", "4", "--warmup", "1.5"} << 2
                                   << QStringList{"field 'warmup'", "'1.5'"};
  QTest::newRow("granularity word") << replay + QStringList{"--max-blocks", "4", "--granularity", "tree"} << 2
                                    << QStringList{"field 'granularity'", "'tree'"};
  QTest::newRow("radix with fifo") << replay + QStringList{"--max-blocks", "4",        "--granularity",
                                                           "radix",        "--policy", "fifo"}
                                   << 2 << QStringList{"field 'policy'", "lru or opt"};
  QTest::newRow("radix with ttl") << replay + QStringList{"--max-blocks", "4",     "--granularity",
                                                          "radix",        "--ttl", "5m"}
                                  << 2 << QStringList{"field 'ttl'"};
  QTest::newRow("analyze hardware without model")
      << QStringList{"analyze", "t.jsonl", "--hardware", "h100-sxm"} << 2
      << QStringList{"field 'hardware'", "--model"};
  QTest::newRow("analyze warmup word")
      << QStringList{"analyze", "t.jsonl", "--warmup", "half"} << 2 << QStringList{"field 'warmup'"};
  QTest::newRow("max-tokens negative")
      << replay + QStringList{"--max-tokens=-5"} << 2 << QStringList{"field 'max-tokens'", "negative"};
  QTest::newRow("max-tokens word") << replay + QStringList{"--max-tokens", "lots"} << 2
                                   << QStringList{"field 'max-tokens'", "'lots'"};
  QTest::newRow("max-tokens 1e30") << replay + QStringList{"--max-tokens", "1e30"} << 2
                                   << QStringList{"field 'max-tokens'", "whole number"};
  QTest::newRow("max-tokens overflowing") << replay + QStringList{"--max-tokens", "99999999999999999999"} << 2
                                          << QStringList{"field 'max-tokens'"};
  QTest::newRow("max-tokens x bytes overflow") << replay + QStringList{"--max-tokens", "18446744073709551614"}
                                               << 2 << QStringList{"field 'max-tokens'", "16 EiB"};
  // 2^64 - 1 is reserved for "unlimited": as a number it is out of range, not silently unbounded.
  QTest::newRow("max-tokens 2^64-1") << replay + QStringList{"--max-tokens", "18446744073709551615"} << 2
                                     << QStringList{"field 'max-tokens'", "18446744073709551614]"};
  QTest::newRow("max-tokens unlimited typo") << replay + QStringList{"--max-tokens", "unlimted"} << 2
                                             << QStringList{"field 'max-tokens'", "unlimted"};
  QTest::newRow("sweep unlimited typo in list")
      << QStringList{"sweep", "t.jsonl", "--max-size", "1GiB,infinite"} << 2
      << QStringList{"field 'max-size[1]'"};
  QTest::newRow("ttl-mode unknown") << replay + QStringList{"--max-tokens", "1000", "--ttl-mode", "lifetime"}
                                    << 2 << QStringList{"field 'ttl-mode'", "lifetime", "idle", "age"};
  QTest::newRow("max-size 1e30 GiB") << replay + QStringList{"--max-size", "1e30GiB"} << 2
                                     << QStringList{"field 'max-size'", "too large"};
  QTest::newRow("max-size NaN") << replay + QStringList{"--max-size", "nan"} << 2
                                << QStringList{"field 'max-size'"};
  QTest::newRow("max-size empty") << replay + QStringList{"--max-size", ""} << 2 << QStringList{"max-"};
  QTest::newRow("max-size very long") << replay + QStringList{"--max-size", QString(100000, '7') + "GiB"} << 2
                                      << QStringList{"field 'max-size'", "..."};
  QTest::newRow("ttl negative") << replay + QStringList{"--max-tokens", "1000", "--ttl=-1s"} << 2
                                << QStringList{"field 'ttl'", "negative"};
  QTest::newRow("ttl huge") << replay + QStringList{"--max-tokens", "1000", "--ttl", "1e30h"} << 2
                            << QStringList{"field 'ttl'", "too large"};
  QTest::newRow("ttl NaN") << replay + QStringList{"--max-tokens", "1000", "--ttl", "nan"} << 2
                           << QStringList{"field 'ttl'"};
  QTest::newRow("block-size zero") << replay + QStringList{"--max-tokens", "1000", "--block-size", "0"} << 2
                                   << QStringList{"field 'block-size'"};
  QTest::newRow("block-size overflowing")
      << replay + QStringList{"--max-tokens", "1000", "--block-size", "4294967296"} << 2
      << QStringList{"field 'block-size'", "4294967296"};
  QTest::newRow("block-size word") << replay + QStringList{"--max-tokens", "1000", "--block-size", "big"} << 2
                                   << QStringList{"field 'block-size'", "'big'"};
  QTest::newRow("policy unknown") << replay + QStringList{"--max-tokens", "1000", "--policy", "nope"} << 2
                                  << QStringList{"field 'policy'", "lru"};
  QTest::newRow("policy garbage") << replay + QStringList{"--max-tokens", "1000", "--policy",
                                                          QString::fromLatin1("\x1b[31m\x7f")}
                                  << 2 << QStringList{"field 'policy'", "\\x1b"};
  QTest::newRow("model unknown") << replay + QStringList{"--max-size", "1GiB", "--model", "gpt-99"} << 2
                                 << QStringList{"field 'model'", "gpt-99"};
  // Trace files: the message names file and line.
  QTest::newRow("trace missing") << QStringList{"replay", "missing.jsonl", "--max-tokens", "1000"} << 2
                                 << QStringList{"missing.jsonl", "cannot open"};
  QTest::newRow("trace is a directory")
      << QStringList{"replay", "dir", "--max-tokens", "1000"} << 2 << QStringList{"dir: is a directory"};
  QTest::newRow("trace empty") << QStringList{"replay", "empty.jsonl", "--max-tokens", "1000"} << 2
                               << QStringList{"empty.jsonl: contains no requests"};
  QTest::newRow("trace bad line") << QStringList{"replay", "bad.jsonl", "--max-tokens", "1000"} << 2
                                  << QStringList{"bad.jsonl:2: field 'timestamp'"};
  QTest::newRow("trace truncated") << QStringList{"replay", "truncated.jsonl", "--max-tokens", "1000"} << 2
                                   << QStringList{"truncated.jsonl:2:", "invalid JSON"};
  QTest::newRow("trace binary") << QStringList{"replay", "binary.bin", "--max-tokens", "1000"} << 2
                                << QStringList{"binary.bin:1:"};
  QTest::newRow("trace invalid UTF-8") << QStringList{"replay", "utf8.jsonl", "--max-tokens", "1000"} << 2
                                       << QStringList{"utf8.jsonl:3:", "invalid UTF-8"};
  QTest::newRow("sweep bad line, threads")
      << QStringList{"sweep", "bad.jsonl", "--max-tokens", "1000,2000", "--policy", "fifo,sieve"} << 2
      << QStringList{"bad.jsonl:2: field 'timestamp'"};
  QTest::newRow("sweep empty list item") << QStringList{"sweep", "t.jsonl", "--max-tokens", "1000,,2000"} << 2
                                         << QStringList{"field 'max-tokens[1]'"};
  QTest::newRow("sweep policy in list")
      << QStringList{"sweep", "t.jsonl", "--max-tokens", "1000", "--policy", "lru,nope"} << 2
      << QStringList{"field 'policy'", "'nope'"};
  QTest::newRow("sweep format") << QStringList{"sweep", "t.jsonl", "--max-tokens", "1000", "--format", "xml"}
                                << 2 << QStringList{"--format"};
  QTest::newRow("bench endless seconds")
      << QStringList{"bench", "t.jsonl", "--no-prefill", "--seconds", "1e300"} << 2
      << QStringList{"--seconds"};
  QTest::newRow("bench tokenizer missing")
      << QStringList{"bench", "--tokenizer", "no-such-tokenizer.json", "t.jsonl"} << 2
      << QStringList{"no-such-tokenizer.json: cannot read"};
  QTest::newRow("bench tokenizer without text")
      << QStringList{"bench", "--tokenizer", "t.jsonl"} << 2 << QStringList{"field 'tokenizer'", "text file"};
  QTest::newRow("bench tokenizer not a tokenizer.json")
      << QStringList{"bench", "--tokenizer", "t.jsonl", "t.jsonl"} << 2
      << QStringList{"t.jsonl: ", "invalid JSON"};
  const QStringList simulate = {"simulate", "t.jsonl"};
  QTest::newRow("simulate speed zero")
      << simulate + QStringList{"--speed", "0"} << 2 << QStringList{"field 'speed'"};
  QTest::newRow("simulate speed list item")
      << simulate + QStringList{"--speed", "1,,2"} << 2 << QStringList{"field 'speed[1]'"};
  QTest::newRow("simulate pool-blocks zero")
      << simulate + QStringList{"--pool-blocks", "0"} << 2 << QStringList{"field 'pool-blocks'"};
  QTest::newRow("simulate pool-blocks huge")
      << simulate + QStringList{"--pool-blocks", "4000000000"} << 2 << QStringList{"field 'pool-blocks'"};
  QTest::newRow("simulate pool-size huge")
      << simulate + QStringList{"--pool-size", "1EiB"} << 2 << QStringList{"field 'pool-size'", "at most"};
  QTest::newRow("simulate pool-size below a block")
      << simulate + QStringList{"--pool-size", "1KiB"} << 2 << QStringList{"field 'pool-size'", "one block"};
  QTest::newRow("simulate hardware unknown")
      << simulate + QStringList{"--hardware", "tpu"} << 2 << QStringList{"field 'hardware'", "h100-sxm"};
  QTest::newRow("simulate output-tokens zero")
      << simulate + QStringList{"--output-tokens", "0"} << 2 << QStringList{"field 'output-tokens'"};
  QTest::newRow("simulate max-running zero")
      << simulate + QStringList{"--max-running", "0"} << 2 << QStringList{"field 'max-running'"};
  QTest::newRow("simulate no room for weights")
      << simulate + QStringList{"--model", "llama-3-70b", "--hardware", "l40s"} << 2
      << QStringList{"field 'pool-size'", "weights"};
  QTest::newRow("simulate trace bad line")
      << QStringList{"simulate", "bad.jsonl"} << 2 << QStringList{"bad.jsonl:2: field 'timestamp'"};
  QTest::newRow("simulate trace empty")
      << QStringList{"simulate", "empty.jsonl"} << 2 << QStringList{"empty.jsonl: contains no requests"};
  QTest::newRow("simulate scenario unknown")
      << QStringList{"simulate", "nosuch"} << 2 << QStringList{"field 'scenario'", "nosuch"};
  // fleet --serving: simulate's options per replica; replay-only and serving-only flags kept apart.
  const QStringList serving = {"fleet", "t.jsonl", "--serving", "--pool-blocks", "100"};
  QTest::newRow("fleet serving oracle-shared") << serving + QStringList{"--router", "oracle-shared"} << 2
                                               << QStringList{"field 'router'", "shared-cache"};
  QTest::newRow("fleet serving with max-tokens") << serving + QStringList{"--max-tokens", "1000"} << 2
                                                 << QStringList{"field 'max-tokens'", "--pool-blocks"};
  QTest::newRow("fleet serving with ttl")
      << serving + QStringList{"--ttl", "5s"} << 2 << QStringList{"field 'ttl'"};
  QTest::newRow("fleet pool-blocks without serving")
      << QStringList{"fleet", "t.jsonl", "--max-tokens", "1000", "--pool-blocks", "10"} << 2
      << QStringList{"field 'pool-blocks'", "--serving"};
  QTest::newRow("fleet serving speed zero")
      << serving + QStringList{"--speed", "0"} << 2 << QStringList{"field 'speed'"};
  QTest::newRow("fleet serving speed list")
      << serving + QStringList{"--speed", "1,2"} << 2 << QStringList{"field 'speed'", "one speed"};
  QTest::newRow("fleet serving pool-blocks zero")
      << QStringList{"fleet", "t.jsonl", "--serving", "--pool-blocks", "0"} << 2
      << QStringList{"field 'pool-blocks'"};
  QTest::newRow("fleet serving hardware unknown")
      << serving + QStringList{"--hardware", "tpu"} << 2 << QStringList{"field 'hardware'", "h100-sxm"};
  QTest::newRow("fleet serving max-running zero")
      << serving + QStringList{"--max-running", "0"} << 2 << QStringList{"field 'max-running'"};
  QTest::newRow("fleet serving trace bad line")
      << QStringList{"fleet", "bad.jsonl", "--serving", "--pool-blocks", "100"} << 2
      << QStringList{"bad.jsonl:2: field 'timestamp'"};
  QTest::newRow("fleet serving trace empty")
      << QStringList{"fleet", "empty.jsonl", "--serving", "--pool-blocks", "100"} << 2
      << QStringList{"empty.jsonl: contains no requests"};
}

void TestCliBadInput::badInput() {
  QFETCH(QStringList, args);
  QFETCH(int, code);
  QFETCH(QStringList, err);
  const CliResult r = runCli(args);
  QVERIFY2(r.status == QProcess::NormalExit, qPrintable(r.err));
  QVERIFY2(!hasSanitizerReport(r.err), qPrintable(r.err));
  QVERIFY2(r.code == code, qPrintable(QString("exit %1, stderr: %2").arg(r.code).arg(r.err)));
  for (const QString& part : err)
    QVERIFY2(r.err.contains(part), qPrintable(QString("missing '" + part + "' in: " + r.err)));
  QVERIFY2(r.err.size() < 2000, "messages stay short, whatever the input");
}

void TestCliBadInput::failedReplayLeavesNoEventsFile() {
  const QString csv = m_dir.filePath("failed.csv");
  const CliResult r = runCli({"replay", "bad.jsonl", "--max-tokens", "1000", "--events", "failed.csv"});
  QCOMPARE(r.status, QProcess::NormalExit);
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.contains("bad.jsonl:2"), qPrintable(r.err));
  QVERIFY(!QFileInfo::exists(csv));
  QVERIFY(!QFileInfo::exists(csv + ".partial"));
}

void TestCliBadInput::successfulReplayPublishesEventsFile() {
  const QString csv = m_dir.filePath("ok.csv");
  const CliResult r = runCli({"replay", "t.jsonl", "--max-tokens", "1000", "--events", "ok.csv"});
  QCOMPARE(r.code, 0);
  QVERIFY(QFileInfo::exists(csv));
  QVERIFY(!QFileInfo::exists(csv + ".partial"));
  QFile f(csv);
  QVERIFY(f.open(QIODevice::ReadOnly));
  QVERIFY(f.readLine().startsWith("seq,time_ms,type,"));
}

void TestCliBadInput::unwritableEventsPath() {
  const CliResult r = runCli({"replay", "t.jsonl", "--max-tokens", "1000", "--events", "no-such-dir/e.csv"});
  QCOMPARE(r.status, QProcess::NormalExit);
  QVERIFY(r.code != 0);
  QVERIFY2(r.err.contains("no-such-dir/e.csv"), qPrintable(r.err));
}

void TestCliBadInput::interruptedReplayLeavesNoEventsFile() {
  // A run killed while writing events leaves at most "<name>.partial", never a complete-looking file. The
  // trace is a named pipe the test writes: the replay reads the first lines and then waits for more, so it
  // is certainly still running (its events file open) when it is killed, on any machine.
  const QString fifo = m_dir.filePath("growing.jsonl");
  QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
  const QString csv = m_dir.filePath("killed.csv");
  QProcess p;
  p.setWorkingDirectory(m_dir.path());
  p.start(cliPath(), {"replay", "growing.jsonl", "--max-tokens", "100000", "--events", "killed.csv"});
  QVERIFY(p.waitForStarted());
  // Opening a pipe's write end without blocking succeeds once the replay has opened its read end.
  int writeEnd = -1;
  QTRY_VERIFY_WITH_TIMEOUT(
      (writeEnd = ::open(QFile::encodeName(fifo).constData(), O_WRONLY | O_NONBLOCK)) >= 0 ||
          p.state() == QProcess::NotRunning,
      20000);
  QVERIFY2(writeEnd >= 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
  QByteArray lines;
  for (int i = 0; i < 100; ++i) lines += kGoodLine + "\n";
  QCOMPARE(::write(writeEnd, lines.constData(), std::size_t(lines.size())), ssize_t(lines.size()));
  QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(csv + ".partial"), 20000);
  QCOMPARE(p.state(), QProcess::Running);  // the trace has not ended: the replay cannot have finished
  p.kill();
  QVERIFY(p.waitForFinished());
  ::close(writeEnd);
  QVERIFY(!QFileInfo::exists(csv));
}

void TestCliBadInput::hugeThreadCountIsCapped() {
  const CliResult r =
      runCli({"sweep", "t.jsonl", "--max-tokens", "1000,2000", "--policy", "fifo", "--threads", "1000000"});
  QVERIFY2(r.status == QProcess::NormalExit && r.code == 0, qPrintable(r.err));
  QVERIFY(!hasSanitizerReport(r.err));
}

void TestCliBadInput::sweepTakesUnlimited_data() {
  QTest::addColumn<QString>("trace");
  QTest::addColumn<QStringList>("sizes");  // the size flag and its list
  QTest::addColumn<qint64>("hitTokens");   // at the unlimited size; -1: as `replay --max-tokens unlimited`
  // t.jsonl: the same 1024-token request (hash ids 1, 2) twice; with no bound the second hits both blocks
  // of 512: 1024 hit tokens.
  QTest::newRow("tokens, inf") << "t.jsonl" << QStringList{"--max-tokens", "1000,inf"} << qint64(1024);
  QTest::newRow("tokens, unlimited") << "t.jsonl" << QStringList{"--max-tokens", "1000,unlimited"}
                                     << qint64(1024);
  QTest::newRow("size, unlimited") << "t.jsonl" << QStringList{"--max-size", "1GiB,unlimited"}
                                   << qint64(1024);
  QTest::newRow("sample trace") << QStringLiteral(KVLAB_TEST_DATA_DIR "/policy_sample_conversation.jsonl")
                                << QStringList{"--max-tokens", "1000000,inf"} << qint64(-1);
}

void TestCliBadInput::sweepTakesUnlimited() {
  // README: "--max-tokens unlimited (or inf, also as items of a sweep list)". The unlimited point is
  // reported as such and hits what a replay with no bound hits (another implementation: the replayer, not
  // the sweep's one-pass stack-distance curve), or the hand-worked figure.
  QFETCH(QString, trace);
  QFETCH(QStringList, sizes);
  QFETCH(qint64, hitTokens);
  const CliResult r = runCli(QStringList{"sweep", trace, "--policy", "lru,fifo", "--json"} + sizes);
  QVERIFY2(r.status == QProcess::NormalExit && r.code == 0, qPrintable(r.err));
  if (hitTokens < 0) {
    const CliResult replay = runCli({"replay", trace, "--max-tokens", "unlimited", "--json"});
    QVERIFY2(replay.code == 0, qPrintable(replay.err));
    hitTokens = QJsonDocument::fromJson(replay.out.toUtf8()).object()["hit_tokens"].toInteger(-1);
    QVERIFY(hitTokens > 0);
  }
  int unlimited = 0;
  for (const QJsonValue& v : QJsonDocument::fromJson(r.out.toUtf8()).object()["points"].toArray()) {
    const QJsonObject p = v.toObject();
    if (p["max_tokens"].toString() != QStringLiteral("unlimited")) continue;
    ++unlimited;
    QVERIFY(p["capacity_blocks"].isNull());
    QCOMPARE(p["hit_tokens"].toInteger(), hitTokens);
  }
  QCOMPARE(unlimited, 2);  // one per policy
}

void TestCliBadInput::oversizedLiveRunIsRefused() {
  // Needs the compute module (LibTorch) next to kvlab-cli: a build with KVLAB_COMPUTE=ON.
  const QString module = QFileInfo(cliPath()).dir().filePath("kvlab_compute_module.so");
  if (!QFileInfo::exists(module)) {
    const CliResult r = runCli({"run", "repeated-prefix"});
    QCOMPARE(r.code, 3);
    QVERIFY2(r.err.contains("compute module"), qPrintable(r.err));
    QSKIP("no compute module in this build: checked only the clear refusal to run");
  }
  // --max-size alone is not enough: the estimate takes min(max size, all K/V the scenario can produce)
  // (repeated-prefix needs ~86 MiB whatever the max size). This scenario can produce ~1.3 TiB of K/V.
  writeFile(m_dir.filePath("huge.json"),
            R"({"name": "huge", "title": "Huge", "description": "More K/V than any test machine has.",
                  "kind": "repeated-prefix", "repeated-prefix": {"system_prompt_tokens": 100, "questions": 100000,
                  "question_tokens": {"min": 400, "max": 500}}})");
  const CliResult r = runCli({"run", "huge.json", "--max-size", "1000TiB"}, 120000);
  QVERIFY2(r.status == QProcess::NormalExit, qPrintable(r.err));
  QVERIFY2(r.code == 2, qPrintable(QString(r.out + r.err)));
  QVERIFY2(r.err.contains("field 'max-size'"), qPrintable(r.err));
  QVERIFY2(r.err.contains("would need about") && r.err.contains("TiB"),
           qPrintable(QString("the estimate is shown: " + r.err)));
  // The same K/V bound for a host tier: a small device cache, a host tier as large as all of it.
  const CliResult host =
      runCli({"run", "huge.json", "--max-size", "64MiB", "--host-size", "1000TiB"}, 120000);
  QVERIFY2(host.status == QProcess::NormalExit, qPrintable(host.err));
  QVERIFY2(host.code == 2, qPrintable(QString(host.out + host.err)));
  QVERIFY2(host.err.contains("field 'host-size'") && host.err.contains("TiB"), qPrintable(host.err));
}

void TestCliBadInput::computeFlagsRefused_data() {
  // --dtype and --device of the compute commands (they need the compute module: skipped without it).
  QTest::addColumn<QStringList>("args");
  QTest::addColumn<QStringList>("err");
  QTest::newRow("run dtype unknown") << QStringList{"run", "--dtype", "fp64"}
                                     << QStringList{"field 'dtype'", "'fp64'", "bf16"};
  QTest::newRow("run dtype empty") << QStringList{"run", "--dtype", ""} << QStringList{"field 'dtype'"};
  QTest::newRow("run fp16 on cpu") << QStringList{"run", "--dtype", "fp16", "--device", "cpu"}
                                   << QStringList{"field 'dtype'", "fp16 needs a CUDA device"};
  QTest::newRow("verify dtype unknown")
      << QStringList{"verify", "--dtype", "bfloat"} << QStringList{"field 'dtype'", "'bfloat'"};
  QTest::newRow("verify fp16 on cpu")
      << QStringList{"verify", "--dtype", "fp16"} << QStringList{"fp16 needs a CUDA device"};
  QTest::newRow("verify negative tolerance")
      << QStringList{"verify", "--tolerance", "-1"} << QStringList{"--tolerance"};
  QTest::newRow("bench fp16 on cpu") << QStringList{"bench", "--dtype", "fp16"}
                                     << QStringList{"field 'dtype'", "fp16 needs a CUDA device"};
  QTest::newRow("run device cuda:x") << QStringList{"run", "--device", "cuda:x"}
                                     << QStringList{"field 'device'", "cuda:N"};
  QTest::newRow("run device gpu") << QStringList{"run", "--device", "gpu"} << QStringList{"field 'device'"};
  QTest::newRow("run tokenizer missing") << QStringList{"run", "--tokenizer", "no-such-tokenizer.json"}
                                         << QStringList{"no-such-tokenizer.json: cannot read"};
  // The host tier of live runs (issue 12): refused before the model loads.
  QTest::newRow("run host-size no unit")
      << QStringList{"run", "--host-size", "lots"} << QStringList{"field 'host-size'", "'lots'"};
  QTest::newRow("run host-size zero")
      << QStringList{"run", "--host-size", "0"} << QStringList{"field 'host-size'", "more than 0 bytes"};
  QTest::newRow("run host-size negative")
      << QStringList{"run", "--host-size", "-2GiB"} << QStringList{"field 'host-size'"};
  QTest::newRow("run host-size under one block")
      << QStringList{"run", "--host-size", "1KiB"}
      << QStringList{"field 'host-size'", "smaller than one block"};
  QTest::newRow("run host-size radix") << QStringList{"run", "--host-size", "1GiB", "--granularity", "radix"}
                                       << QStringList{"field 'host-size'", "block granularity"};
  QTest::newRow("run host-policy unknown")
      << QStringList{"run", "--host-size", "1GiB", "--host-policy", "mru"}
      << QStringList{"field 'host-policy'", "'mru'"};
  QTest::newRow("run host-policy without host-size")
      << QStringList{"run", "--host-policy", "lru"} << QStringList{"field 'host-policy'", "--host-size"};
  QTest::newRow("run repeat zero") << QStringList{"run", "--repeat", "0"}
                                   << QStringList{"field 'repeat'", "[1, 20]"};
  QTest::newRow("run repeat too many") << QStringList{"run", "--repeat", "21"}
                                       << QStringList{"field 'repeat'", "[1, 20]"};
  QTest::newRow("run repeat with remote")
      << QStringList{"run", "--repeat", "2", "--remote", "redis://127.0.0.1:1"}
      << QStringList{"field 'repeat'", "--remote"};
}

void TestCliBadInput::computeFlagsRefused() {
  QFETCH(QStringList, args);
  QFETCH(QStringList, err);
  const QString module = QFileInfo(cliPath()).dir().filePath("kvlab_compute_module.so");
  if (!QFileInfo::exists(module)) QSKIP("no compute module in this build");
  const CliResult r = runCli(args);
  QVERIFY2(r.status == QProcess::NormalExit, qPrintable(r.err));
  QVERIFY2(!hasSanitizerReport(r.err), qPrintable(r.err));
  QVERIFY2(r.code == 2, qPrintable(QString("exit %1, stderr: %2").arg(r.code).arg(r.err)));
  for (const QString& part : err)
    QVERIFY2(r.err.contains(part), qPrintable(QString("missing '" + part + "' in: " + r.err)));
}

QTEST_GUILESS_MAIN(TestCliBadInput)
#include "tst_cli_bad_input.moc"
