// SPDX-License-Identifier: MIT
#pragma once
// How a serving engine's device memory divides up, per device of a tensor-parallel group of `tp`: vLLM's
// gpu_memory_utilization share of the memory, minus the weights (split over the devices), minus what the
// running sequences hold outside the K/V blocks (the windows of windowed layers and the states of
// linear-attention layers, for maxRunning sequences), leaves the K/V pool; a block of blockSize tokens
// costs blockSize x the layers that keep every token's bytes per token on one device (KvCacheLayout).
// Used by `simulate`, `fleet --serving` and the Serving page when no pool size is given.
#include <cstdint>

#include "core/arch/model_config.h"
#include "core/hardware/hardware_profile.h"

namespace kvlab {

// vLLM's gpu_memory_utilization default.
inline constexpr double kServingMemoryFraction = 0.9;

struct KvPoolPlan {
  double usableBytes = 0;        // memoryBytes x memory fraction, one device
  double weightBytes = 0;        // one device's share of the weights
  double sequenceBytes = 0;      // windows and states of maxRunning sequences, one device
  double poolBytes = 0;          // what is left for K/V blocks, one device
  std::uint64_t blockBytes = 0;  // one block of blockSize tokens, one device
  std::uint64_t blocks = 0;      // poolBytes / blockBytes
};

// Throws InputError (field "pool-size": the default pool cannot be had) when the weights and the sequences'
// fixed state do not leave room for one block, naming every figure, and for a model that keeps nothing per
// token.
KvPoolPlan planKvPool(const ModelConfig& model, const HardwareProfile& hardware, int tp,
                      std::uint32_t blockSize, std::uint32_t maxRunning,
                      double memoryFraction = kServingMemoryFraction);

}  // namespace kvlab
