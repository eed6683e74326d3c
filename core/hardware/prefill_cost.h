// SPDX-License-Identifier: MIT
#pragma once
// What a prefill costs on the cost model (step_cost_model.h; a roofline, never a measurement): one sequence
// alone in one step. The GUI's trace runs price every request's TTFT with prefillSeconds, `simulate` prices
// the same step through the same StepCostModel, so both give the same figure for the same request; the
// Tune page multiplies prefillSecondsPerToken by the hit tokens to show prefill GPU-seconds saved.
#include <cstdint>

#include "core/arch/model_config.h"
#include "core/hardware/hardware_profile.h"

namespace kvlab {

// Seconds (cost model) to prefill a prompt of promptTokens tokens whose first cachedTokens are cached
// (computing the rest in one step, emitting one token). cachedTokens >= promptTokens: the time of a step
// that computes nothing but the logit.
double prefillSeconds(const ModelConfig& model, const HardwareProfile& hardware, std::uint64_t promptTokens,
                      std::uint64_t cachedTokens, int tp = 1);
// FLOPs of that prefill (the same step's FLOPs; trace runs' ideal speedup).
double prefillStepFlops(const ModelConfig& model, std::uint64_t promptTokens, std::uint64_t cachedTokens);

// Seconds per token (cost model) of a from-scratch prefill of promptTokens tokens (>= 1; 0 is taken as 1):
// prefillSeconds(promptTokens, 0) / promptTokens.
double prefillSecondsPerToken(const ModelConfig& model, const HardwareProfile& hardware,
                              std::uint32_t promptTokens);

}  // namespace kvlab
