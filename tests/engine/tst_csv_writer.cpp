// SPDX-License-Identifier: MIT
// CsvWriter against RFC 4180 worked by hand (§2.4 spaces are data; §2.5-2.7 fields with a comma, a quote or a
// line break are quoted and quotes doubled), numbers written locale-free and exact, the field-count check,
// and a round trip through Python's csv module (tools/csv_fields.py, an independent reader).
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/util/atomic_file.h"
#include "core/util/csv_writer.h"
#include "test_requirements.h"

using namespace kvlab;

class TestCsvWriter : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void quoting_data() {
    QTest::addColumn<QByteArray>("field");
    QTest::addColumn<QByteArray>("written");
    // Each expected text worked by hand from RFC 4180.
    QTest::newRow("plain") << QByteArray("abc") << QByteArray("abc");
    QTest::newRow("empty") << QByteArray("") << QByteArray("");
    QTest::newRow("spaces are data, unquoted (2.4)") << QByteArray(" a b ") << QByteArray(" a b ");
    QTest::newRow("comma (2.6)") << QByteArray("a,b") << QByteArray("\"a,b\"");
    QTest::newRow("quote doubled (2.7)") << QByteArray("say \"hi\"") << QByteArray("\"say \"\"hi\"\"\"");
    QTest::newRow("only a quote") << QByteArray("\"") << QByteArray("\"\"\"\"");
    QTest::newRow("LF (2.6)") << QByteArray("line1\nline2") << QByteArray("\"line1\nline2\"");
    QTest::newRow("CR (2.6)") << QByteArray("a\rb") << QByteArray("\"a\rb\"");
    QTest::newRow("CRLF") << QByteArray("a\r\nb") << QByteArray("\"a\r\nb\"");
    QTest::newRow("semicolon and tab are data") << QByteArray("a;b\tc") << QByteArray("a;b\tc");
    QTest::newRow("quote, comma, newline") << QByteArray("x\",\ny") << QByteArray("\"x\"\",\ny\"");
    QTest::newRow("UTF-8 bytes as is") << QByteArray("caf\xc3\xa9") << QByteArray("caf\xc3\xa9");
  }
  void quoting() {
    QFETCH(QByteArray, field);
    QFETCH(QByteArray, written);
    QCOMPARE(QByteArray::fromStdString(CsvWriter::quote(field.toStdString())), written);
    std::ostringstream out;
    CsvWriter csv(out);
    csv.field(std::string_view(field.constData(), std::size_t(field.size()))).field("z");
    csv.endRow();
    QCOMPARE(QByteArray::fromStdString(out.str()), written + ",z\n");
  }

  void numbers() {
    std::ostringstream out;
    CsvWriter csv(out);
    // Shortest decimal that reads back to the same double: 0.1 is "0.1" (not 0.1000000000000000055...),
    // 1/3 needs 16 digits, 2^53 + 0 is an integer-valued double, 1e21 switches to exponent notation.
    csv.field(0.1).field(1.0 / 3.0).field(-2.5).field(9007199254740992.0).field(1e21).field(0.0);
    csv.endRow();
    csv.field(std::uint64_t(18446744073709551615ull))
        .field(std::int64_t(-7))
        .field(42)
        .field(true)
        .field(false);
    csv.empty();
    csv.endRow();
    QCOMPARE(QString::fromStdString(out.str()),
             QStringLiteral("0.1,0.3333333333333333,-2.5,9007199254740992,1e+21,0\n"
                            "18446744073709551615,-7,42,1,0,\n"));
    QCOMPARE(csv.rows(), std::uint64_t(2));
  }

  void fieldCountIsChecked() {
    std::ostringstream out;
    CsvWriter csv(out);
    csv.row({"a", "b", "c"});
    csv.field(1).field(2).field(3);
    csv.endRow();
    csv.field(1).field(2);
    QVERIFY_THROWS_EXCEPTION(std::logic_error, csv.endRow());
  }

  void pythonReadsItBack() {
    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    KVLAB_REQUIRE_PYTHON3(python);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::vector<std::vector<std::string>> records = {
        {"seq", "text", "note"},         {"1", "plain", ""},        {"2", "a,b", "say \"hi\""},
        {"3", "two\nlines", "cr\rhere"}, {"4", " padded ", "\"\""}, {"5", "caf\xc3\xa9", ",\",\n"},
    };
    const std::string path = dir.filePath(QStringLiteral("t.csv")).toStdString();
    {
      AtomicFile file(path);
      CsvWriter csv(file.stream());
      for (const auto& record : records) {
        for (const std::string& f : record) csv.field(f);
        csv.endRow();
      }
      file.commit();
    }
    QProcess p;
    p.start(python, {QStringLiteral(KVLAB_TOOLS_DIR "/csv_fields.py"), QString::fromStdString(path)});
    QVERIFY(p.waitForFinished(60000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
    QCOMPARE(lines.size(), qsizetype(records.size()));
    for (std::size_t r = 0; r < records.size(); ++r) {
      const QJsonArray fields = QJsonDocument::fromJson(lines[qsizetype(r)]).array();
      QCOMPARE(fields.size(), qsizetype(records[r].size()));
      for (std::size_t f = 0; f < records[r].size(); ++f)
        QCOMPARE(fields[qsizetype(f)].toString(), QString::fromStdString(records[r][f]));
    }
  }
};

KVLAB_TEST_GUILESS_MAIN(TestCsvWriter)
#include "tst_csv_writer.moc"
