// SPDX-License-Identifier: MIT
// Each tokenizer stage alone, on cases worked out by hand (the working is in the comments), then a tiny
// hand-written tokenizer.json through the whole pipeline, and the structures the loader must refuse.
#include <QtTest>

#include "core/tokenizer/added_tokens.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/byte_level_alphabet.h"
#include "core/tokenizer/byte_level_pre_tokenizer.h"
#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/split_pre_tokenizer.h"
#include "core/tokenizer/tokenizer_json.h"
#include "core/tokenizer/unicode_normalizer.h"
#include "core/util/input_error.h"

using namespace kvlab;

namespace {

using Behavior = SplitPreTokenizer::Behavior;

QStringList splitWith(const PreTokenizer& stage, const std::string& text) {
  PieceArena arena;
  std::vector<std::string_view> pieces{text};
  stage.split(pieces, arena);
  QStringList out;
  for (const std::string_view p : pieces) out << QString::fromUtf8(p.data(), qsizetype(p.size()));
  return out;
}

// Llama 3's pre-tokenizer regex, as its tokenizer.json declares it.
const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// A byte-level tokenizer.json small enough to check on paper: the bytes a b c and space (written 'Ġ',
// U+0120), three merges, one special added token <s> and a template that puts it first.
const char* const kTinyJson = R"({
  "version": "1.0",
  "added_tokens": [{"id": 10, "content": "<s>", "special": true, "lstrip": false, "rstrip": false,
                    "single_word": false, "normalized": false}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
  "post_processor": {"type": "TemplateProcessing",
                     "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                     "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [10], "tokens": ["<s>"]}}},
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "dropout": null, "unk_token": null, "byte_fallback": false, "ignore_merges": false,
            "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "Ġa": 5, "abc": 6},
            "merges": ["a b", "Ġ a", ["ab", "c"]]}
})";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) qFatal("fixture text not found: %s", from.c_str());
  return text.replace(at, from.size(), to);
}

}  // namespace

class TestTokenizerStages : public QObject {
  Q_OBJECT
private slots:
  void byteLevelAlphabet_data();
  void byteLevelAlphabet();
  void splitBehaviors_data();
  void splitBehaviors();
  void llama3Regex();
  void byteLevelPreTokenizer();
  void normalizer_data();
  void normalizer();
  void bpeMerges_data();
  void bpeMerges();
  void bpeRefusesMissingParts();
  void addedTokensLeftmostLongest();
  void tinyPipeline();
  void refusals_data();
  void refusals();
  void chatTemplates();
};

void TestTokenizerStages::byteLevelAlphabet_data() {
  QTest::addColumn<int>("byte");
  QTest::addColumn<uint>("codePoint");
  // Printable bytes stand for themselves; the rest, in byte order, take U+0100 on: 0x00..0x20 -> U+0100..U+0120
  // (33 bytes, so space 0x20 = U+0120 'Ġ', newline 0x0A = U+010A 'Ċ'), 0x7F -> U+0121, 0x80..0xA0 -> U+0122..
  // U+0142, 0xAD (soft hyphen) -> U+0143.
  QTest::newRow("NUL") << 0x00 << 0x100u;
  QTest::newRow("newline") << 0x0a << 0x10au;
  QTest::newRow("space") << 0x20 << 0x120u;
  QTest::newRow("'!'") << 0x21 << 0x21u;
  QTest::newRow("'A'") << 0x41 << 0x41u;
  QTest::newRow("DEL") << 0x7f << 0x121u;
  QTest::newRow("0x80") << 0x80 << 0x122u;
  QTest::newRow("0xA0") << 0xa0 << 0x142u;
  QTest::newRow("0xA1") << 0xa1 << 0xa1u;
  QTest::newRow("0xAD") << 0xad << 0x143u;
  QTest::newRow("0xFF") << 0xff << 0xffu;
}

void TestTokenizerStages::byteLevelAlphabet() {
  QFETCH(int, byte);
  QFETCH(uint, codePoint);
  QCOMPARE(uint(ByteLevelAlphabet::codePoint(std::uint8_t(byte))), codePoint);
  QCOMPARE(int(ByteLevelAlphabet::byteOf(char32_t(codePoint)).value()), byte);
  const std::string raw(1, char(byte));
  QCOMPARE(ByteLevelAlphabet::toBytes(ByteLevelAlphabet::fromBytes(raw)).value(), raw);
}

void TestTokenizerStages::splitBehaviors_data() {
  QTest::addColumn<int>("behavior");
  QTest::addColumn<bool>("invert");
  QTest::addColumn<QStringList>("pieces");
  // Hugging Face tokenizers' documented example: "the-final--countdown" split on "-".
  QTest::newRow("Removed") << int(Behavior::Removed) << false << QStringList{"the", "final", "countdown"};
  QTest::newRow("Isolated") << int(Behavior::Isolated) << false
                            << QStringList{"the", "-", "final", "-", "-", "countdown"};
  QTest::newRow("MergedWithPrevious") << int(Behavior::MergedWithPrevious) << false
                                      << QStringList{"the-", "final-", "-", "countdown"};
  QTest::newRow("MergedWithNext") << int(Behavior::MergedWithNext) << false
                                  << QStringList{"the", "-final", "-", "-countdown"};
  QTest::newRow("Contiguous") << int(Behavior::Contiguous) << false
                              << QStringList{"the", "-", "final", "--", "countdown"};
  // invert: the words are the delimiters now; Removed keeps what lies between them.
  QTest::newRow("Removed, inverted") << int(Behavior::Removed) << true << QStringList{"-", "--"};
}

void TestTokenizerStages::splitBehaviors() {
  QFETCH(int, behavior);
  QFETCH(bool, invert);
  QFETCH(QStringList, pieces);
  const SplitPreTokenizer split("-", SplitPreTokenizer::PatternKind::Literal, Behavior(behavior), invert);
  QCOMPARE(splitWith(split, "the-final--countdown"), pieces);
}

void TestTokenizerStages::llama3Regex() {
  // "Hello  world's 1234\n\n", alternatives tried in order at each position:
  //   0  "Hello"   [^\r\n\p{L}\p{N}]?\p{L}+
  //   5  " "       \s+(?!\S): "  " fails the look-ahead before 'w', backtracks to one space
  //   6  " world"  a non-letter then letters
  //  12  "'s"      the contraction
  //  14  " "       no alternative before \s+ fits " 1"
  //  15  "123" "4" \p{N}{1,3}
  //  19  "\n\n"    \s*[\r\n]+
  const SplitPreTokenizer split(kLlama3Pattern, SplitPreTokenizer::PatternKind::Regex, Behavior::Isolated, false);
  QCOMPARE(splitWith(split, "Hello  world's 1234\n\n"),
           (QStringList{"Hello", " ", " world", "'s", " ", "123", "4", "\n\n"}));
  // Unicode classes: a CJK run is \p{L}+; the combining acute (\p{M}) is neither letter nor digit.
  QCOMPARE(splitWith(split, "你好 e\xcc\x81!"), (QStringList{"你好", " e", "\xcc\x81!"}));
}

void TestTokenizerStages::byteLevelPreTokenizer() {
  // GPT-2's regex: " ?\p{L}+" keeps the space with the word; add_prefix_space gives the first word one too.
  const ByteLevelPreTokenizer plain(/*addPrefixSpace=*/false, /*useRegex=*/true);
  QCOMPARE(splitWith(plain, "Hi there, 42"), (QStringList{"Hi", " there", ",", " 42"}));
  const ByteLevelPreTokenizer prefixed(/*addPrefixSpace=*/true, /*useRegex=*/true);
  QCOMPARE(splitWith(prefixed, "Hi there"), (QStringList{" Hi", " there"}));
  const ByteLevelPreTokenizer identity(/*addPrefixSpace=*/false, /*useRegex=*/false);
  QCOMPARE(splitWith(identity, "Hi there"), (QStringList{"Hi there"}));
}

void TestTokenizerStages::normalizer_data() {
  QTest::addColumn<int>("form");
  QTest::addColumn<QByteArray>("input");
  QTest::addColumn<QByteArray>("output");
  // e + U+0301 COMBINING ACUTE composes to U+00E9 (NFC) and U+00E9 decomposes back (NFD); U+FB01 LATIN SMALL
  // LIGATURE FI is only compatibility-equivalent to "fi" (NFKC changes it, NFC does not).
  QTest::newRow("NFC composes") << int(UnicodeNormalizer::Form::Nfc) << QByteArray("cafe\xcc\x81")
                                << QByteArray("caf\xc3\xa9");
  QTest::newRow("NFD decomposes") << int(UnicodeNormalizer::Form::Nfd) << QByteArray("caf\xc3\xa9")
                                  << QByteArray("cafe\xcc\x81");
  QTest::newRow("NFC keeps the ligature") << int(UnicodeNormalizer::Form::Nfc) << QByteArray("\xef\xac\x81")
                                          << QByteArray("\xef\xac\x81");
  QTest::newRow("NFKC expands it") << int(UnicodeNormalizer::Form::Nfkc) << QByteArray("\xef\xac\x81")
                                   << QByteArray("fi");
  // NFC normalizes only the stretches that can change (unicode_normalizer.cpp): each composition below must
  // still happen with the stable character before it: e + U+0301 -> U+00E9; HIRAGANA KA U+304B + U+3099
  // (voiced mark) -> GA U+304C; HANGUL GA U+AC00 + U+11A8 (final kiyeok) -> GAG U+AC01; x + U+0301 U+0302 has no
  // precomposed form (both marks class 230: order kept).
  QTest::newRow("NFC around stable text")
      << int(UnicodeNormalizer::Form::Nfc)
      << QByteArray("e\xcc\x81 \xe3\x81\x8b\xe3\x82\x99 \xea\xb0\x80\xe1\x86\xa8 x\xcc\x81\xcc\x82 \xe6\x97\xa5")
      << QByteArray("\xc3\xa9 \xe3\x81\x8c \xea\xb0\x81 x\xcc\x81\xcc\x82 \xe6\x97\xa5");
  QTest::newRow("ASCII unchanged") << int(UnicodeNormalizer::Form::Nfkd) << QByteArray("plain ASCII")
                                   << QByteArray("plain ASCII");
}

void TestTokenizerStages::normalizer() {
  QFETCH(int, form);
  QFETCH(QByteArray, input);
  QFETCH(QByteArray, output);
  const UnicodeNormalizer n{UnicodeNormalizer::Form(form)};
  QCOMPARE(QByteArray::fromStdString(n.normalize(input.toStdString())), output);
}

void TestTokenizerStages::bpeMerges_data() {
  QTest::addColumn<QString>("word");
  QTest::addColumn<bool>("ignoreMerges");
  QTest::addColumn<QList<int>>("ids");
  // vocab a=0 b=1 c=2 ab=3 bc=4 abc=5 aa=6 ca=7; merges by rank: 0 "a b", 1 "b c", 2 "ab c", 3 "a a".
  // "abc": pairs (a,b) rank 0, (b,c) rank 1 -> ab; then (ab,c) rank 2 -> abc.
  QTest::newRow("abc") << "abc" << false << QList<int>{5};
  // "bcab": (b,c) 1, (c,a) -, (a,b) 0 -> b c ab; then (b,c) 1 -> bc ab; (bc,ab) has no merge.
  QTest::newRow("bcab") << "bcab" << false << QList<int>{4, 3};
  // "aaa": (a,a) rank 3 at 0 and at 1; the leftmost goes first -> aa a.
  QTest::newRow("aaa leftmost") << "aaa" << false << QList<int>{6, 0};
  // "ca": in the vocabulary but no merge makes it: c a; with ignore_merges the whole piece is one token.
  QTest::newRow("ca by merges") << "ca" << false << QList<int>{2, 0};
  QTest::newRow("ca ignore_merges") << "ca" << true << QList<int>{7};
  QTest::newRow("one byte") << "b" << false << QList<int>{1};
}

void TestTokenizerStages::bpeMerges() {
  QFETCH(QString, word);
  QFETCH(bool, ignoreMerges);
  QFETCH(QList<int>, ids);
  const BpeModel model({{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}, {"aa", 6}, {"ca", 7}},
                       {{"a", "b"}, {"b", "c"}, {"ab", "c"}, {"a", "a"}}, BpeModel::Options{ignoreMerges});
  std::vector<std::int32_t> out;
  model.encodePiece(word.toStdString(), out);
  model.encodePiece(word.toStdString(), out);  // the second time from the cache
  QList<int> expected = ids;
  expected += ids;
  QCOMPARE(QList<int>(out.begin(), out.end()), expected);
}

void TestTokenizerStages::bpeRefusesMissingParts() {
  try {
    const BpeModel model({{"a", 0}, {"b", 1}}, {{"a", "b"}}, {});
    QFAIL("a merge whose result is not in the vocabulary was accepted");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("model.merges[0]"));
  }
}

void TestTokenizerStages::addedTokensLeftmostLongest() {
  const AddedTokens tokens({{"<x>", 1, true, false, false}, {"<x>y", 2, false, false, false},
                            {"z", 3, false, /*lstrip=*/true, /*rstrip=*/true}});
  // At position 2 both "<x>" and "<x>y" start: the longer wins.
  auto m = tokens.find("ab<x>yc", 0);
  QVERIFY(m);
  QCOMPARE(m->begin, 2u);
  QCOMPARE(m->end, 6u);
  QCOMPARE(m->token->id, 2);
  // lstrip / rstrip take the spaces around "z" into the match (but never before `from`).
  m = tokens.find("a  z  b", 0);
  QVERIFY(m);
  QCOMPARE(m->begin, 1u);
  QCOMPARE(m->end, 6u);
  m = tokens.find("a  z  b", 2);
  QCOMPARE(m->begin, 2u);
  QVERIFY(!tokens.find("<y>", 0));
}

void TestTokenizerStages::tinyPipeline() {
  const std::unique_ptr<HfTokenizer> t = parseHfTokenizer(kTinyJson, "tiny.json");
  QCOMPARE(t->vocabSize(), 11);
  // "ab a<s>ba": <s> is found first, leaving "ab a" and "ba". GPT-2's regex cuts "ab a" into "ab" and " a";
  // "ab" merges (rank 0) to 4; " a" = Ġ a merges (rank 1) to 5; "ba": (b,a) has no merge: 1 0.
  const std::vector<std::int32_t> ids = t->encode("ab a<s>ba");
  QCOMPARE(QList<int>(ids.begin(), ids.end()), (QList<int>{4, 5, 10, 1, 0}));
  // The template puts <s> first when special tokens are asked for.
  const std::vector<std::int32_t> withBos = t->encode("abc", /*addSpecialTokens=*/true);
  QCOMPARE(QList<int>(withBos.begin(), withBos.end()), (QList<int>{10, 6}));
  QCOMPARE(t->decode(ids), std::string("ab a<s>ba"));
  QCOMPARE(t->decode(ids, /*skipSpecialTokens=*/true), std::string("ab aba"));
  QCOMPARE(t->tokenText(5), std::string(" a"));
  QVERIFY(t->isSpecial(10));
  QVERIFY_THROWS_EXCEPTION(std::out_of_range, t->decode(std::vector<std::int32_t>{7}));
  // Invalid UTF-8 (a lone continuation byte at offset 2) is refused, naming the offset.
  try {
    t->encode("ab\x80");
    QFAIL("invalid UTF-8 was accepted");
  } catch (const InputError& e) {
    QVERIFY2(e.message.find("byte 2") != std::string::npos, e.what());
  }
}

void TestTokenizerStages::refusals_data() {
  QTest::addColumn<QString>("from");
  QTest::addColumn<QString>("to");
  QTest::addColumn<QString>("field");
  QTest::newRow("Unigram model") << R"("type": "BPE")" << R"("type": "Unigram")" << "model.type";
  QTest::newRow("byte_fallback") << R"("byte_fallback": false)" << R"("byte_fallback": true)"
                                 << "model.byte_fallback";
  QTest::newRow("dropout") << R"("dropout": null)" << R"("dropout": 0.1)" << "model.dropout";
  QTest::newRow("Lowercase normalizer") << R"("normalizer": null)" << R"("normalizer": {"type": "Lowercase"})"
                                        << "normalizer.type";
  QTest::newRow("Whitespace pre-tokenizer")
      << R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})"
      << R"({"type": "Whitespace"})" << "pre_tokenizer.type";
  QTest::newRow("no ByteLevel stage")
      << R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})"
      << R"({"type": "Split", "pattern": {"String": " "}, "behavior": "Isolated", "invert": false})"
      << "pre_tokenizer";
  QTest::newRow("bad regex")
      << R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})"
      << R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"}, {"type": "ByteLevel"}]})"
      << "pre_tokenizer.pretokenizers[0].pattern.Regex";
  QTest::newRow("WordPiece decoder") << R"("decoder": {"type": "ByteLevel"})" << R"("decoder": {"type": "WordPiece"})"
                                     << "decoder.type";
  QTest::newRow("single_word") << R"("single_word": false)" << R"("single_word": true)"
                               << "added_tokens[0].single_word";
  QTest::newRow("merge out of vocab") << R"("merges": ["a b")" << R"("merges": ["a x")" << "model.merges[0]";
  QTest::newRow("not JSON") << R"("version": "1.0",)" << R"("version": "1.0")" << "";
}

void TestTokenizerStages::refusals() {
  QFETCH(QString, from);
  QFETCH(QString, to);
  QFETCH(QString, field);
  const std::string json = replaced(kTinyJson, from.toStdString(), to.toStdString());
  try {
    parseHfTokenizer(json, "tiny.json");
    QFAIL("an unsupported tokenizer.json was accepted");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.file), QStringLiteral("tiny.json"));
    QCOMPARE(QString::fromStdString(e.field), field);
  }
  QVERIFY_THROWS_EXCEPTION(InputError, loadHfTokenizer("/nonexistent/tokenizer.json"));
}

void TestTokenizerStages::chatTemplates() {
  const std::vector<ChatMessage> messages{{"system", " Be brief. "}, {"user", "Hi"}};
  // Written out from the two templates (docs/tokenizer.md); llama-3 trims each content.
  QCOMPARE(ChatTemplate::render(ChatTemplate::Kind::Llama3, messages),
           std::string("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                       "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                       "<|start_header_id|>assistant<|end_header_id|>\n\n"));
  QCOMPARE(ChatTemplate::render(ChatTemplate::Kind::ChatMl, messages),
           std::string("<|im_start|>system\n Be brief. <|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                       "<|im_start|>assistant\n"));
  QCOMPARE(ChatTemplate::render(ChatTemplate::Kind::Raw, messages), std::string(" Be brief. Hi"));
  QCOMPARE(ChatTemplate::fromName("chatml"), std::optional(ChatTemplate::Kind::ChatMl));
  QVERIFY(!ChatTemplate::fromName("jinja"));
  // The tiny tokenizer has neither family's header tokens.
  QCOMPARE(ChatTemplate::detect(*parseHfTokenizer(kTinyJson, "tiny.json")), ChatTemplate::Kind::Raw);
}

QTEST_GUILESS_MAIN(TestTokenizerStages)
#include "tst_tokenizer_stages.moc"
