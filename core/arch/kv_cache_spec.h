// SPDX-License-Identifier: MIT
#pragma once
// What one layer keeps per sequence, modelled on vLLM's KV cache specs (vllm/v1/kv_cache_interface.py:
// FullAttentionSpec, SlidingWindowSpec, MLAAttentionSpec, MambaSpec): one small type per layer kind that
// answers "bytes per token / per block" and "how many tokens must stay". Everything that sizes a cache (the
// replay's byte budget, the serving pool, the Tune page's GiB axis, `kvlab-cli model`) asks a KvCacheLayout
// (kv_cache_layout.h), which asks these; nothing else branches on the layer kind or the model's name.
//
// Every figure is for one device of a tensor-parallel group of `tp` devices (tp = 1: the whole layer):
// K/V heads are split over the devices (and replicated when there are fewer heads than devices, as vLLM
// does), an MLA latent is replicated on every device, a recurrent state is split by heads.
#include <cstdint>
#include <string_view>

namespace kvlab {

class KvCacheSpec {
public:
  virtual ~KvCacheSpec() = default;

  // "full_attention", "sliding_window", "mla" or "linear_state".
  virtual std::string_view kind() const = 0;
  // Bytes one more token of a sequence adds to this layer's cache on one device (0 for a constant state).
  virtual std::uint64_t bytesPerToken(int tp = 1) const = 0;
  // Tokens of a sequence of `tokens` tokens whose K/V this layer must keep: all of them (full attention,
  // MLA), at most its window (sliding window), none (a recurrent state).
  virtual std::uint64_t tokensKept(std::uint64_t tokens) const = 0;
  // Keys the token at 0-based `position` attends to (attention FLOPs and K/V reads): position + 1, at most
  // the window; 0 for a recurrent state.
  virtual std::uint64_t attendedKeys(std::uint64_t position) const = 0;
  // The sum of attendedKeys over positions [context, context + newTokens): the keys a chunk of newTokens
  // tokens after `context` cached ones attends to (attention FLOPs of a step).
  virtual double attendedKeysSum(std::uint64_t context, std::uint64_t newTokens) const = 0;
  // Bytes a sequence holds in this layer whatever its length (a recurrent state), on one device.
  virtual std::uint64_t stateBytes(int /*tp*/ = 1) const { return 0; }
  // Tokens of the sliding window; 0 = none.
  virtual std::uint32_t window() const { return 0; }

  std::uint64_t bytesPerBlock(std::uint32_t blockTokens, int tp = 1) const {
    return std::uint64_t(blockTokens) * bytesPerToken(tp);
  }
  // Everything one sequence of `tokens` tokens holds in this layer on one device.
  std::uint64_t bytesForSequence(std::uint64_t tokens, int tp = 1) const {
    return tokensKept(tokens) * bytesPerToken(tp) + stateBytes(tp);
  }
};

// Sum of position + 1 over [context, context + newTokens): causal attention to every earlier token.
inline double causalKeysSum(std::uint64_t context, std::uint64_t newTokens) {
  const double c = double(context), k = double(newTokens);
  return k * c + k * (k + 1) / 2;
}

// K/V heads on one of `tp` devices: kvHeads / tp rounded up, at least one (replicated when tp > kvHeads).
inline std::uint64_t kvHeadsPerDevice(std::uint64_t kvHeads, int tp) {
  const std::uint64_t n = tp > 1 ? std::uint64_t(tp) : 1;
  return kvHeads <= n ? 1 : (kvHeads + n - 1) / n;
}

}  // namespace kvlab
