// SPDX-License-Identifier: MIT
// parseSize / parseDurationMs / parseCount / lists / formatters: accepted spellings and every
// rejection, with the field name in the error.
#include <QtTest/QtTest>

#include "core/util/input_error.h"
#include "core/util/units.h"

using namespace kvlab;

class TestUnits : public QObject {
  Q_OBJECT

private slots:
  void parseSizeAccepts_data();
  void parseSizeAccepts();
  void parseSizeRejects_data();
  void parseSizeRejects();
  void parseDurationAccepts_data();
  void parseDurationAccepts();
  void parseDurationRejects_data();
  void parseDurationRejects();
  void parseCountAcceptsAndRejects_data();
  void parseCountAcceptsAndRejects();
  void lists();
  void unlimited();
  void formatBytes_data();
  void formatBytes();
  void formatDuration_data();
  void formatDuration();
  void errorMessageFormat();
};

void TestUnits::parseSizeAccepts_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<quint64>("bytes");
  QTest::newRow("plain") << "4096" << quint64(4096);
  QTest::newRow("zero") << "0" << quint64(0);
  QTest::newRow("B") << "12B" << quint64(12);
  QTest::newRow("KB decimal") << "1KB" << quint64(1000);
  QTest::newRow("MB") << "3 MB" << quint64(3000000);
  QTest::newRow("GB") << "2GB" << quint64(2000000000);
  QTest::newRow("TB") << "1TB" << quint64(1000000000000);
  QTest::newRow("KiB") << "1KiB" << quint64(1024);
  QTest::newRow("MiB") << "512MiB" << quint64(512ull << 20);
  QTest::newRow("GiB fractional") << "1.5GiB" << quint64(3ull << 29);
  QTest::newRow("TiB") << "2TiB" << quint64(2ull << 40);
  QTest::newRow("case-insensitive") << "2gib" << quint64(2ull << 30);
  QTest::newRow("upper") << "2GIB" << quint64(2ull << 30);
  QTest::newRow("short G") << "1G" << quint64(1ull << 30);
  QTest::newRow("space before unit") << "64  KiB" << quint64(65536);
  QTest::newRow("surrounding spaces") << "  8 MiB\t" << quint64(8ull << 20);
  QTest::newRow("leading dot") << ".5KiB" << quint64(512);
  QTest::newRow("trailing dot") << "5.KiB" << quint64(5120);
  QTest::newRow("exponent") << "1e3MB" << quint64(1000000000);
  QTest::newRow("rounded") << "1.0006KB" << quint64(1001);
  QTest::newRow("uint64 max") << "18446744073709551615" << quint64(UINT64_MAX);
  QTest::newRow("15 EiB in TiB") << "15728640TiB" << quint64(15ull << 60);
}

void TestUnits::parseSizeAccepts() {
  QFETCH(QString, text);
  QFETCH(quint64, bytes);
  QCOMPARE(parseSize(text.toStdString(), "max-size"), bytes);
}

void TestUnits::parseSizeRejects_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<QString>("messagePart");
  QTest::newRow("empty") << ""
                         << "is empty";
  QTest::newRow("blank") << "   "
                         << "is empty";
  QTest::newRow("negative") << "-3GiB"
                            << "must not be negative";
  QTest::newRow("plus sign") << "+3GiB"
                             << "expected a size";
  QTest::newRow("nan") << "nan"
                       << "expected a size";
  QTest::newRow("NaN GiB") << "NaN GiB"
                           << "expected a size";
  QTest::newRow("inf") << "inf"
                       << "expected a size";
  QTest::newRow("garbage") << "lots"
                           << "expected a size";
  QTest::newRow("unit only") << "GiB"
                             << "expected a size";
  QTest::newRow("unknown unit") << "3XB"
                                << "unknown unit";
  QTest::newRow("trailing junk") << "3GiB!"
                                 << "unknown unit";
  QTest::newRow("two numbers") << "3 4"
                               << "unknown unit";
  QTest::newRow("unit then number") << "3GiB 4"
                                    << "unknown unit";
  QTest::newRow("hex") << "0x10"
                       << "unknown unit";
  QTest::newRow("dangling exponent") << "1e"
                                     << "unknown unit";
  QTest::newRow("overflow integer") << "18446744073709551616"
                                    << "too large";
  QTest::newRow("overflow with unit") << "17179869184GiB"
                                      << "too large";
  QTest::newRow("overflow 1e30 GiB") << "1e30 GiB"
                                     << "too large";
  QTest::newRow("overflow huge exponent") << "1e999"
                                          << "too large";
  QTest::newRow("dot only") << "."
                            << "expected a size";
  QTest::newRow("comma decimal") << "1,5GiB"
                                 << "unknown unit";
  QTest::newRow("nul byte") << QString::fromLatin1("1\0GiB", 5) << "unknown unit";
}

void TestUnits::parseSizeRejects() {
  QFETCH(QString, text);
  QFETCH(QString, messagePart);
  try {
    parseSize(text.toStdString(), "max-size");
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("max-size"));
    QVERIFY2(QString::fromStdString(e.message).contains(messagePart), e.what());
    QVERIFY2(QString::fromUtf8(e.what()).startsWith(QStringLiteral("field 'max-size': ")), e.what());
  }
}

void TestUnits::parseDurationAccepts_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<qint64>("ms");
  QTest::newRow("ms") << "250ms" << qint64(250);
  QTest::newRow("s") << "30s" << qint64(30000);
  QTest::newRow("sec") << "2 sec" << qint64(2000);
  QTest::newRow("fractional s") << "1.5s" << qint64(1500);
  QTest::newRow("m") << "5m" << qint64(300000);
  QTest::newRow("min") << "2 MIN" << qint64(120000);
  QTest::newRow("h") << "2h" << qint64(7200000);
  QTest::newRow("plain number is seconds") << "90" << qint64(90000);
  QTest::newRow("zero") << "0" << qint64(0);
  QTest::newRow("off") << "off" << qint64(0);
  QTest::newRow("OFF") << " OFF " << qint64(0);
  QTest::newRow("none") << "none" << qint64(0);
  QTest::newRow("0ms") << "0ms" << qint64(0);
  QTest::newRow("rounded") << "0.0006s" << qint64(1);
}

void TestUnits::parseDurationAccepts() {
  QFETCH(QString, text);
  QFETCH(qint64, ms);
  QCOMPARE(parseDurationMs(text.toStdString(), "ttl"), ms);
}

void TestUnits::parseDurationRejects_data() {
  QTest::addColumn<QString>("text");
  QTest::newRow("empty") << "";
  QTest::newRow("negative") << "-5s";
  QTest::newRow("nan") << "nan";
  QTest::newRow("inf") << "infinity";
  QTest::newRow("unknown unit") << "5d";
  QTest::newRow("junk") << "soon";
  QTest::newRow("trailing junk") << "5s later";
  QTest::newRow("overflow") << "1e30h";
  QTest::newRow("int64 overflow") << "9223372036854775808ms";
  QTest::newRow("offf") << "offf";
}

void TestUnits::parseDurationRejects() {
  QFETCH(QString, text);
  try {
    parseDurationMs(text.toStdString(), "ttl");
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("ttl"));
  }
}

void TestUnits::parseCountAcceptsAndRejects_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<bool>("ok");
  QTest::addColumn<quint64>("value");
  QTest::newRow("one") << "1" << true << quint64(1);
  QTest::newRow("spaces") << " 42 " << true << quint64(42);
  QTest::newRow("max") << "18446744073709551615" << true << quint64(UINT64_MAX);
  QTest::newRow("zero is not positive") << "0" << false << quint64(0);
  QTest::newRow("overflow") << "18446744073709551616" << false << quint64(0);
  QTest::newRow("negative") << "-1" << false << quint64(0);
  QTest::newRow("plus") << "+1" << false << quint64(0);
  QTest::newRow("decimal") << "1.5" << false << quint64(0);
  QTest::newRow("exponent") << "1e3" << false << quint64(0);
  QTest::newRow("unit") << "10k" << false << quint64(0);
  QTest::newRow("separator") << "1_000" << false << quint64(0);
  QTest::newRow("empty") << "" << false << quint64(0);
}

void TestUnits::parseCountAcceptsAndRejects() {
  QFETCH(QString, text);
  QFETCH(bool, ok);
  QFETCH(quint64, value);
  if (ok) {
    QCOMPARE(parseCount(text.toStdString(), "requests"), value);
    return;
  }
  try {
    parseCount(text.toStdString(), "requests");
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("requests"));
  }
}

void TestUnits::lists() {
  QCOMPARE(parseSizeList("1GiB,2GiB, 512 MiB"),
           (std::vector<uint64_t>{1ull << 30, 2ull << 30, 512ull << 20}));
  QCOMPARE(parseSizeList("7"), std::vector<uint64_t>{7});
  QCOMPARE(parseCountList("1,2,3", "n"), (std::vector<uint64_t>{1, 2, 3}));
  QCOMPARE(parseCountList("0,5", "n", /*minValue=*/0), (std::vector<uint64_t>{0, 5}));
  const std::pair<const char*, const char*> bad[] = {{"1GiB,,2GiB", "sizes[1]"},
                                                     {"1GiB,", "sizes[1]"},
                                                     {"", "sizes"},
                                                     {"1GiB,x", "sizes[1]"},
                                                     {"-1,2", "sizes[0]"}};
  for (const auto& [text, field] : bad) {
    try {
      parseSizeList(text);
      QFAIL(text);
    } catch (const InputError& e) {
      QCOMPARE(QString::fromStdString(e.field), QString::fromLatin1(field));
    }
  }
  QVERIFY_THROWS_EXCEPTION(InputError, parseCountList("3,0", "n"));
}

void TestUnits::unlimited() {
  // "unlimited" and "inf", any case, with spaces: kUnlimited (2^64 - 1); everything else as before.
  for (const char* text : {"unlimited", "inf", "INF", " Unlimited "}) {
    QCOMPARE(parseSizeOrUnlimited(text), kUnlimited);
    QCOMPARE(parseCountOrUnlimited(text), kUnlimited);
  }
  QCOMPARE(parseSizeOrUnlimited("2GiB"), 2ull << 30);
  QCOMPARE(parseCountOrUnlimited("1000"), 1000ull);
  QCOMPARE(parseSizeOrUnlimitedList("1GiB,unlimited"), (std::vector<uint64_t>{1ull << 30, kUnlimited}));
  QCOMPARE(parseCountOrUnlimitedList("inf,5", "n", 0), (std::vector<uint64_t>{kUnlimited, 5}));
  // Plain parsers do not take the words; the count form keeps 2^64 - 1 for "unlimited".
  QVERIFY_THROWS_EXCEPTION(InputError, parseSize("unlimited"));
  QVERIFY_THROWS_EXCEPTION(InputError, parseCountOrUnlimited("18446744073709551615"));
  QCOMPARE(parseCountOrUnlimited("18446744073709551614"), kUnlimited - 1);
  try {
    parseSizeOrUnlimitedList("1GiB,infinite", "max-size");
    QFAIL("accepted 'infinite'");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("max-size[1]"));
  }
  // Saturating capacity arithmetic: an unbounded size stays unbounded.
  QCOMPARE(saturatingMul(kUnlimited, 512), kUnlimited);
  QCOMPARE(saturatingMul(1ull << 40, 1ull << 30), kUnlimited);
  QCOMPARE(saturatingMul(1000, 512), 512000ull);
  QCOMPARE(saturatingMul(kUnlimited, 0), 0ull);
  QCOMPARE(QString::fromStdString(formatCapacity(kUnlimited)), QStringLiteral("unlimited"));
  QCOMPARE(QString::fromStdString(formatCapacity(1024)), QStringLiteral("1.00 KiB"));
}

void TestUnits::formatBytes_data() {
  QTest::addColumn<quint64>("bytes");
  QTest::addColumn<QString>("text");
  QTest::newRow("0") << quint64(0) << "0 B";
  QTest::newRow("1023") << quint64(1023) << "1023 B";
  QTest::newRow("1KiB") << quint64(1024) << "1.00 KiB";
  QTest::newRow("1.5GiB") << quint64(3ull << 29) << "1.50 GiB";
  QTest::newRow("just under 1MiB") << quint64((1ull << 20) - 1) << "1.00 MiB";
  QTest::newRow("2TiB") << quint64(2ull << 40) << "2.00 TiB";
  QTest::newRow("max") << quint64(UINT64_MAX) << "16.00 EiB";
}

void TestUnits::formatBytes() {
  QFETCH(quint64, bytes);
  QFETCH(QString, text);
  QCOMPARE(QString::fromStdString(kvlab::formatBytes(bytes)), text);
}

void TestUnits::formatDuration_data() {
  QTest::addColumn<qint64>("ms");
  QTest::addColumn<QString>("text");
  QTest::newRow("0") << qint64(0) << "0 ms";
  QTest::newRow("250ms") << qint64(250) << "250 ms";
  QTest::newRow("1.5s") << qint64(1500) << "1.50 s";
  QTest::newRow("59.999s rounds up a unit") << qint64(59999) << "1.00 min";
  QTest::newRow("2.5min") << qint64(150000) << "2.50 min";
  QTest::newRow("3h") << qint64(3 * 3600000) << "3.00 h";
  QTest::newRow("negative") << qint64(-250) << "-250 ms";
  QTest::newRow("min int64") << std::numeric_limits<qint64>::min() << "-2562047788015.22 h";
}

void TestUnits::formatDuration() {
  QFETCH(qint64, ms);
  QFETCH(QString, text);
  QCOMPARE(QString::fromStdString(formatDurationMs(ms)), text);
}

void TestUnits::errorMessageFormat() {
  QCOMPARE(QString::fromUtf8(
               InputError("scenarios/rag.json", 0, "requests", "must be a positive integer, got -3").what()),
           QStringLiteral("scenarios/rag.json: field 'requests': must be a positive integer, got -3"));
  QCOMPARE(QString::fromUtf8(
               InputError("trace.jsonl", 17, "hash_ids", "expected an array of unsigned integers").what()),
           QStringLiteral("trace.jsonl:17: field 'hash_ids': expected an array of unsigned integers"));
  QCOMPARE(QString::fromUtf8(InputError("t.jsonl", 3, "", "invalid UTF-8").what()),
           QStringLiteral("t.jsonl:3: invalid UTF-8"));
  const InputError located = InputError("", 0, "ttl", "bad").withLocation("a.json", 0);
  QCOMPARE(QString::fromUtf8(located.what()), QStringLiteral("a.json: field 'ttl': bad"));
  QCOMPARE(QString::fromStdString(quoteForError(std::string_view("a\x01'b", 4))),
           QStringLiteral("'a\\x01\\x27b'"));
}

QTEST_GUILESS_MAIN(TestUnits)
#include "tst_units.moc"
