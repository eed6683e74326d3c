// SPDX-License-Identifier: MIT
#pragma once
// Parameters of a model, counted from its shapes (ModelConfig) as the model's own code creates them, and
// the bytes its checkpoint's weights take. Two totals, as model cards give them:
//   total  = every weight (embedding table, LM head unless tied, every layer, every expert);
//   active = what one token computes with: the same minus the routed experts it is not sent to
//            (experts_per_token of them per MoE layer, plus shared experts and routers). Like the Qwen3 and
//            DeepSeek cards, active counts the embedding table and the LM head (Qwen3-30B-A3B: 30.5 B total,
//            3.3 B active). gpt-oss's card leaves the embedding table out of its active figure
//            (active - embedding here).
// Matrices (what a GEMM reads: projections, experts, routers, the LM head) are kept apart from vectors
// (norms, biases, sinks, convolution taps): the cost model prices matrices only (core/hardware/
// step_cost_model.h); the vectors are a few parts per million of the bytes.
#include <cstdint>

#include "core/arch/model_config.h"

namespace kvlab {

struct ParameterCount {
  double embedding = 0;          // input embedding table: vocab x hidden
  double lmHead = 0;             // output projection: vocab x hidden; 0 when tied to the embedding table
  double attentionMatrices = 0;  // every layer's attention / linear-attention projections
  double mlpMatrices = 0;        // dense MLPs, shared experts, routers and shared-expert gates
  double expertMatrices = 0;     // every routed expert of every MoE layer
  double vectors = 0;            // norms, biases, attention sinks, convolution taps, decay parameters
  double expertVectors = 0;      // biases of every routed expert (gpt-oss)
  int moeLayers = 0;             // layers with routed experts
  double matricesPerExpert = 0;  // one routed expert of one layer: 3 x hidden x expertFfn
  double vectorsPerExpert = 0;   // its biases

  double total() const {
    return embedding + lmHead + attentionMatrices + mlpMatrices + expertMatrices + vectors + expertVectors;
  }
  // Routed experts one token uses: expertsPerToken per MoE layer.
  double activeExpertMatrices(const ModelConfig& m) const {
    return double(moeLayers) * double(m.moe.expertsPerToken) * matricesPerExpert;
  }
  double active(const ModelConfig& m) const {
    return total() - expertMatrices - expertVectors + activeExpertMatrices(m) +
           double(moeLayers) * double(m.moe.expertsPerToken) * vectorsPerExpert;
  }
};

ParameterCount countParameters(const ModelConfig& model);

// Bits per weight of the projections, the routed experts and the rest (embeddings, LM head, vectors).
double linearWeightBits(const ModelConfig& model);
double expertWeightBits(const ModelConfig& model);
double baseWeightBits(const ModelConfig& model);  // dtypeBytes x 8

// Bytes the weights take (the checkpoint's tensors, scales of quantized formats counted only where
// expertWeightBits / linearWeightBits include them).
double weightBytes(const ModelConfig& model);

}  // namespace kvlab
