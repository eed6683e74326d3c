// SPDX-License-Identifier: MIT
#pragma once
// The one cost model of the lab: the time of one engine step (a roofline), used by the serving simulator
// (`simulate`, `fleet --serving`, the Serving page), the GUI's trace runs and the Tune page's prefill
// savings (prefill_cost.h). Every time it returns is a cost-model figure, not a measurement.
//
//   step time = max(compute, memory) + all-reduce                (per device of a tensor-parallel group)
//   compute   = FLOPs / tp / (peak FLOP/s x compute utilisation)
//     FLOPs   = 2 x matrix weights one token uses x new tokens   (projections, dense MLPs, shared experts,
//                                                                 routers, expertsPerToken routed experts)
//             + 2 x vocab x hidden x logits                      (the LM head, last position of a sequence)
//             + per layer: attention FLOPs per key x keys attended (QK^T and AV, 2 FLOPs per multiply-add:
//               4 x heads x headDim for GQA; 2 x heads x (qk_nope + qk_rope + v_head_dim) for MLA; the
//               keys a token attends to come from its layer's spec: all earlier tokens, at most the window)
//             + per linear-attention layer: 4 x valueHeads x keyHeadDim x valueHeadDim per token (state
//               update and read-out)
//   memory    = bytes / (peak bandwidth x memory utilisation)
//     bytes   = weights read once per step / tp                  (matrices at their bits; of the routed
//                                                                 experts only those the step's tokens are
//                                                                 expected to touch: E x (1 - (1 - k/E)^T)
//                                                                 per MoE layer for T tokens, k per token)
//             + K/V read and written, per layer from its spec     (tokens kept before the chunk + its new
//                                                                 tokens, per device; a state layer reads and
//                                                                 writes its state once per sequence)
//   all-reduce (tp > 1) = 2 per layer (after attention and after the MLP) of T x hidden activations:
//               2 x layers x 2 (tp - 1) / tp x T x hidden x activation bytes / (interconnect one way x
//               interconnect utilisation)    — a ring all-reduce; latency per call not modelled.
//
// The input embedding is a lookup of T rows (T x hidden x 2 bytes, far below 0.1 % of a step) and is not
// counted; the LM head is counted in full (tied or not, its matrix is read and multiplied). Vectors (norms,
// biases) are left out too (parameter_count.h). Decided once here for every caller (issue 19 §2: the trace
// runs counted the embedding, `simulate` did not).
#include <cstdint>
#include <memory>
#include <vector>

#include "core/arch/kv_cache_spec.h"
#include "core/arch/model_config.h"
#include "core/hardware/hardware_profile.h"

namespace kvlab {

// What one step computes: one chunk per scheduled sequence.
struct StepLoad {
  struct Chunk {
    std::uint64_t context = 0;    // tokens of the sequence already in the cache (computed or hit)
    std::uint64_t newTokens = 0;  // tokens whose K/V this step computes (a prefill chunk, or 1 decode)
    bool logit = false;           // the sequence emits a token at the end of this step
  };
  std::vector<Chunk> chunks;

  void add(std::uint64_t context, std::uint64_t newTokens, bool logit) {
    chunks.push_back(Chunk{context, newTokens, logit});
  }
  std::uint64_t newTokens() const;
  std::uint64_t logits() const;
};

struct StepCost {
  double flops = 0;  // whole step, all devices
  double bytes = 0;  // per device
  double computeS = 0;
  double memoryS = 0;
  double allReduceS = 0;  // tensor parallelism's all-reduces (0 for tp = 1)
  double seconds() const { return (computeS > memoryS ? computeS : memoryS) + allReduceS; }
};

class StepCostModel {
public:
  // tp: devices the model is split over (tensor parallelism); throws std::invalid_argument for a profile
  // without FLOP/s or bandwidth, or tp > 1 on a profile without an interconnect.
  StepCostModel(const ModelConfig& model, const HardwareProfile& hardware, int tp = 1);

  StepCost cost(const StepLoad& load) const;
  // FLOPs of a load, whole step (no hardware needed).
  static double flops(const ModelConfig& model, const StepLoad& load);

  double weightBytes() const { return m_weightBytes; }  // every weight of the model (what memory holds)
  double weightBytesPerDevice() const { return m_weightBytes / double(m_tp); }
  std::uint64_t kvBytesPerToken() const { return m_kvBytesPerToken; }  // every-token layers, per device
  int tp() const { return m_tp; }

private:
  struct AttentionGroup {
    std::shared_ptr<const KvCacheSpec> spec;
    double layers = 0;
    double flopsPerKey = 0;  // one query attending to one key, whole layer (all heads)
  };
  StepCost flopsOnly(const StepLoad& load) const;

  std::vector<AttentionGroup> m_groups;
  double m_denseMatrixFlopsPerToken = 0;  // 2 x non-expert matrices + 2 x active routed experts
  double m_lmHeadParams = 0;              // vocab x hidden
  double m_stateFlopsPerToken = 0;        // all linear-attention layers
  double m_denseMatrixBytes = 0;          // non-expert matrices + LM head, whole model
  double m_bytesPerExpert = 0;            // one routed expert of one layer
  double m_moeLayers = 0;
  double m_experts = 0;
  double m_expertsPerToken = 0;
  double m_weightBytes = 0;
  double m_allReduceBytesPerToken = 0;  // 2 x layers x 2 (tp-1)/tp x hidden x activation bytes
  std::uint64_t m_kvBytesPerToken = 0;
  int m_tp = 1;
  double m_flops = 0;         // effective FLOP/s per device
  double m_bandwidth = 0;     // effective bytes/s per device
  double m_interconnect = 0;  // effective bytes/s one way
};

}  // namespace kvlab
