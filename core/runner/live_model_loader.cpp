// SPDX-License-Identifier: MIT
#include "core/runner/live_model_loader.h"

#include "core/model/checkpoint_weights.h"

namespace kvlab {

LlamaModel openLiveModel(const LiveModelChoice& choice, const std::string& device) {
  if (choice.weightsDir.empty()) return LlamaModel(choice.config, device);
  const CheckpointWeights weights(choice.config, choice.weightsDir);
  return LlamaModel(choice.config, device, weights);
}

}  // namespace kvlab
