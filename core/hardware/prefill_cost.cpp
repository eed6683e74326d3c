// SPDX-License-Identifier: MIT
#include "core/hardware/prefill_cost.h"

#include <algorithm>

#include "core/hardware/step_cost_model.h"

namespace kvlab {

double prefillSecondsPerToken(const ModelConfig& model, const HardwareProfile& hardware,
                              std::uint32_t promptTokens) {
  const std::uint64_t n = std::max<std::uint32_t>(promptTokens, 1);
  StepLoad load;
  load.newTokens = n;
  load.attentionPairs = double(n) * double(n + 1) / 2.0;  // token i attends to itself and the i before it
  load.contextTokensRead = 0;                             // from scratch: nothing cached
  load.logits = 1;
  return StepCostModel(model, hardware).cost(load).seconds() / double(n);
}

}  // namespace kvlab
