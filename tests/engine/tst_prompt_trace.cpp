// SPDX-License-Identifier: MIT
// The prompts reader (your own prompts: chat messages, prompt strings, token ids) against hand-worked
// fixtures in tests/data/prompts and against tools/trace_reference.py (plain Python, written from vLLM's
// block hashing apart from the C++) on a generated token-id file.
//
// Text fixtures use tests/data/prompts/byte_chatml_tokenizer.json, a hand-made byte-level BPE with no merges:
// every byte is one token (id = byte value) and <|im_start|> (256), <|im_end|> (257) are added tokens, so
// token counts are byte counts plus one per special token and can be worked out by hand. (It was written with a
// few lines of Python: GPT-2's byte-to-unicode alphabet as the vocabulary, no merges, ByteLevel without regex.)
#include <QTemporaryDir>
#include <QProcess>
#include <QtTest>

#include <fstream>

#include "core/trace/prompt_trace_reader.h"
#include "core/trace/trace.h"
#include "core/trace/trace_bounds.h"
#include "core/util/input_error.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {

std::string data(const char* name) { return std::string(KVLAB_TEST_DATA_DIR "/prompts/") + name; }

TraceOpenOptions promptOptions(std::uint32_t blockSize, bool withTokenizer = true, bool skip = false) {
  TraceOpenOptions o;
  o.skipBadLines = skip;
  o.prompts.blockSize = blockSize;
  if (withTokenizer) o.prompts.tokenizerPath = data("byte_chatml_tokenizer.json");
  return o;
}

using Keys = QList<QList<qulonglong>>;

Keys keysOf(const Trace& t) {
  Keys keys;
  for (const TraceRequest& r : t.requests) {
    QList<qulonglong> k;
    for (const std::uint64_t id : r.hashIds) k.append(id);
    keys.append(k);
  }
  return keys;
}

QList<int> lengthsOf(const Trace& t) {
  QList<int> lengths;
  for (const TraceRequest& r : t.requests) lengths.append(int(r.inputLength));
  return lengths;
}

}  // namespace

class TestPromptTrace : public QObject {
  Q_OBJECT
private slots:
  void handWorked_data();
  void handWorked();
  void arrivalsAndOutputs();
  void badInput_data();
  void badInput();
  void skipBadLines();
  void optionErrors();
  void matchesPython();
};

void TestPromptTrace::handWorked_data() {
  QTest::addColumn<QString>("file");
  QTest::addColumn<int>("blockSize");  // 0 = the default (16)
  QTest::addColumn<QList<int>>("inputLengths");
  QTest::addColumn<Keys>("keys");
  QTest::addColumn<qulonglong>("hitTokens");  // infinite cache, prefix semantics
  QTest::addColumn<QString>("chatTemplate");  // the detected one, "" for token ids

  // chat.jsonl, chatml (detected from <|im_start|>), one token per byte plus one per special token:
  //   R1 system "Be brief." user "Hi!":
  //      <|im_start|> "system\nBe brief." <|im_end|> "\n"  = 1+16+1+1 = 19
  //      <|im_start|> "user\nHi!" <|im_end|> "\n"          = 1+8+1+1  = 11   (30)
  //      <|im_start|> "assistant\n"                        = 1+10     = 11   (41)
  //   R2 the same conversation, then assistant "Hello." and user "Bye." (its "Hi!" as a text part):
  //      the first 30 tokens, then <|im_start|> "assistant\nHello." <|im_end|> "\n" = 1+16+1+1 = 19 (49) -
  //      whose first 11 tokens are R1's generation prompt, so R2 starts with all 41 of R1's tokens -,
  //      <|im_start|> "user\nBye." <|im_end|> "\n" = 1+9+1+1 = 12 (61), the generation prompt 11 (72)
  //   R3 system "Be kind." user "Hi!": 1+15+1+1 = 18, + 11 + 11 = 40; it shares R1's first 11 tokens
  //      (<|im_start|> "system\nBe ") and differs at token 11 ('k' vs 'b').
  // B = 16: R1 2 full blocks (32 of its 41 tokens; the 9 left get no key), R2 4 blocks of which the first 2
  //   lie inside the 41 shared tokens -> keys 0,1 again: 32 hit tokens; R3 2 blocks, block 0 (tokens 0-15)
  //   differs at token 11 -> new keys 4,5. Hits 32.
  QTest::newRow("chat, B=16") << "chat.jsonl" << 0 << QList<int>{41, 72, 40}
                              << Keys{{0, 1}, {0, 1, 2, 3}, {4, 5}} << 32ull << "chatml";
  // B = 8: R1 5 blocks (tokens 0-39); R2 shares all 5 (40 hit tokens), then 4 more (9 blocks of 72);
  //   R3's block 0 (tokens 0-7) lies within the 11 shared tokens: key 0 again (8), then 4 new. Hits 48.
  QTest::newRow("chat, B=8") << "chat.jsonl" << 8 << QList<int>{41, 72, 40}
                             << Keys{{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8}, {0, 9, 10, 11, 12}} << 48ull
                             << "chatml";
  // prompt_strings.jsonl, B = 4, no BOS (the tokenizer has no post-processor):
  //   "abcdefgh" 8 tokens: abcd efgh -> keys 0,1
  //   "abcdefgXY" 9: abcd (hit, 4) efgX (new key 2), "Y" no key
  //   "abcdefgh!" 9: abcd efgh (hits, 8), "!" no key. Hits 12.
  QTest::newRow("prompt strings, B=4") << "prompt_strings.jsonl" << 4 << QList<int>{8, 9, 9}
                                       << Keys{{0, 1}, {0, 2}, {0, 1}} << 12ull << "chatml";
  // token_ids.jsonl, B = 4:
  //   [1..9] 9 tokens: [1234][5678] -> keys 0,1; token 9 no key
  //   [1..8,10,11] 10: [1234][5678] hit (8), 10 11 no key
  //   [9999][1234] 8: [1234] after a different first block is a different prefix: new keys 2,3
  //   [1,2,3] 3: no full block, no key. Hits 8.
  QTest::newRow("token ids, B=4") << "token_ids.jsonl" << 4 << QList<int>{9, 10, 8, 3}
                                  << Keys{{0, 1}, {0, 1}, {2, 3}, {}} << 8ull << "";
}

void TestPromptTrace::handWorked() {
  QFETCH(QString, file);
  QFETCH(int, blockSize);
  QFETCH(QList<int>, inputLengths);
  QFETCH(Keys, keys);
  QFETCH(qulonglong, hitTokens);
  QFETCH(QString, chatTemplate);
  const std::string path = data(file.toUtf8().constData());
  QCOMPARE(QString::fromStdString(detectTraceFormat(path).name), QString("prompts"));
  const Trace t = loadTrace(path, promptOptions(std::uint32_t(blockSize), !chatTemplate.isEmpty()));
  QCOMPARE(t.info.format, std::string("prompts"));
  QCOMPARE(t.info.blockSize, std::uint32_t(blockSize ? blockSize : 16));
  QVERIFY(t.info.blockSizeDeclared);
  if (!chatTemplate.isEmpty())
    QVERIFY2(QString::fromStdString(t.info.tokenization).contains("chat template " + chatTemplate),
             t.info.tokenization.c_str());
  QCOMPARE(lengthsOf(t), inputLengths);
  QCOMPARE(keysOf(t), keys);
  QCOMPARE(qulonglong(computeBounds(t).prefixHitTokens), hitTokens);
}

void TestPromptTrace::arrivalsAndOutputs() {
  // token_ids.jsonl: timestamps 0.5 s and 1.25 s, then two lines without one (each 1 s after the previous);
  // max_tokens 5 on line 1, the default 256 elsewhere; line 5's model label.
  const Trace t = loadTrace(data("token_ids.jsonl"), promptOptions(4, false));
  QCOMPARE(t.requests.size(), std::size_t(4));
  const std::int64_t arrivals[] = {500, 1250, 2250, 3250};
  const std::uint32_t outputs[] = {5, 256, 256, 256};
  for (std::size_t i = 0; i < 4; ++i) {
    QCOMPARE(t.requests[i].timestampMs, arrivals[i]);
    QCOMPARE(t.requests[i].outputLength, outputs[i]);
  }
  QCOMPARE(t.info.models.name(t.requests[3].model), std::string("my-model"));
  QCOMPARE(t.requests[0].model, kNoLabel);
  // chat.jsonl: no timestamp, no timestamp, 5 s; max_tokens 7; prompt_strings.jsonl: max_completion_tokens 3.
  const Trace chat = loadTrace(data("chat.jsonl"), promptOptions(0));
  QCOMPARE(chat.requests[0].timestampMs, std::int64_t(0));
  QCOMPARE(chat.requests[1].timestampMs, std::int64_t(1000));
  QCOMPARE(chat.requests[2].timestampMs, std::int64_t(5000));
  QCOMPARE(chat.requests[0].outputLength, 7u);
  QCOMPARE(loadTrace(data("prompt_strings.jsonl"), promptOptions(4)).requests[1].outputLength, 3u);
}

void TestPromptTrace::badInput_data() {
  QTest::addColumn<QString>("lines");  // the file; the bad line is the last one
  QTest::addColumn<bool>("tokenizer");
  QTest::addColumn<QString>("field");
  QTest::addColumn<QString>("says");  // part of the message
  const QString good = R"({"prompt_token_ids": [1, 2, 3]})" "\n";
  QTest::newRow("content of the third message") << good + R"({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": 5}]})"
                                                << true << "messages[2].content" << "must be a string";
  QTest::newRow("missing content") << good + R"({"messages": [{"role": "user"}]})" << true << "messages[0].content"
                                   << "missing";
  QTest::newRow("missing role") << good + R"({"messages": [{"content": "x"}]})" << true << "messages[0].role"
                                << "missing";
  QTest::newRow("messages not an array") << good + R"({"messages": "hi"})" << true << "messages" << "array";
  QTest::newRow("image part") << good + R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})"
                              << true << "messages[0].content[0].type" << "text parts";
  QTest::newRow("negative token id") << good + R"({"prompt_token_ids": [1, -2, 3]})" << false
                                     << "prompt_token_ids[1]" << "token id";
  QTest::newRow("token ids not an array") << good + R"({"prompt_token_ids": "1 2 3"})" << false
                                          << "prompt_token_ids" << "array";
  QTest::newRow("prompt not a string") << good + R"({"prompt": 12})" << true << "prompt" << "string";
  QTest::newRow("text without a tokenizer") << good + R"({"prompt": "hello"})" << false << "prompt"
                                            << "--tokenizer";
  QTest::newRow("two prompts") << good + R"({"prompt": "a", "prompt_token_ids": [1]})" << true
                               << "prompt_token_ids" << "one of";
  QTest::newRow("no prompt") << good + R"({"max_tokens": 3})" << false << "" << "none of";
  QTest::newRow("timestamp text") << good + R"({"prompt_token_ids": [1], "timestamp": "soon"})" << false
                                  << "timestamp" << "seconds";
  QTest::newRow("timestamp backwards") << R"({"prompt_token_ids": [1], "timestamp": 9})" "\n"
                                          R"({"prompt_token_ids": [1], "timestamp": 2})"
                                       << false << "timestamp" << "earlier";
  QTest::newRow("max_tokens negative") << good + R"({"prompt_token_ids": [1], "max_tokens": -3})" << false
                                       << "max_tokens" << "non-negative";
  QTest::newRow("model not a string") << good + R"({"prompt_token_ids": [1], "model": 3})" << false << "model"
                                      << "string";
  QTest::newRow("broken JSON") << good + R"({"prompt_token_ids": [1, 2)" << false << "" << "invalid JSON";
}

void TestPromptTrace::badInput() {
  QFETCH(QString, lines);
  QFETCH(bool, tokenizer);
  QFETCH(QString, field);
  QFETCH(QString, says);
  QTemporaryDir dir;
  const std::string path = dir.filePath("bad.jsonl").toStdString();
  std::ofstream(path) << lines.toStdString() << "\n";
  TraceOpenOptions options = promptOptions(4, tokenizer);
  options.format = "prompts";
  try {
    (void)loadTrace(path, options);
    QFAIL("no InputError");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.file), QString::fromStdString(path));
    QCOMPARE(e.line, std::int64_t(lines.count('\n') + 1));
    QCOMPARE(QString::fromStdString(e.field), field);
    QVERIFY2(QString::fromStdString(e.message).contains(says), e.what());
  }
}

void TestPromptTrace::skipBadLines() {
  // Lines 2 and 4 are bad; --skip-bad-lines keeps 1 and 3 and counts 2.
  QTemporaryDir dir;
  const std::string path = dir.filePath("some-bad.jsonl").toStdString();
  std::ofstream(path) << R"({"prompt_token_ids": [1, 2, 3, 4]})" "\n"
                      << R"({"prompt_token_ids": [1, -2]})" "\n"
                      << R"({"prompt_token_ids": [1, 2, 3, 4, 5]})" "\n"
                      << R"({"prompt": "needs a tokenizer"})" "\n";
  const Trace t = loadTrace(path, promptOptions(4, false, /*skip=*/true));
  QCOMPARE(t.requests.size(), std::size_t(2));
  QCOMPARE(t.skippedLines, std::uint64_t(2));
  QCOMPARE(t.skipReasons.size(), std::size_t(2));
  QVERIFY2(QString::fromStdString(t.skipReasons[0]).contains(":2: field 'prompt_token_ids[1]'"),
           t.skipReasons[0].c_str());
  QCOMPARE(keysOf(t), (Keys{{0}, {0}}));
}

void TestPromptTrace::optionErrors() {
  TraceOpenOptions options = promptOptions(4);
  options.prompts.chatTemplate = "vicuna";
  try {
    (void)loadTrace(data("chat.jsonl"), options);
    QFAIL("no InputError");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QString("chat-template"));
  }
  // A named template is used as named: raw = the contents concatenated ("Be brief." "Hi!" = 12 tokens).
  options.prompts.chatTemplate = "raw";
  const Trace raw = loadTrace(data("chat.jsonl"), options);
  QCOMPARE(raw.requests[0].inputLength, 12u);
  QVERIFY(QString::fromStdString(raw.info.tokenization).contains("chat template raw"));
  // A tokenizer file that is not there names the file.
  options.prompts.tokenizerPath = data("no-such-tokenizer.json");
  QVERIFY_THROWS_EXCEPTION(InputError, (void)loadTrace(data("chat.jsonl"), options));
}

void TestPromptTrace::matchesPython() {
  // 300 requests of token ids drawn from 5 shared "system prompts" (lengths 0-70 tokens, so block boundaries
  // fall inside and outside them), then a random tail; some repeat an earlier request's prompt and extend
  // it, as a conversation does. Python cuts and chains the blocks itself.
  const QString python = kvlab::test::findPython3();
  KVLAB_REQUIRE_PYTHON3(python);
  QTemporaryDir dir;
  const std::string path = dir.filePath("generated.jsonl").toStdString();
  {
    std::ofstream out(path);
    std::uint64_t state = 12345;
    const auto next = [&](std::uint64_t n) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return (state >> 33) % n;
    };
    std::vector<std::vector<int>> systems(5), earlier;
    for (std::size_t s = 0; s < systems.size(); ++s)
      for (std::uint64_t i = 0, n = s * 17 + 3; i < n; ++i) systems[s].push_back(int(next(50000)));
    for (int r = 0; r < 300; ++r) {
      std::vector<int> tokens = earlier.empty() || next(3) ? systems[next(5)] : earlier[next(earlier.size())];
      for (std::uint64_t i = 0, n = next(60); i < n; ++i) tokens.push_back(int(next(50000)));
      earlier.push_back(tokens);
      out << R"({"prompt_token_ids": [)";
      for (std::size_t i = 0; i < tokens.size(); ++i) out << (i ? "," : "") << tokens[i];
      out << "]";
      if (r % 7) out << R"(, "timestamp": )" << r * 1.5;  // a line without one: 1 s after the previous
      if (r % 3 == 0) out << R"(, "max_tokens": )" << r;
      out << "}\n";
    }
  }
  for (const int blockSize : {16, 5}) {
    QProcess process;
    process.start(python, {QStringLiteral(KVLAB_TOOLS_DIR "/trace_reference.py"), QString::fromStdString(path),
                           "--format", "prompts", "--block-size", QString::number(blockSize)});
    QVERIFY(process.waitForFinished(60000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    const QJsonObject ref = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    const Trace t = loadTrace(path, promptOptions(std::uint32_t(blockSize), false));
    const TraceBounds b = computeBounds(t);
    QCOMPARE(qint64(b.requests), ref["requests"].toInteger());
    QCOMPARE(qint64(b.promptTokens), ref["prompt_tokens"].toInteger());
    QCOMPARE(qint64(b.outputTokens), ref["output_tokens"].toInteger());
    QCOMPARE(qint64(b.blocks), ref["blocks"].toInteger());
    qint64 timestampSum = 0;
    for (const TraceRequest& r : t.requests) timestampSum += r.timestampMs;
    QCOMPARE(timestampSum, ref["timestamp_sum_ms"].toInteger());
    QVERIFY(b.prefixHitTokens > 0);
    QCOMPARE(qint64(b.prefixHitTokens), ref["prefix_hit_tokens"].toInteger());
  }
}

KVLAB_TEST_GUILESS_MAIN(TestPromptTrace)
#include "tst_prompt_trace.moc"
