// SPDX-License-Identifier: MIT
#include <QTest>
#include <stdexcept>

#include "core/model/byte_tokenizer.h"

using kvlab::ByteTokenizer;

class TestByteTokenizer : public QObject {
  Q_OBJECT

private slots:
  void roundTrip_data();
  void roundTrip();
  void idsAreBytes();
  void decodeRejectsOutOfRange();
};

void TestByteTokenizer::roundTrip_data() {
  QTest::addColumn<QByteArray>("text");
  QTest::newRow("empty") << QByteArray();
  QTest::newRow("ascii") << QByteArray("KV cache lab");
  QTest::newRow("utf8 multibyte") << QString::fromUtf8("h\u00e9llo \u2713 \U0001F600").toUtf8();
  QTest::newRow("nul and 0xff") << QByteArray("a\0b\xff", 4);
}

void TestByteTokenizer::roundTrip() {
  QFETCH(QByteArray, text);
  const std::string_view view(text.constData(), size_t(text.size()));
  const std::vector<int32_t> ids = ByteTokenizer::encode(view);
  QCOMPARE(qsizetype(ids.size()), text.size());  // one token per byte
  QCOMPARE(ByteTokenizer::decode(ids), std::string(view));
}

void TestByteTokenizer::idsAreBytes() {
  const std::vector<int32_t> ids = ByteTokenizer::encode("A\xc3\xa9");
  QCOMPARE(ids, (std::vector<int32_t>{65, 0xc3, 0xa9}));
}

void TestByteTokenizer::decodeRejectsOutOfRange() {
  const std::vector<int32_t> bad{65, 256};
  QVERIFY_THROWS_EXCEPTION(std::out_of_range, ByteTokenizer::decode(bad));
  const std::vector<int32_t> negative{-1};
  QVERIFY_THROWS_EXCEPTION(std::out_of_range, ByteTokenizer::decode(negative));
}

QTEST_GUILESS_MAIN(TestByteTokenizer)
#include "tst_byte_tokenizer.moc"
