// SPDX-License-Identifier: MIT
#pragma once
// The rotary position embedding's frequencies for a model: what transformers' modeling_rope_utils.py
// computes from rope_theta and rope_scaling (default, linear, llama3, yarn), in double precision.
// Position p rotates pair i of a head by angle p * inverseFrequencies[i]; cos and sin are then multiplied
// by attentionFactor (yarn; 1 otherwise). Torch-free.
#include <vector>

#include "core/arch/model_config.h"

namespace kvlab {

struct RopeFrequencies {
  std::vector<double> inverseFrequencies;  // (headDim / 2) radians per position
  double attentionFactor = 1.0;            // multiplies cos and sin
};

// Throws std::invalid_argument for RopeType::Other (naming the type) or an odd headDim.
RopeFrequencies ropeFrequencies(const ModelConfig& config);

}  // namespace kvlab
