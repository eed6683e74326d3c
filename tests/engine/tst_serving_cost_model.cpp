// SPDX-License-Identifier: MIT
// The hardware profile table against the vendors' spec sheets, and the step cost model against hand-worked
// figures and the published parameter count of Llama 3 8B.
#include <QtTest>

#include "core/model/model_config.h"
#include "core/serving/hardware_profile.h"
#include "core/serving/step_cost_model.h"
#include "core/workload/scenario.h"
#include "core/trace/scenario_trace.h"

using namespace kvlab;

class TestServingCostModel : public QObject {
  Q_OBJECT
private slots:
  void specSheetProfiles_data();
  void specSheetProfiles();
  void lookups();
  void llama3_8bParameters();
  void decodeIsMemoryBound();
  void prefillIsComputeBound();
  void scenarioAsTrace();
};

void TestServingCostModel::specSheetProfiles_data() {
  QTest::addColumn<QString>("name");
  QTest::addColumn<double>("denseBf16Tflops");
  QTest::addColumn<double>("tbPerS");
  QTest::addColumn<double>("gb");
  // Datasheet figures (dense = half the "with sparsity" figure where the sheet gives only that).
  QTest::newRow("h100-sxm") << "h100-sxm" << 989.5 << 3.35 << 80.0;
  QTest::newRow("h200") << "h200" << 989.5 << 4.8 << 141.0;
  QTest::newRow("a100-80gb") << "a100-80gb" << 312.0 << 2.039 << 80.0;
  QTest::newRow("l40s") << "l40s" << 362.05 << 0.864 << 48.0;
}

void TestServingCostModel::specSheetProfiles() {
  QFETCH(QString, name);
  QFETCH(double, denseBf16Tflops);
  QFETCH(double, tbPerS);
  QFETCH(double, gb);
  const HardwareProfile* p = findHardwareProfile(name.toStdString());
  QVERIFY(p);
  QCOMPARE(p->peakFlops, denseBf16Tflops * 1e12);
  QCOMPARE(p->memoryBandwidth, tbPerS * 1e12);
  QCOMPARE(p->memoryBytes, std::uint64_t(gb * 1e9));
  QVERIFY(!p->measured);
  QVERIFY(p->computeUtilisation > 0 && p->computeUtilisation <= 1);
  QVERIFY(p->memoryUtilisation > 0 && p->memoryUtilisation <= 1);
}

void TestServingCostModel::lookups() {
  QCOMPARE(hardwareProfiles().front().name, std::string(defaultHardwareProfileName()));
  QVERIFY(!findHardwareProfile("h100"));
  const auto names = hardwareProfileNames();
  QCOMPARE(names.back(), std::string("cpu-here"));
  QCOMPARE(names.size(), hardwareProfiles().size() + 1);
}

void TestServingCostModel::llama3_8bParameters() {
  // Meta publishes 8.03e9 parameters for Llama 3 8B, of which the untied input embedding is
  // 128256 x 4096 = 0.525e9: layers + LM head = 7.505e9.
  const StepCostModel cost(*findModelPreset("llama-3-8b"), *findHardwareProfile("h100-sxm"));
  const double params = cost.linearParams() + cost.lmHeadParams();
  QVERIFY2(std::abs(params - 7.505e9) / 7.505e9 < 0.002, qPrintable(QString::number(params)));
  QCOMPARE(cost.weightBytes(), params * 2);                 // bf16
  QCOMPARE(cost.kvBytesPerToken(), std::uint64_t(131072));  // 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 B
}

void TestServingCostModel::decodeIsMemoryBound() {
  // One sequence decoding its token 1001 (1000 in context) of llama-3-8b on an H100:
  // bytes = weights + 131072 B x (1000 read + 1 written); memory time = bytes / (3.35e12 x 0.8).
  const StepCostModel cost(*findModelPreset("llama-3-8b"), *findHardwareProfile("h100-sxm"));
  StepLoad load;
  load.newTokens = 1;
  load.attentionPairs = 1001;
  load.contextTokensRead = 1000;
  load.logits = 1;
  const StepCost c = cost.cost(load);
  const double bytes = cost.weightBytes() + 131072.0 * 1001;
  QCOMPARE(c.bytes, bytes);
  QVERIFY(std::abs(c.memoryS - bytes / (3.35e12 * 0.8)) < 1e-15);
  QVERIFY(c.memoryS > c.computeS);
  QCOMPARE(c.seconds(), c.memoryS);
  QVERIFY(c.seconds() > 5.5e-3 && c.seconds() < 5.7e-3);  // ~15.06 GB / 2.68 TB/s = 5.6 ms
}

void TestServingCostModel::prefillIsComputeBound() {
  // A 4096-token prefill from scratch: FLOPs = 2 x linear x 4096 + 2 x head x 1
  //   + 4 x 32 layers x 4096 (32 heads x 128) x pairs, pairs = 4096 x 4097 / 2.
  const StepCostModel cost(*findModelPreset("llama-3-8b"), *findHardwareProfile("h100-sxm"));
  StepLoad load;
  load.newTokens = 4096;
  load.attentionPairs = 4096.0 * 4097 / 2;
  load.logits = 1;
  const StepCost c = cost.cost(load);
  const double flops =
      2 * cost.linearParams() * 4096 + 2 * cost.lmHeadParams() + 4.0 * 32 * 4096 * load.attentionPairs;
  QVERIFY(std::abs(c.flops - flops) / flops < 1e-12);
  QVERIFY(std::abs(c.computeS - flops / (989.5e12 * 0.6)) < 1e-12);
  QVERIFY(c.computeS > c.memoryS);
}

void TestServingCostModel::scenarioAsTrace() {
  // repeated-prefix: every question starts with the same system prompt, so the leading
  // floor(systemPrompt / blockSize) block ids are equal across requests; ids = floor(length / blockSize).
  const ScenarioSpec spec = loadScenarioFile(resolveScenario("repeated-prefix", KVLAB_SCENARIO_DIR));
  const std::uint32_t bs = 16;
  const auto trace = scenarioToTrace(spec, bs, 7);
  const auto requests = generateRequests(spec);
  QCOMPARE(trace.size(), requests.size());
  const std::uint32_t shared = spec.repeatedPrefix.systemPromptTokens / bs;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    QCOMPARE(trace[i].inputLength, std::uint32_t(requests[i].text.size()));
    QCOMPARE(trace[i].outputLength, 7u);
    QCOMPARE(trace[i].timestampMs, requests[i].arrivalMs);
    QCOMPARE(trace[i].hashIds.size(), requests[i].text.size() / bs);
    for (std::uint32_t b = 0; b < shared; ++b) QCOMPARE(trace[i].hashIds[b], trace[0].hashIds[b]);
  }
  // Questions differ right after the system prompt (if it ends on a block boundary, the next block).
  if (trace.size() > 1 && trace[0].hashIds.size() > shared + 1 && trace[1].hashIds.size() > shared + 1)
    QVERIFY(trace[0].hashIds[shared + 1] != trace[1].hashIds[shared + 1]);
}

QTEST_GUILESS_MAIN(TestServingCostModel)
#include "tst_serving_cost_model.moc"
