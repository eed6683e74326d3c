// SPDX-License-Identifier: MIT
// The runner end to end on the small model: real cached-prefix prefill for every granularity, live
// controls, cancel, simulate mode, and settings refused before anything starts.
#include <QtTest>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "core/runner/prefix_verifier.h"
#include "core/runner/run_recorder.h"
#include "core/runner/scenario_runner.h"
#include "core/util/input_error.h"

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
  void shrinkWhilePausedEvictsAtOnce();
  void cancelKeepsResults();
  void verifyPassesOnEveryGranularity();
  void refusedBeforeStart_data();
  void refusedBeforeStart();
  void simulatedTrace();
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
  settings.maxBytes = Bytes(8) << 30;
  ScenarioRunner runner;
  RunRecorder recorder;
  const RunSummary summary = runner.run(settings, recorder);
  QVERIFY2(summary.error.empty(), summary.error.c_str());
  QVERIFY(recorder.info().simulated);
  QCOMPARE(summary.requests, 64);
  for (const RequestRecord& r : recorder.records()) QVERIFY(r.simulated);
  QVERIFY(summary.speedup >= 1.0);
}

QTEST_GUILESS_MAIN(TestScenarioRunner)
#include "tst_scenario_runner.moc"
