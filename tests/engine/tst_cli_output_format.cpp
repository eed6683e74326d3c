// SPDX-License-Identifier: MIT
// kvlab-cli's one output convention (app/cli/output_format.h), through the real kvlab-cli (KVLAB_CLI_PATH):
// every command takes --format table|json|csv and --json as the short spelling of --format json.
// Per command: table prints something that is not JSON; --format json and --json print one JSON object
// with the same keys; csv prints RFC 4180 records of one width (read here by a parser of our own, not the
// CsvWriter that wrote them), and for a single-object output its header is exactly the JSON object's
// leaf keys (nested objects joined with '.'); --format bogus exits 2 naming --format; --json with --format
// exits 2. The remote rows need redis-server (CI has it: a failure there); the compute rows need the
// compute module (a build option, so they skip without it).
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include "cli_runner.h"
#include "redis_test_server.h"
#include "test_requirements.h"

using kvlab::test::RedisTestServer;

using kvlab::test::CliResult;
using kvlab::test::runCli;

namespace {

// RFC 4180 records (LF or CRLF line ends, quoted fields with doubled quotes); lines starting with '#'
// before the header are comments (simulate's cost-model line). Returns false on a malformed quote.
bool parseCsv(const QString& text, QList<QStringList>& records) {
  QStringList record;
  QString field;
  bool quoted = false, fieldStarted = false, atLineStart = true;
  for (qsizetype i = 0; i < text.size(); ++i) {
    const QChar c = text[i];
    if (atLineStart && records.isEmpty() && c == '#') {  // a comment line before the header
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    atLineStart = false;
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (fieldStarted) return false;  // a quote inside an unquoted field
      quoted = fieldStarted = true;
    } else if (c == ',') {
      record << field;
      field.clear();
      fieldStarted = false;
    } else if (c == '\n') {
      if (field.endsWith('\r')) field.chop(1);
      record << field;
      records << record;
      record.clear();
      field.clear();
      fieldStarted = false;
      atLineStart = true;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) return false;
  if (fieldStarted || !record.isEmpty()) records << (record << field);
  return true;
}

// The leaf keys of a JSON object, nested non-empty objects joined with '.', sorted.
void leafKeys(const QJsonObject& object, const QString& prefix, QStringList& out) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const QString key = prefix.isEmpty() ? it.key() : prefix + '.' + it.key();
    if (it.value().isObject() && !it.value().toObject().isEmpty())
      leafKeys(it.value().toObject(), key, out);
    else
      out << key;
  }
}

QJsonObject jsonObject(const QByteArray& text, QString& error) {
  QJsonParseError e;
  const QJsonDocument doc = QJsonDocument::fromJson(text, &e);
  if (e.error != QJsonParseError::NoError) error = e.errorString() + ": " + QString::fromUtf8(text.left(300));
  return doc.object();
}

QString cliDir() { return QFileInfo(QStringLiteral(KVLAB_CLI_PATH)).absolutePath(); }
bool computeModule() { return QFileInfo::exists(cliDir() + "/kvlab_compute_module.so"); }

}  // namespace

class TestCliOutputFormat : public QObject {
  Q_OBJECT

private slots:
  void initTestCase();
  void everyCommand_data();
  void everyCommand();

private:
  QTemporaryDir m_dir;
};

void TestCliOutputFormat::initTestCase() {
  QVERIFY2(QFileInfo::exists(QStringLiteral(KVLAB_CLI_PATH)), KVLAB_CLI_PATH);
  QVERIFY(m_dir.isValid());
  // Two short requests: each compute run loads LibTorch and prefills ~45 tokens, nothing more.
  QFile scenario(m_dir.filePath("two.json"));
  QVERIFY(scenario.open(QIODevice::WriteOnly));
  scenario.write(R"({"name": "two", "title": "Two requests", "description": "Output-format check.",
    "kind": "repeated-prefix", "repeated-prefix": {"system_prompt_tokens": 32, "questions": 2,
    "question_tokens": {"min": 8, "max": 10}}})");
}

void TestCliOutputFormat::everyCommand_data() {
  QTest::addColumn<QStringList>("args");   // the command without a format flag; {redis} = the test server
  QTest::addColumn<QString>("needs");      // "", "redis" or "compute"
  QTest::addColumn<bool>("singleObject");  // csv = one header row + one row of the JSON's leaf keys
  const QString trace = QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl");
  QTest::newRow("replay") << QStringList{"replay", trace, "--max-tokens", "100000"} << "" << true;
  QTest::newRow("sweep") << QStringList{"sweep", trace, "--max-tokens", "1000,100000,unlimited"} << ""
                         << false;
  QTest::newRow("simulate") << QStringList{"simulate", trace, "--pool-blocks", "200"} << "" << false;
  QTest::newRow("fleet") << QStringList{"fleet", trace, "--max-tokens", "100000"} << "" << false;
  QTest::newRow("fleet serving") << QStringList{"fleet", trace, "--serving", "--pool-blocks", "200"} << ""
                                 << false;
  QTest::newRow("bench") << QStringList{"bench", trace, "--no-prefill", "--runs", "1", "--seconds", "0"} << ""
                         << true;
  QTest::newRow("list") << QStringList{"list"} << "" << false;
  QTest::newRow("model") << QStringList{"model", "qwen3-8b"} << "" << true;
  QTest::newRow("model every preset") << QStringList{"model"} << "" << false;
  QTest::newRow("remote stats") << QStringList{"remote", "stats", "--remote", "{redis}"} << "redis" << true;
  QTest::newRow("remote clear") << QStringList{"remote", "clear", "--remote", "{redis}"} << "redis" << true;
  QTest::newRow("remote bench") << QStringList{"remote", "bench", "--remote", "{redis}", "--blocks", "4"}
                                << "redis" << true;
  QTest::newRow("list devices") << QStringList{"list", "--devices"} << "compute" << false;
  QTest::newRow("run") << QStringList{"run", m_dir.filePath("two.json"), "--no-baseline"} << "compute"
                       << true;
  QTest::newRow("run repeat") << QStringList{"run", m_dir.filePath("two.json"), "--no-baseline", "--repeat", "2"}
                              << "compute" << false;
  QTest::newRow("verify") << QStringList{"verify", "--prompts", "4"} << "compute" << false;
}

void TestCliOutputFormat::everyCommand() {
  QFETCH(QStringList, args);
  QFETCH(QString, needs);
  QFETCH(bool, singleObject);
  RedisTestServer server;
  if (needs == "redis") {
    KVLAB_REQUIRE(RedisTestServer::installed(), QStringLiteral("redis-server and redis-cli"));
    QVERIFY2(server.start(), qPrintable(server.error()));
    args.replaceInStrings(QStringLiteral("{redis}"), QString::fromStdString(server.url()));
  }
  if (needs == "compute" && !computeModule())
    QSKIP(
        "no compute module in this build (-DKVLAB_COMPUTE=OFF): run, verify and list --devices are not in "
        "it");

  // Each compute command loads LibTorch (~0.5 s): those rows leave out the table (their default, run by
  // other suites) and --json with --format (refused by the same parser as on every other row).
  const bool compute = needs == "compute";
  if (!compute) {
    const CliResult table = runCli(args + QStringList{"--format", "table"});
    QVERIFY2(table.code == 0, qPrintable(table.err));
    QVERIFY(!table.out.trimmed().isEmpty());
    QVERIFY2(!QJsonDocument::fromJson(table.out).isObject(), "the table is not JSON");
  }

  QString error;
  const CliResult json = runCli(args + QStringList{"--format", "json"});
  QVERIFY2(json.code == 0, qPrintable(json.err));
  const QJsonObject fromFormat = jsonObject(json.out, error);
  QVERIFY2(error.isEmpty(), qPrintable(error));
  const CliResult alias = runCli(args + QStringList{"--json"});
  QVERIFY2(alias.code == 0, qPrintable(alias.err));
  const QJsonObject fromAlias = jsonObject(alias.out, error);
  QVERIFY2(error.isEmpty(), qPrintable(error));
  QVERIFY(!fromFormat.isEmpty());
  QCOMPARE(fromAlias.keys(), fromFormat.keys());

  const CliResult csv = runCli(args + QStringList{"--format", "csv"});
  QVERIFY2(csv.code == 0, qPrintable(csv.err));
  QList<QStringList> records;
  QVERIFY2(parseCsv(QString::fromUtf8(csv.out), records), csv.out.left(300).constData());
  QVERIFY2(records.size() >= 2, csv.out.left(300).constData());
  for (const QStringList& record : records)
    QVERIFY2(record.size() == records.front().size(), qPrintable(record.join(',')));
  if (singleObject) {
    QCOMPARE(records.size(), 2);
    QStringList keys;
    leafKeys(fromFormat, {}, keys);
    keys.sort();
    QStringList header = records.front();
    header.sort();
    QCOMPARE(header, keys);
  }

  const CliResult bogus = runCli(args + QStringList{"--format", "bogus"});
  QCOMPARE(bogus.code, 2);
  QVERIFY2(bogus.err.contains("--format") && bogus.err.contains("bogus"), qPrintable(bogus.err));
  QVERIFY(bogus.out.isEmpty());
  if (compute) return;
  const CliResult both = runCli(args + QStringList{"--json", "--format", "csv"});
  QCOMPARE(both.code, 2);
  QVERIFY2(both.err.contains("--json") && both.err.contains("--format"), qPrintable(both.err));
}

KVLAB_TEST_GUILESS_MAIN(TestCliOutputFormat)
#include "tst_cli_output_format.moc"
