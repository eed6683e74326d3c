// SPDX-License-Identifier: MIT
#include "core/hardware/prefill_cost.h"

#include <algorithm>

#include "core/hardware/step_cost_model.h"

namespace kvlab {

namespace {
StepLoad prefillLoad(std::uint64_t promptTokens, std::uint64_t cachedTokens) {
  const std::uint64_t cached = std::min(cachedTokens, promptTokens);
  StepLoad load;
  load.add(/*context=*/cached, /*newTokens=*/promptTokens - cached, /*logit=*/true);
  return load;
}
}  // namespace

double prefillSeconds(const ModelConfig& model, const HardwareProfile& hardware, std::uint64_t promptTokens,
                      std::uint64_t cachedTokens, int tp) {
  return StepCostModel(model, hardware, tp).cost(prefillLoad(promptTokens, cachedTokens)).seconds();
}

double prefillStepFlops(const ModelConfig& model, std::uint64_t promptTokens, std::uint64_t cachedTokens) {
  return StepCostModel::flops(model, prefillLoad(promptTokens, cachedTokens));
}

double prefillSecondsPerToken(const ModelConfig& model, const HardwareProfile& hardware,
                              std::uint32_t promptTokens) {
  const std::uint64_t n = std::max<std::uint32_t>(promptTokens, 1);
  return prefillSeconds(model, hardware, n, 0) / double(n);
}

}  // namespace kvlab
