// SPDX-License-Identifier: MIT
// scenarioToTrace: a scenario as the serving simulator's trace. The fixture's lengths are fixed, so every
// expected value is worked out by hand from the file (tests/data/tiny-trace-outputs.json):
//   prompt = 32-token system prompt + 20-token question = 52 tokens (1 byte = 1 token);
//   hash ids = floor(52 / 16) = 3 full blocks, the first 32 / 16 = 2 shared by every request;
//   output_length = the file's "output_tokens": 5 for every request, or the override when one is given.
#include <QTest>
#include <optional>

#include "core/workload/scenario.h"
#include "core/trace/scenario_trace.h"

using namespace kvlab;

namespace {
const char* const kFixture = KVLAB_TEST_DATA_DIR "/tiny-trace-outputs.json";
}

class TestScenarioTrace : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void outputLength_data();
  void outputLength();
  void perRequestOutputTokens();
};

void TestScenarioTrace::outputLength_data() {
  QTest::addColumn<int>("override");  // 0: none
  QTest::addColumn<uint>("expected");
  QTest::newRow("file value") << 0 << 5u;
  QTest::newRow("override 9") << 9 << 9u;
  QTest::newRow("override 1") << 1 << 1u;
}

void TestScenarioTrace::outputLength() {
  QFETCH(int, override);
  QFETCH(uint, expected);
  const ScenarioSpec spec = loadScenarioFile(kFixture);
  const std::optional<std::uint32_t> value =
      override > 0 ? std::optional<std::uint32_t>(std::uint32_t(override)) : std::nullopt;
  const std::vector<TraceRequest> trace = scenarioToTrace(spec, /*blockSize=*/16, value);
  QCOMPARE(trace.size(), std::size_t(3));
  for (const TraceRequest& t : trace) {
    QCOMPARE(t.inputLength, 52u);
    QCOMPARE(t.outputLength, std::uint32_t(expected));
    QCOMPARE(t.hashIds.size(), std::size_t(3));
    QCOMPARE(t.hashIds[0], trace[0].hashIds[0]);
    QCOMPARE(t.hashIds[1], trace[0].hashIds[1]);
  }
}

void TestScenarioTrace::perRequestOutputTokens() {
  // A range: each request keeps the length the generator drew for it (not one value for all).
  ScenarioSpec spec = loadScenarioFile(kFixture);
  spec.repeatedPrefix.questions = 40;
  spec.outputTokens = {3, 9};
  const std::vector<ScenarioRequest> requests = generateRequests(spec);
  const std::vector<TraceRequest> trace = scenarioToTrace(spec, /*blockSize=*/16);
  QCOMPARE(trace.size(), requests.size());
  std::uint32_t low = 100, high = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    QCOMPARE(trace[i].outputLength, requests[i].outputTokens);
    low = std::min(low, trace[i].outputLength);
    high = std::max(high, trace[i].outputLength);
  }
  QVERIFY(low >= 3 && high <= 9);
  QVERIFY(low < high);  // 40 uniform draws from 7 values are not all equal (chance 7 x (1/7)^40)
}

QTEST_GUILESS_MAIN(TestScenarioTrace)
#include "tst_scenario_trace.moc"
