// SPDX-License-Identifier: MIT
#pragma once
// Builds the LlamaModel a LiveModelChoice names: from its checkpoint (memory-mapped, read one layer at a
// time) or from the seed. Internal to core/runner (exposes the LibTorch model).
#include <string>

#include "core/model/llama_model.h"
#include "core/runner/live_model.h"

namespace kvlab {

// Throws what LlamaModel and CheckpointWeights throw (InputError naming the tensor for a bad checkpoint).
LlamaModel openLiveModel(const LiveModelChoice& choice, const std::string& device);

}  // namespace kvlab
