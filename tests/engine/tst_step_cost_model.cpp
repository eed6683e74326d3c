// SPDX-License-Identifier: MIT
// The one cost model (core/hardware/step_cost_model.h) against hand-worked figures: Llama 3 8B's matrices
// (checked against its published 8.03 B parameters), a memory-bound decode, a compute-bound prefill, a
// sliding window's attention, MoE experts touched, tensor parallelism's split and all-reduce; and the
// prefill function the GUI's trace runs use (prefill_cost.h). Plus the scenario-to-trace conversion that
// `simulate` uses for scenarios.
#include <QtTest>
#include <cmath>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/arch/parameter_count.h"
#include "core/hardware/hardware_profile.h"
#include "core/hardware/prefill_cost.h"
#include "core/hardware/step_cost_model.h"
#include "core/workload/scenario.h"
#include "core/trace/scenario_trace.h"

using namespace kvlab;

namespace {
const ModelConfig& preset(const char* name) {
  const ModelConfig* m = findModelPreset(name);
  if (!m) qFatal("no preset %s", name);
  return *m;
}
const HardwareProfile& h100() { return *findHardwareProfile("h100-sxm"); }

bool near(double a, double b, double rel = 1e-12) { return std::abs(a - b) <= rel * std::abs(b); }

// Llama 3 8B, by hand: per layer q 4096 x 4096 + k, v 2 x 4096 x 1024 + o 4096 x 4096 + SwiGLU 3 x 4096 x
// 14336 = 218,103,808 matrix weights, x 32 layers = 6,979,321,856; LM head 128256 x 4096 = 525,336,576.
constexpr double kLlama8bMatrices = 6979321856.0;
constexpr double kLlama8bHead = 525336576.0;
}  // namespace

class TestStepCostModel : public QObject {
  Q_OBJECT
private slots:
  void llama3_8bWeights();
  void decodeIsMemoryBound();
  void prefillIsComputeBound();
  void slidingWindowLimitsAttention();
  void moeReadsTheExpertsTouched();
  void tensorParallelSplitsAndAllReduces();
  void mlaLatentIsReplicatedUnderTp();
  void tpNeedsAnInterconnect();
  void prefillSecondsIsOneStep();
  void scenarioAsTrace();
};

void TestStepCostModel::llama3_8bWeights() {
  // Meta publishes 8.03e9 parameters for Llama 3 8B: the matrices above, the untied embedding table
  // (525,336,576) and the norms (65 x 4096 = 266,240) make 8,030,261,248.
  const ParameterCount p = countParameters(preset("llama-3-8b"));
  QCOMPARE(p.attentionMatrices + p.mlpMatrices, kLlama8bMatrices);
  QCOMPARE(p.lmHead, kLlama8bHead);
  QCOMPARE(p.total(), 8030261248.0);
  QVERIFY(std::abs(p.total() - 8.03e9) < 0.005e9);
  const StepCostModel cost(preset("llama-3-8b"), h100());
  QCOMPARE(cost.weightBytes(), 8030261248.0 * 2);           // bf16
  QCOMPARE(cost.kvBytesPerToken(), std::uint64_t(131072));  // 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 B
}

void TestStepCostModel::decodeIsMemoryBound() {
  // One sequence decoding its token 1001 (1000 in context) of llama-3-8b on an H100: bytes = the matrices
  // and the LM head at 2 B (the embedding table is looked up, not read) + 131072 B x (1000 read + 1
  // written); memory time = bytes / (3.35e12 x 0.8).
  const StepCostModel cost(preset("llama-3-8b"), h100());
  StepLoad load;
  load.add(/*context=*/1000, /*newTokens=*/1, /*logit=*/true);
  const StepCost c = cost.cost(load);
  const double bytes = (kLlama8bMatrices + kLlama8bHead) * 2 + 131072.0 * 1001;
  QCOMPARE(c.bytes, bytes);
  QVERIFY(near(c.memoryS, bytes / (3.35e12 * 0.8)));
  QVERIFY(c.memoryS > c.computeS);
  QCOMPARE(c.seconds(), c.memoryS);
  QCOMPARE(c.allReduceS, 0.0);
  QVERIFY(c.seconds() > 5.5e-3 && c.seconds() < 5.7e-3);  // ~15.14 GB / 2.68 TB/s = 5.65 ms
}

void TestStepCostModel::prefillIsComputeBound() {
  // A 4096-token prefill from scratch: FLOPs = 2 x matrices x 4096 + 2 x head x 1
  //   + 4 x 32 layers x (32 heads x 128) x keys, keys = 4096 x 4097 / 2.
  const StepCostModel cost(preset("llama-3-8b"), h100());
  StepLoad load;
  load.add(0, 4096, true);
  const StepCost c = cost.cost(load);
  const double keys = 4096.0 * 4097 / 2;
  const double flops = 2 * kLlama8bMatrices * 4096 + 2 * kLlama8bHead + 4.0 * 32 * 4096 * keys;
  QVERIFY(near(c.flops, flops));
  QVERIFY(near(c.computeS, flops / (989.5e12 * 0.6)));
  QVERIFY(c.computeS > c.memoryS);
}

void TestStepCostModel::slidingWindowLimitsAttention() {
  // gpt-oss-120b: 18 full layers and 18 with a 128-token window, 64 heads x 64: 4 x 64 x 64 = 16384 FLOPs
  // per key per layer. A 1000-token prefill: full layers attend to 1000 x 1001 / 2 = 500500 keys; window
  // layers to sum min(v, 128) for v = 1..1000 = 128 x 129 / 2 + 872 x 128 = 119872.
  const ModelConfig& m = preset("gpt-oss-120b");
  StepLoad prefill;
  prefill.add(0, 1000, false);
  const ParameterCount p = countParameters(m);
  const double matrices = p.attentionMatrices + p.mlpMatrices + p.activeExpertMatrices(m);
  const double attention = 18 * 16384.0 * 500500 + 18 * 16384.0 * 119872;
  QVERIFY(near(StepCostModel::flops(m, prefill), 2 * matrices * 1000 + attention));
  // Decoding at 5000 tokens of context: a full layer reads 5000 tokens and writes 1, a window layer reads
  // its 128 and writes 1; 2 x 8 KV heads x 64 x 2 B = 2048 B per token per layer.
  StepLoad decode;
  decode.add(5000, 1, true);
  const StepCostModel cost(m, h100());
  const StepCost c = cost.cost(decode);
  const double kv = 18 * 2048.0 * 5001 + 18 * 2048.0 * 129;
  QVERIFY(c.bytes > kv);
  StepLoad shortDecode;  // 10 tokens of context: both kinds read all 10
  shortDecode.add(10, 1, true);
  QVERIFY(near(c.bytes - cost.cost(shortDecode).bytes, kv - 36 * 2048.0 * 11));
}

void TestStepCostModel::moeReadsTheExpertsTouched() {
  // Qwen3-30B-A3B: 48 MoE layers of 128 experts, 8 per token, each 3 x 2048 x 768 = 4,718,592 weights
  // (9,437,184 B in bf16). One token touches 8 experts per layer; 1000 tokens are expected to touch
  // 128 x (1 - (120/128)^1000) of them, i.e. all 128 to 1e-26.
  const ModelConfig& m = preset("qwen3-30b-a3b");
  const StepCostModel cost(m, h100());
  const ParameterCount p = countParameters(m);
  const double dense = (p.attentionMatrices + p.mlpMatrices + double(m.vocab) * m.dModel) * 2;
  const double expertBytes = 4718592.0 * 2;
  StepLoad one;
  one.add(0, 1, false);
  QVERIFY(near(cost.cost(one).bytes,
               dense + 48 * 8 * expertBytes + 98304.0));  // + K/V written: 48 x 2 x 4 x 128 x 2
  StepLoad many;
  many.add(0, 1000, false);
  QVERIFY(near(cost.cost(many).bytes, dense + 48 * 128 * expertBytes + 98304.0 * 1000, 1e-9));
  // FLOPs count the active experts only: 2 x (dense matrices + 48 x 8 x 4,718,592) per token.
  QVERIFY(near(cost.cost(one).flops - 4.0 * 32 * 128 * 48 * 1,
               2 * (p.attentionMatrices + p.mlpMatrices + 48 * 8 * 4718592.0)));
}

void TestStepCostModel::tensorParallelSplitsAndAllReduces() {
  // llama-3-70b on 8 x H100: per device 1/8 of the FLOPs and weight bytes; K/V: 8 KV heads / 8 = 1 per
  // device, 80 layers x 2 x 1 x 128 x 2 B = 40960 B per token. All-reduce of T tokens: 2 per layer x 80 x
  // 2 x 7/8 x 8192 x T x 2 B = 4,587,520 T bytes over 450 GB/s (NVLink 900 GB/s both ways) x 0.8.
  const ModelConfig& m = preset("llama-3-70b");
  const StepCostModel one(m, h100(), 1), eight(m, h100(), 8);
  QCOMPARE(eight.kvBytesPerToken(), std::uint64_t(40960));
  QCOMPARE(eight.weightBytesPerDevice(), one.weightBytes() / 8);
  StepLoad load;
  load.add(0, 2000, true);
  const StepCost c1 = one.cost(load), c8 = eight.cost(load);
  QVERIFY(near(c8.flops, c1.flops));
  QVERIFY(near(c8.computeS, c1.computeS / 8));
  QVERIFY(near(c8.allReduceS, 4587520.0 * 2000 / (450e9 * 0.8)));
  QCOMPARE(c8.seconds(), std::max(c8.computeS, c8.memoryS) + c8.allReduceS);
  // More devices than KV heads: each holds (a copy of) one head.
  QCOMPARE(StepCostModel(m, h100(), 16).kvBytesPerToken(), std::uint64_t(40960));
}

void TestStepCostModel::mlaLatentIsReplicatedUnderTp() {
  // DeepSeek V3's latent (512 + 64 per layer per token) is not split by heads: 61 x 576 x 2 B on every
  // device.
  QCOMPARE(StepCostModel(preset("deepseek-v3"), h100(), 8).kvBytesPerToken(), std::uint64_t(70272));
}

void TestStepCostModel::tpNeedsAnInterconnect() {
  HardwareProfile cpu = h100();
  cpu.interconnectBandwidth = 0;
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, StepCostModel(preset("llama-3-8b"), cpu, 2));
  (void)StepCostModel(preset("llama-3-8b"), cpu, 1);
}

void TestStepCostModel::prefillSecondsIsOneStep() {
  // The trace runs' TTFT: a 3000-token prompt with 1024 cached = one step computing 1976 tokens after 1024.
  const ModelConfig& m = preset("qwen3-8b");
  StepLoad load;
  load.add(1024, 1976, true);
  QCOMPARE(prefillSeconds(m, h100(), 3000, 1024), StepCostModel(m, h100()).cost(load).seconds());
  QCOMPARE(prefillStepFlops(m, 3000, 1024), StepCostModel::flops(m, load));
  QCOMPARE(prefillSecondsPerToken(m, h100(), 3000), prefillSeconds(m, h100(), 3000, 0) / 3000);
}

void TestStepCostModel::scenarioAsTrace() {
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

QTEST_GUILESS_MAIN(TestStepCostModel)
#include "tst_step_cost_model.moc"
