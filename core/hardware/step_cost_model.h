// SPDX-License-Identifier: MIT
#pragma once
// The cost model of one engine step (a roofline): step time = max(compute time, memory time), where
//   compute = FLOPs / (peak FLOP/s x compute utilisation)
//     FLOPs = 2 x linearParams x new tokens            (QKV/O projections and SwiGLU MLP of every layer)
//           + 2 x lmHeadParams x sequences emitting a token this step (logits of the last position only)
//           + 4 x layers x heads x headDim x attention pairs   (QK^T and AV; pairs = sum over new tokens of
//                                                              the positions each attends to, causal)
//   memory  = bytes / (peak bandwidth x memory utilisation)
//     bytes = weight bytes (read once per step) + K/V bytes per token x (context tokens read by every
//             scheduled sequence + new tokens written)
// Every time it returns is a cost-model figure, not a measurement. Shapes come from a ModelConfig preset;
// weights are counted at the preset's dtypeBytes (bf16 for the real presets). The embedding table is not
// read as a whole (a lookup touches a few rows) and is left out; the LM head is counted.
#include <cstdint>

#include "core/arch/model_config.h"
#include "core/hardware/hardware_profile.h"

namespace kvlab {

// What one step computes, summed over the sequences scheduled in it.
struct StepLoad {
  std::uint64_t newTokens = 0;          // tokens whose K/V this step computes (prefill chunks + decodes)
  double attentionPairs = 0;            // sum over new tokens of (1 + positions before it)
  std::uint64_t contextTokensRead = 0;  // K/V tokens already in the pool that the scheduled sequences read
  std::uint32_t logits = 0;             // sequences that emit a token at the end of this step
};

struct StepCost {
  double flops = 0;
  double bytes = 0;
  double computeS = 0;
  double memoryS = 0;
  double seconds() const { return computeS > memoryS ? computeS : memoryS; }
};

class StepCostModel {
public:
  StepCostModel(const ModelConfig& model, const HardwareProfile& hardware);

  StepCost cost(const StepLoad& load) const;

  double linearParams() const { return m_linearParams; }  // per token, all layers
  double lmHeadParams() const { return m_lmHeadParams; }
  double weightBytes() const { return m_weightBytes; }  // layers + LM head, at dtypeBytes
  std::uint64_t kvBytesPerToken() const { return m_kvBytesPerToken; }

private:
  double m_linearParams = 0;
  double m_lmHeadParams = 0;
  double m_attentionFlopsPerPair = 0;
  double m_weightBytes = 0;
  std::uint64_t m_kvBytesPerToken = 0;
  double m_flops = 0;      // effective FLOP/s
  double m_bandwidth = 0;  // effective bytes/s
};

}  // namespace kvlab
