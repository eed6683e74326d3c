// SPDX-License-Identifier: MIT
#pragma once
// What a cached prompt token is worth in prefill time, from the step cost model (a roofline, never a
// measurement): the cost of prefilling `promptTokens` tokens from scratch as one sequence in one step,
// divided by promptTokens. The Tune page multiplies it by tokens saved (hit tokens) to show prefill
// GPU-seconds saved per hour of a trace, labelled "cost model, <hardware>".
#include <cstdint>

#include "core/arch/model_config.h"
#include "core/hardware/hardware_profile.h"

namespace kvlab {

// Seconds per token (cost model) of a from-scratch prefill of promptTokens tokens (>= 1; 0 is taken as 1):
// FLOPs of the linear layers for every token, causal attention over promptTokens * (promptTokens + 1) / 2
// pairs, one logit row; memory = weights once plus the K/V written.
double prefillSecondsPerToken(const ModelConfig& model, const HardwareProfile& hardware,
                              std::uint32_t promptTokens);

}  // namespace kvlab
