// SPDX-License-Identifier: MIT
// A live scenario run with a real tokenizer.json (RunSettings::tokenizerPath): the prompts are counted in its
// tokens, segment by segment, the cache still gives the uncached logits, and the records carry the text and
// where each token ends.
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "core/runner/run_recorder.h"
#include "core/runner/scenario_runner.h"
#include "core/tokenizer/byte_level_alphabet.h"
#include "core/util/input_error.h"
#include "core/workload/scenario.h"

using namespace kvlab;

namespace {

// Every byte is its own token (id = byte value) and one merge, "e r" -> id 256. GPT-2's pre-tokenizer regex
// never cuts between two letters and 'e' != 'r' (no overlaps), so each "er" in a segment is one token fewer.
std::string oneMergeTokenizerJson() {
  std::string vocab;
  for (int b = 0; b < 256; ++b) {
    std::string entry = ByteLevelAlphabet::fromBytes(std::string(1, char(b)));
    if (entry == "\"" || entry == "\\") entry = "\\" + entry;
    vocab += "\"" + entry + "\": " + std::to_string(b) + ", ";
  }
  vocab += "\"er\": 256";
  return R"({"added_tokens": [], "normalizer": null,
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
             "post_processor": null, "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "vocab": {)" +
         vocab + R"(}, "merges": ["e r"]}})";
}

// Expected prompt tokens, counted apart from the tokenizer: each segment's bytes minus its "er" pairs.
std::uint32_t expectedTokens(const ScenarioRequest& r) {
  std::uint32_t tokens = 0, start = 0;
  std::vector<std::uint32_t> ends = r.boundaries;
  if (ends.empty() || ends.back() != r.text.size()) ends.push_back(std::uint32_t(r.text.size()));
  for (const std::uint32_t end : ends) {
    const std::string segment = r.text.substr(start, end - start);
    std::uint32_t pairs = 0;
    for (std::size_t i = 0; i + 1 < segment.size(); ++i) pairs += segment[i] == 'e' && segment[i + 1] == 'r';
    tokens += std::uint32_t(segment.size()) - pairs;
    start = end;
  }
  return tokens;
}

// Keeps what RunRecorder drops to stay small: each record's text and token ends.
class TextKeepingRecorder final : public RunRecorder {
public:
  void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) override {
    full.push_back(record);
    RunRecorder::onRequestDone(record, cache);
  }
  std::vector<RequestRecord> full;
};

}  // namespace

class TestLiveTokenizer : public QObject {
  Q_OBJECT
private slots:
  void runCountsRealTokens();
  void promptGranularityRefused();

private:
  QTemporaryDir m_dir;
  std::string tokenizerPath() {
    const std::string path = m_dir.filePath("tokenizer.json").toStdString();
    std::ofstream(path) << oneMergeTokenizerJson();
    return path;
  }
};

void TestLiveTokenizer::runCountsRealTokens() {
  RunSettings settings;
  settings.scenario = KVLAB_TEST_DATA_DIR "/tiny-chat.json";
  settings.scenarioDir = KVLAB_SCENARIO_DIR;
  settings.model = "small";
  settings.granularity = Granularity::Block;
  settings.blockSize = 4;
  settings.tokenizerPath = tokenizerPath();
  ScenarioRunner runner;
  TextKeepingRecorder recorder;
  const RunSummary summary = runner.run(settings, recorder);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  QCOMPARE(recorder.info().tokenizer, settings.tokenizerPath);
  const std::vector<ScenarioRequest> requests = generateRequests(loadScenarioFile(settings.scenario));
  QCOMPARE(recorder.full.size(), requests.size());
  std::uint64_t hits = 0, merged = 0;
  for (const RequestRecord& r : recorder.full) {
    const ScenarioRequest& request = requests[std::size_t(r.index)];
    QCOMPARE(r.promptTokens, expectedTokens(request));
    merged += request.text.size() - r.promptTokens;
    QCOMPARE(QString::fromStdString(r.text), QString::fromStdString(request.text));  // tokens decode to the prompt
    QCOMPARE(r.tokenEnds.size(), std::size_t(r.promptTokens));
    QCOMPARE(std::size_t(r.tokenEnds.back()), r.text.size());
    QCOMPARE(r.hitTokens % 4, 0u);  // whole blocks
    QVERIFY(r.maxAbsLogitDiff >= 0 && r.maxAbsLogitDiff < 1e-4);
    hits += r.hitTokens;
  }
  QVERIFY(merged > 0);  // the merge happened: fewer tokens than bytes
  QVERIFY(hits > 0);    // and later turns reused earlier ones' tokens
}

void TestLiveTokenizer::promptGranularityRefused() {
  RunSettings settings;
  settings.scenario = KVLAB_TEST_DATA_DIR "/tiny-chat.json";
  settings.scenarioDir = KVLAB_SCENARIO_DIR;
  settings.model = "small";
  settings.granularity = Granularity::Prompt;
  settings.tokenizerPath = tokenizerPath();
  ScenarioRunner runner;
  RunRecorder recorder;
  try {
    runner.run(settings, recorder);
    QFAIL("prompt granularity ran with a real tokenizer");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("tokenizer"));
  }
}

QTEST_GUILESS_MAIN(TestLiveTokenizer)
#include "tst_live_tokenizer.moc"
