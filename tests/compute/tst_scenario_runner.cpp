// SPDX-License-Identifier: MIT
// The runner end to end on the small model: real cached-prefix prefill for every granularity, live
// controls, cancel, simulate mode, and settings refused before anything starts.
#include <ATen/ATen.h>

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/hardware/hardware_profile.h"
#include "core/hardware/prefill_cost.h"
#include "core/model/byte_tokenizer.h"
#include "core/model/llama_model.h"
#include "core/runner/prefix_verifier.h"
#include "core/runner/run_recorder.h"
#include "core/runner/scenario_runner.h"
#include "core/serving/serving_simulator.h"
#include "core/util/input_error.h"
#include "core/trace/mooncake_trace_reader.h"
#include "core/workload/scenario.h"

using namespace kvlab;

namespace {

RunSettings tinySettings() {
  RunSettings s;
  s.scenario = KVLAB_TEST_DATA_DIR "/tiny-agentic.json";
  s.scenarioDir = KVLAB_SCENARIO_DIR;
  return s;
}

// Shrinks the cache from inside the run (on the run thread, between requests) after a given request.
class ShrinkingObserver final : public RunRecorder {
public:
  ShrinkingObserver(ScenarioRunner& runner, int afterRequest, Bytes newMax)
      : m_runner(runner), m_after(afterRequest), m_newMax(newMax) {}
  void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) override {
    RunRecorder::onRequestDone(record, cache);
    if (record.index == m_after) m_runner.setMaxBytes(m_newMax);
    if (record.index > m_after) {
      maxUsedAfterShrink = std::max(maxUsedAfterShrink, cache.usedBytes);
      policyChangeEvictions = cache.counters.evictions[std::size_t(EvictReason::PolicyChange)];
    }
  }
  Bytes maxUsedAfterShrink = 0;
  std::uint64_t policyChangeEvictions = 0;

private:
  ScenarioRunner& m_runner;
  int m_after;
  Bytes m_newMax;
};

// Pauses the run after request 1 and reports the first eviction caused by a max-size change.
class PausingObserver final : public RunRecorder {
public:
  explicit PausingObserver(ScenarioRunner& runner) : m_runner(runner) {}
  void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) override {
    RunRecorder::onRequestDone(record, cache);
    if (record.index == 1) {
      m_runner.pause();
      paused.set_value();
    }
  }
  void onCacheEvent(const CacheEvent& event) override {
    if (event.type == CacheEventType::Eviction && event.evictReason == EvictReason::PolicyChange &&
        !m_reported) {
      m_reported = true;
      evictedWhilePaused = m_runner.isPaused();
      evicted.set_value();
    }
  }
  std::promise<void> paused;
  std::promise<void> evicted;
  bool evictedWhilePaused = false;

private:
  ScenarioRunner& m_runner;
  bool m_reported = false;
};

// Records the decode scenario's per-step callbacks.
class DecodeObserver final : public RunRecorder {
public:
  void onDecodeStep(const DecodeStep& step) override { steps.push_back(step); }
  std::vector<DecodeStep> steps;
};

std::vector<std::uint32_t> hitsPerRequest(const RunRecorder& recorder) {
  std::vector<std::uint32_t> hits;
  for (const RequestRecord& r : recorder.records()) hits.push_back(r.hitTokens);
  return hits;
}

nlohmann::json summaryOf(const RunRecorder& recorder) {
  return nlohmann::json::parse(summaryJson(recorder.info(), recorder.summary()));
}

class CancellingObserver final : public RunRecorder {
public:
  explicit CancellingObserver(ScenarioRunner& runner) : m_runner(runner) {}
  void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) override {
    RunRecorder::onRequestDone(record, cache);
    if (record.index == 1) m_runner.cancel();
  }

private:
  ScenarioRunner& m_runner;
};

}  // namespace

class TestScenarioRunner : public QObject {
  Q_OBJECT
private slots:
  void cachedEqualsUncached_data();
  void cachedEqualsUncached();
  void shrinkingMaxSizeEvictsAtOnce();
  void tinyCacheEvictsOwnPrefix_data();
  void tinyCacheEvictsOwnPrefix();
  void hostTierFiguresAddUp();
  void shrinkWhilePausedEvictsAtOnce();
  void cancelKeepsResults();
  void verifyPassesOnEveryGranularity();
  void refusedBeforeStart_data();
  void refusedBeforeStart();
  void simulatedTrace();
  void traceRunMatchesSimulate();
  void ttlClockIsTheScenarioClock_data();
  void ttlClockIsTheScenarioClock();
  void ttlHitsSameWithAndWithoutBaseline();
  void liveRunDecodesOutputTokens();
  void decodeScenarioSameTokensBothWays();
  void summaryCarriesReproducibility();
  void unmeasuredFieldsAreNull();
  void givenValuesUsedExactly();
};

void TestScenarioRunner::cachedEqualsUncached_data() {
  QTest::addColumn<int>("granularity");
  QTest::newRow("prompt") << int(Granularity::Prompt);
  QTest::newRow("block") << int(Granularity::Block);
  QTest::newRow("radix") << int(Granularity::Radix);
}

void TestScenarioRunner::cachedEqualsUncached() {
  QFETCH(int, granularity);
  RunSettings settings = tinySettings();
  settings.granularity = Granularity(granularity);
  ScenarioRunner runner;
  RunRecorder recorder;
  const RunSummary summary = runner.run(settings, recorder, 7);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  QCOMPARE(summary.runId, 7);
  QCOMPARE(summary.requests, 6);
  QCOMPARE(int(recorder.records().size()), 6);
  QVERIFY(summary.tokenHitRate > 0.5);  // every step extends the previous prompt
  QVERIFY(summary.maxAbsLogitDiff <= 1e-4);
  QVERIFY(summary.idealSpeedup > 1.0);
  QCOMPARE(recorder.records().front().hitTokens, 0u);  // cold cache
  for (const RequestRecord& r : recorder.records()) {
    QCOMPARE(r.hitTokens + r.computedTokens, r.promptTokens);
    QVERIFY(r.hitTokens < r.promptTokens);  // the last position is always computed
    QVERIFY(r.maxAbsLogitDiff >= 0 && r.maxAbsLogitDiff <= 1e-4);
    QVERIFY(r.ttftCachedMs > 0 && r.ttftUncachedMs > 0);
  }
  QVERIFY(recorder.records().back().hitTokens > 0);
  // Hit rate is counted from a cold cache over this run: Σ hit / Σ prompt tokens.
  std::uint64_t hit = 0, prompt = 0;
  for (const RequestRecord& r : recorder.records()) {
    hit += r.hitTokens;
    prompt += r.promptTokens;
  }
  QCOMPARE(summary.cache.counters.hitTokens, hit);
  QCOMPARE(summary.cache.counters.queriedTokens, prompt);
}

void TestScenarioRunner::shrinkingMaxSizeEvictsAtOnce() {
  ScenarioRunner runner;
  const Bytes newMax = 64 * 1024;
  ShrinkingObserver observer(runner, 2, newMax);
  const RunSummary summary = runner.run(tinySettings(), observer);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  QVERIFY(observer.policyChangeEvictions > 0);
  QVERIFY(observer.maxUsedAfterShrink <= newMax);
  QCOMPARE(summary.cache.capacityBytes, newMax);
}

void TestScenarioRunner::tinyCacheEvictsOwnPrefix_data() {
  QTest::addColumn<int>("granularity");
  QTest::addColumn<QString>("policy");
  for (const char* policy : {"lru", "fifo", "lfu", "sieve"}) {
    QTest::addRow("block %s", policy) << int(Granularity::Block) << policy;
    QTest::addRow("radix %s", policy) << int(Granularity::Radix) << policy;
    QTest::addRow("prompt %s", policy) << int(Granularity::Prompt) << policy;
  }
}

// A cache of a few blocks: storing a request's tail cannot evict its own just-reused head (in use), so other
// blocks go or the tail is turned away (tst_live_kv_cache checks which). Results must stay exact and the
// cache within its size.
void TestScenarioRunner::tinyCacheEvictsOwnPrefix() {
  QFETCH(int, granularity);
  QFETCH(QString, policy);
  RunSettings settings = tinySettings();
  settings.granularity = Granularity(granularity);
  settings.policy = policy.toStdString();
  // The small model holds 1 KiB of K/V per token. A radix leaf holds a request's whole uncached suffix
  // (~160 tokens at first), so its cache must hold at least that to store anything.
  settings.maxBytes = Granularity(granularity) == Granularity::Radix ? 200 * 1024 : 40 * 1024;
  ScenarioRunner runner;
  RunRecorder recorder;
  const RunSummary summary = runner.run(settings, recorder);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  QCOMPARE(summary.requests, 6);
  // A radix cache evicts leaves only: on a single growing chain nothing but the newest leaf could go, so
  // a full cache turns new leaves away instead.
  QVERIFY(summary.evictions > 0 || summary.cache.counters.rejectedInserts > 0);
  QVERIFY(summary.maxAbsLogitDiff <= 1e-4);
  QVERIFY(summary.peakBytes <= settings.maxBytes.value());
}

// A host tier under a device cache of a few blocks (block granularity): the run is exact, and its figures
// agree with each other: RunInfo carries the host size and policy, the tiers are device then host, the
// requests' host hit tokens add up to the host tier's, and the token hit rate counts both tiers' hits.
void TestScenarioRunner::hostTierFiguresAddUp() {
  RunSettings settings = tinySettings();
  settings.granularity = Granularity::Block;
  settings.maxBytes = 40 * 1024;  // the small model: 1 KiB of K/V per token
  settings.hostMaxBytes = 400 * 1024;
  settings.hostPolicy = "fifo";
  ScenarioRunner runner;
  RunRecorder recorder;
  const RunSummary summary = runner.run(settings, recorder);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  QCOMPARE(summary.requests, 6);
  QVERIFY(summary.maxAbsLogitDiff <= 1e-4);
  QCOMPARE(recorder.info().hostMaxBytes, Bytes(400 * 1024));
  QCOMPARE(recorder.info().hostPolicy, std::string("fifo"));
  QCOMPARE(summary.tiers.size(), std::size_t(2));
  QCOMPARE(summary.tiers[0].name, std::string("device"));
  QCOMPARE(summary.tiers[1].name, std::string("host"));
  std::uint64_t hostHits = 0;
  for (const RequestRow& row : recorder.rows()) hostHits += row.hostHitTokens;
  QVERIFY2(hostHits > 0, "the device cache is too small for the shared prefixes: the host tier serves them");
  QCOMPARE(summary.tiers[1].hitTokens, hostHits);
  const CacheCounters& c = summary.cache.counters;
  QCOMPARE(summary.tokenHitRate, double(c.hitTokens + hostHits) / double(c.queriedTokens));
  const nlohmann::json j = nlohmann::json::parse(summaryJson(recorder.info(), summary));
  QCOMPARE(j["host_max_bytes"].get<std::uint64_t>(), std::uint64_t(400 * 1024));
  QCOMPARE(j["tiers"]["host"]["hit_tokens"].get<std::uint64_t>(), hostHits);
}

void TestScenarioRunner::shrinkWhilePausedEvictsAtOnce() {
  ScenarioRunner runner;
  PausingObserver observer(runner);
  std::future<void> paused = observer.paused.get_future();
  std::future<void> evicted = observer.evicted.get_future();
  std::thread worker([&] { runner.run(tinySettings(), observer); });
  paused.wait();
  runner.setMaxBytes(1024);
  // The guard only keeps a broken runner from hanging the suite; the eviction itself is what is checked.
  const bool arrived = evicted.wait_for(std::chrono::seconds(120)) == std::future_status::ready;
  runner.resume();
  worker.join();
  QVERIFY(arrived);
  QVERIFY(observer.evictedWhilePaused);
  QCOMPARE(observer.summary().requests, 6);
  QVERIFY(observer.summary().cache.usedBytes <= 1024);
}

void TestScenarioRunner::cancelKeepsResults() {
  ScenarioRunner runner;
  CancellingObserver observer(runner);
  const RunSummary summary = runner.run(tinySettings(), observer);
  QVERIFY(summary.cancelled);
  QCOMPARE(summary.requests, 2);
  QCOMPARE(int(observer.records().size()), 2);
  QCOMPARE(observer.summary().requests, 2);  // onRunFinished arrived
}

void TestScenarioRunner::verifyPassesOnEveryGranularity() {
  VerifyOptions options;
  options.prompts = 10;
  const VerifyReport report = verifyPrefixReuse(options);
  QCOMPARE(int(report.rows.size()), 3);
  for (const VerifyRow& row : report.rows) {
    QVERIFY(row.promptsWithHits > 0);
    QVERIFY(row.maxAbsLogitDiff <= 1e-4);
  }
  QVERIFY(report.passed());
}

void TestScenarioRunner::refusedBeforeStart_data() {
  QTest::addColumn<QString>("scenario");
  QTest::addColumn<QString>("device");
  QTest::addColumn<quint64>("maxBytes");
  QTest::addColumn<QString>("field");
  QTest::newRow("unknown scenario") << "no-such-scenario"
                                    << "cpu" << quint64(0) << "scenario";
  QTest::newRow("unknown device") << ""
                                  << "tpu" << quint64(0) << "device";
  // ~128 GB of distinct K/V with a cache allowed to grow to 1 EiB; with the file's own 1 GiB it would run.
  QTest::newRow("more memory than the machine") << KVLAB_TEST_DATA_DIR "/huge-questions.json"
                                                << "cpu" << (quint64(1) << 60) << "max-size";
}

void TestScenarioRunner::refusedBeforeStart() {
  QFETCH(QString, scenario);
  QFETCH(QString, device);
  QFETCH(quint64, maxBytes);
  QFETCH(QString, field);
  RunSettings settings = tinySettings();
  if (!scenario.isEmpty()) settings.scenario = scenario.toStdString();
  settings.device = device.toStdString();
  if (maxBytes) settings.maxBytes = maxBytes;
  ScenarioRunner runner;
  RunRecorder recorder;
  try {
    runner.run(settings, recorder);
    QFAIL("the run should have been refused");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), field);
    QVERIFY(recorder.records().empty());
  }
}

void TestScenarioRunner::simulatedTrace() {
  RunSettings settings;
  settings.scenario = KVLAB_TEST_DATA_DIR "/mooncake_sample.jsonl";
  settings.maxBytes = (Bytes(8) << 30) + (Bytes(1) << 20);  // not a whole number of 512-token blocks
  ScenarioRunner runner;
  RunRecorder recorder;
  const RunSummary summary = runner.run(settings, recorder);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  QVERIFY(recorder.info().simulated);
  QCOMPARE(summary.requests, 64);
  // Nothing is measured in simulate mode: no speedup, no TTFT statistics, no logit comparison.
  QCOMPARE(summary.speedup, 0.0);
  QCOMPARE(summary.ttftMsCachedMean, 0.0);
  QVERIFY(summary.maxAbsLogitDiff < 0);
  // The ideal speedup is the FLOP ratio of the requests as served (each request's FLOPs recomputed here
  // with the cost model's FLOPs of a prefill step).
  double flopsUncached = 0, flopsCached = 0;
  const ModelConfig& model = *findModelPreset("llama-3-8b");
  for (const RequestRecord& r : recorder.records()) {
    QVERIFY(r.simulated);
    flopsUncached += prefillStepFlops(model, r.promptTokens, 0);
    flopsCached += prefillStepFlops(model, r.promptTokens, r.hitTokens);
  }
  QVERIFY(qAbs(summary.idealSpeedup - flopsUncached / flopsCached) < 1e-9 * summary.idealSpeedup);
  const nlohmann::json j = summaryOf(recorder);
  for (const char* key : {"speedup", "speedup_ci95", "measured_over_ideal", "max_abs_logit_diff",
                          "ttft_ms_cached_mean", "ttft_ms_uncached_median", "output_tokens", "tpot_ms_mean"})
    QVERIFY2(j.at(key).is_null(), key);
  QVERIFY(j.at("ideal_speedup").is_number());
  QCOMPARE(j.at("max_bytes").get<std::uint64_t>(), settings.maxBytes.value());  // as given, not rounded
  QCOMPARE(j.at("scenario_sha256").get<std::string>().size(), size_t(64));
}

void TestScenarioRunner::traceRunMatchesSimulate() {
  // The same request priced by the GUI's trace run and by `simulate` (issue 19 §2: they used to differ by
  // ~7 %, one counting the embedding table as read every prefill): a 2000-token request and a 2500-token
  // one sharing its first 3 blocks of 512 (both count 1536 hit tokens), 10 s apart and one output token
  // each, so in the simulator each is alone in its prefill step.
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QString path = dir.filePath("two.jsonl");
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(
      "{\"timestamp\": 0, \"input_length\": 2000, \"output_length\": 1, \"hash_ids\": [1, 2, 3, 4]}\n"
      "{\"timestamp\": 10000, \"input_length\": 2500, \"output_length\": 1, \"hash_ids\": [1, 2, 3, 5, "
      "6]}\n");
  f.close();
  for (const char* modelName : {"llama-3-8b", "qwen3-30b-a3b", "gpt-oss-20b"}) {
    RunSettings settings;
    settings.scenario = path.toStdString();
    settings.model = modelName;
    settings.hardware = "h200";
    ScenarioRunner runner;
    RunRecorder recorder;
    const RunSummary summary = runner.run(settings, recorder);
    QVERIFY2(summary.error.empty(), summary.error.c_str());
    ServingConfig config;
    config.model = *findModelPreset(modelName);
    config.hardware = *findHardwareProfile("h200");
    config.blockSize = 512;
    config.poolBlocks = 64;
    const ServingResult served = ServingSimulator(config).run(readWholeTrace(path.toStdString()));
    QCOMPARE(recorder.records().size(), std::size_t(2));
    QCOMPARE(served.requests.size(), std::size_t(2));
    for (std::size_t i = 0; i < 2; ++i) {
      const RequestRecord& r = recorder.records()[i];
      QCOMPARE(r.hitTokens, served.requests[i].hitTokens);
      QVERIFY2(qAbs(r.ttftCachedMs - served.requests[i].ttftMs()) <= 1e-9 * r.ttftCachedMs,
               qPrintable(QStringLiteral("%1 request %2: trace run %3 ms, simulate %4 ms")
                              .arg(modelName)
                              .arg(i)
                              .arg(r.ttftCachedMs)
                              .arg(served.requests[i].ttftMs())));
    }
    QCOMPARE(recorder.records()[1].hitTokens, 1536u);
  }
}

void TestScenarioRunner::ttlClockIsTheScenarioClock_data() {
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<bool>("everythingExpires");
  // tiny-agentic: steps arrive 1000 ms apart and each prompt extends the previous one, so every stored
  // block is touched again exactly 1000 ms (of scenario time) after its last use. Entries expire when idle
  // for longer than the TTL: a TTL of 1000 ms keeps everything, 999 ms expires everything. Compute time
  // must not count: with it the idle times would exceed 1000 ms.
  QTest::newRow("ttl = gap: nothing expires") << qint64(1000) << false;
  QTest::newRow("ttl < gap: everything expires") << qint64(999) << true;
}

void TestScenarioRunner::ttlClockIsTheScenarioClock() {
  QFETCH(qint64, ttlMs);
  QFETCH(bool, everythingExpires);
  RunSettings settings = tinySettings();
  settings.ttlMs = ttlMs;
  ScenarioRunner runner;
  RunRecorder withTtl;
  const RunSummary summary = runner.run(settings, withTtl);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  settings.ttlMs = 0;
  settings.baseline = false;
  RunRecorder noTtl;
  runner.run(settings, noTtl);
  if (everythingExpires) {
    for (const std::uint32_t hits : hitsPerRequest(withTtl)) QCOMPARE(hits, 0u);
    QVERIFY(summary.expirations > 0);
  } else {
    QCOMPARE(hitsPerRequest(withTtl), hitsPerRequest(noTtl));
    QCOMPARE(summary.expirations, std::uint64_t(0));
  }
}

void TestScenarioRunner::ttlHitsSameWithAndWithoutBaseline() {
  // Think times of 0.5-3 s against a 1.5 s TTL: some histories expire, some are reused. The baseline doubles
  // the compute per request, which must change nothing but TTFTs.
  RunSettings settings = tinySettings();
  settings.scenario = KVLAB_TEST_DATA_DIR "/tiny-chat.json";
  settings.ttlMs = 1500;
  ScenarioRunner runner;
  RunRecorder withBaseline, withoutBaseline;
  const RunSummary a = runner.run(settings, withBaseline);
  settings.baseline = false;
  const RunSummary b = runner.run(settings, withoutBaseline);
  QVERIFY2(a.error.empty() && b.error.empty(), (a.error + b.error).c_str());
  QCOMPARE(hitsPerRequest(withBaseline), hitsPerRequest(withoutBaseline));
  QCOMPARE(a.expirations, b.expirations);
  QCOMPARE(a.cache.counters.hitTokens, b.cache.counters.hitTokens);
  QVERIFY(a.expirations > 0);               // the TTL mattered
  QVERIFY(a.cache.counters.hitTokens > 0);  // and did not expire everything
}

void TestScenarioRunner::liveRunDecodesOutputTokens() {
  RunSettings settings = tinySettings();
  settings.baseline = false;
  settings.outputTokens = 4;
  ScenarioRunner runner;
  RunRecorder decoding, prefillOnly;
  const RunSummary summary = runner.run(settings, decoding);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  for (const RequestRecord& r : decoding.records()) {
    QCOMPARE(r.outputTokens, 4u);
    QCOMPARE(int(r.decodeStepMs.size()), 3);  // the first token comes from the prefill
    QVERIFY(r.tpotMs > 0);
  }
  QCOMPARE(summary.outputTokens, std::uint64_t(6 * 4));
  QVERIFY(summary.tpotMsMean > 0);
  // Decoding continues each sequence privately: the shared cache sees the same hits without it.
  settings.outputTokens = 1;
  const RunSummary plain = runner.run(settings, prefillOnly);
  QCOMPARE(hitsPerRequest(decoding), hitsPerRequest(prefillOnly));
  QCOMPARE(plain.tpotMsMean, 0.0);
  QVERIFY(summaryOf(prefillOnly).at("tpot_ms_mean").is_null());
  QCOMPARE(summaryOf(decoding).at("output_tokens").get<int>(), 24);
}

void TestScenarioRunner::decodeScenarioSameTokensBothWays() {
  RunSettings settings;
  settings.scenario = KVLAB_TEST_DATA_DIR "/tiny-decode.json";
  ScenarioRunner runner;
  DecodeObserver observer;
  const RunSummary summary = runner.run(settings, observer);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  QVERIFY(summary.decode.has_value());
  const DecodeComparison& d = *summary.decode;
  QCOMPARE(d.promptTokens, 40u);
  QCOMPARE(d.outputTokens, 24u);
  QVERIFY(d.tokensIdentical);
  QVERIFY(d.maxAbsLogitDiff <= 1e-4);
  QCOMPARE(int(d.tokens.size()), 24);
  QCOMPARE(int(d.stepMsCached.size()), 24);
  QCOMPARE(int(d.stepMsUncached.size()), 24);
  QCOMPARE(int(observer.steps.size()), 24);
  for (int i = 0; i < 24; ++i) {
    QCOMPARE(observer.steps[size_t(i)].step, i);
    QCOMPARE(observer.steps[size_t(i)].token, d.tokens[size_t(i)]);
  }
  QVERIFY(d.speedup > 0);
  QCOMPARE(d.speedup, d.totalMsUncached / d.totalMsCached);

  // Independently: greedy decoding by recomputing the whole sequence with the model at every step.
  const std::vector<ScenarioRequest> requests =
      generateRequests(loadScenarioFile(KVLAB_TEST_DATA_DIR "/tiny-decode.json"));
  QCOMPARE(int(requests.size()), 1);
  std::vector<std::int32_t> tokens = ByteTokenizer::encode(requests.front().text);
  const LlamaModel model(*findModelPreset("small"), "cpu");
  std::vector<std::int32_t> expected;
  for (int i = 0; i < 24; ++i) {
    expected.push_back(std::int32_t(model.prefill(tokens, {}).lastLogits.argmax().item<int64_t>()));
    tokens.push_back(expected.back());
  }
  QCOMPARE(d.tokens, expected);

  QCOMPARE(int(observer.records().size()), 1);
  const RequestRecord& r = observer.records().front();
  QCOMPARE(r.outputTokens, 24u);
  QCOMPARE(int(r.decodeStepMs.size()), 23);
  const nlohmann::json j = summaryOf(observer);
  QCOMPARE(j.at("output_tokens").get<int>(), 24);
  QVERIFY(j.at("tpot_ms_mean").is_number());
  QVERIFY(j.at("decode_speedup").is_number());
  QVERIFY(j.at("decode_max_abs_logit_diff").get<double>() <= 1e-4);
  QVERIFY(j.at("speedup").is_null());  // no prefix cache in this scenario: no TTFT speedup

  settings.outputTokens = 5;  // --output-tokens overrides the file
  DecodeObserver shorter;
  QCOMPARE(int(runner.run(settings, shorter).decode->tokens.size()), 5);
}

void TestScenarioRunner::summaryCarriesReproducibility() {
  RunSettings settings = tinySettings();
  ScenarioRunner runner;
  RunRecorder recorder;
  const RunSummary summary = runner.run(settings, recorder);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  const nlohmann::json j = summaryOf(recorder);
  QCOMPARE(j.at("scenario_seed").get<std::uint64_t>(), std::uint64_t(3));
  // SHA-256 of the file's bytes, computed here with Qt (not the code under test).
  QFile file(QStringLiteral(KVLAB_TEST_DATA_DIR "/tiny-agentic.json"));
  QVERIFY(file.open(QIODevice::ReadOnly));
  const QByteArray sha = QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex();
  QCOMPARE(QByteArray::fromStdString(j.at("scenario_sha256").get<std::string>()), sha);
  QVERIFY(!j.at("git_revision").get<std::string>().empty());
  QVERIFY(!j.at("kvlab_version").get<std::string>().empty());
  QVERIFY(!j.at("torch_version").get<std::string>().empty());
  QVERIFY(!j.at("blas").get<std::string>().empty());
  QCOMPARE(j.at("device").get<std::string>(), std::string("cpu"));
  QCOMPARE(j.at("granularity").get<std::string>(), std::string("block"));
  QCOMPARE(j.at("block_size").get<int>(), 8);
  QCOMPARE(j.at("policy").get<std::string>(), std::string("lru"));
  QCOMPARE(j.at("max_bytes").get<std::uint64_t>(), std::uint64_t(64) << 20);
  QCOMPARE(j.at("ttl_ms").get<std::int64_t>(), std::int64_t(0));
  QCOMPARE(j.at("ttl_mode").get<std::string>(), std::string("idle"));
  QVERIFY(j.at("matmul_gflops").get<double>() > 0);
  QCOMPARE(summary.matmulGflops, recorder.info().matmulGflops);
  // Spread: median and p90 of both TTFTs, and a bootstrap interval around the measured speedup.
  QVERIFY(summary.ttftMsCachedMedian > 0 && summary.ttftMsCachedP90 >= summary.ttftMsCachedMedian);
  QVERIFY(summary.ttftMsUncachedMedian > 0 && summary.ttftMsUncachedP90 >= summary.ttftMsUncachedMedian);
  const nlohmann::json ci = j.at("speedup_ci95");
  QCOMPARE(int(ci.size()), 2);
  QVERIFY(ci[0].get<double>() <= summary.speedup && summary.speedup <= ci[1].get<double>());
  QCOMPARE(ci[0].get<double>(), summary.speedupCi95[0]);

  settings.seed = 9;
  RunRecorder reseeded;
  runner.run(settings, reseeded);
  QCOMPARE(summaryOf(reseeded).at("scenario_seed").get<std::uint64_t>(), std::uint64_t(9));
}

void TestScenarioRunner::unmeasuredFieldsAreNull() {
  RunSettings settings = tinySettings();
  settings.baseline = false;
  ScenarioRunner runner;
  RunRecorder recorder;
  runner.run(settings, recorder);
  const nlohmann::json j = summaryOf(recorder);
  for (const char* key : {"speedup", "speedup_ci95", "measured_over_ideal", "max_abs_logit_diff",
                          "ttft_ms_uncached_mean", "ttft_ms_uncached_median", "ttft_ms_uncached_p90"})
    QVERIFY2(j.at(key).is_null(), key);
  QVERIFY(j.at("ideal_speedup").get<double>() > 1.0);
  QVERIFY(j.at("ttft_ms_cached_median").get<double>() > 0);
  QCOMPARE(j.at("baseline").get<bool>(), false);
}

void TestScenarioRunner::givenValuesUsedExactly() {
  RunSettings settings = tinySettings();
  settings.maxBytes = Bytes(48) << 20;
  settings.ttlMs = 20000;
  settings.baseline = false;
  ScenarioRunner runner;
  RunRecorder recorder;
  const RunSummary summary = runner.run(settings, recorder);
  QCOMPARE(summary.cache.capacityBytes, Bytes(48) << 20);
  const nlohmann::json j = summaryOf(recorder);
  QCOMPARE(j.at("max_bytes").get<std::uint64_t>(), std::uint64_t(50331648));
  QCOMPARE(j.at("ttl_ms").get<std::int64_t>(), std::int64_t(20000));
}

QTEST_GUILESS_MAIN(TestScenarioRunner)
#include "tst_scenario_runner.moc"
