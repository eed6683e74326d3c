// SPDX-License-Identifier: MIT
#pragma once
// A Llama-style decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU MLP) with deterministic random
// weights. It knows nothing of prefixes or eviction: the caller hands it the K/V of a cached prefix
// and gets back the K/V of the tokens it computed.
// Internal to core/model and core/runner (it exposes tensors); ui/ and app/ use the runner instead.

#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/model/model_config.h"

namespace kvlab {

// Thrown by LlamaModel::prefill when its cancel flag is seen set (checked between layers).
class Cancelled : public std::runtime_error {
public:
  Cancelled() : std::runtime_error("prefill cancelled") {}
};

// K/V of one layer for a run of consecutive tokens, RoPE already applied to k.
struct LayerKv {
  at::Tensor k;  // (kv_heads, tokens, head_dim), contiguous, model dtype, model device
  at::Tensor v;  // (kv_heads, tokens, head_dim), contiguous
};

struct PrefillResult {
  at::Tensor lastLogits;       // (vocab) fp32 logits of the last prompt position, on the model device
  std::vector<LayerKv> newKv;  // one per layer; only the computed tokens [P, prompt)
};

class LlamaModel {
public:
  // Builds the weights from config.seed (bit-identical for the same config on any machine).
  // device: "cpu" or "cuda". Throws std::invalid_argument for a non-computable config or an unknown
  // device, std::runtime_error if "cuda" is asked for and unavailable.
  LlamaModel(const ModelConfig& config, const std::string& device);
  ~LlamaModel();
  LlamaModel(LlamaModel&&) noexcept;
  LlamaModel& operator=(LlamaModel&&) noexcept;

  // tokens: the whole prompt, ids in [0, vocab). cachedPrefix: per-layer K/V of the first P tokens
  // (empty => P = 0); every layer must hold the same P and P < tokens.size(). Computes only
  // tokens[P:], attending causally to the cached K/V plus the new tokens. Sets InferenceMode itself,
  // so any thread may call it; the model is immutable, so concurrent calls are safe.
  // cancel is checked between layers; when set, throws kvlab::Cancelled.
  // Throws std::invalid_argument for malformed input.
  PrefillResult prefill(std::span<const int32_t> tokens, const std::vector<LayerKv>& cachedPrefix,
                        const std::atomic<bool>* cancel = nullptr) const;

  const ModelConfig& config() const;
  std::string device() const;  // "cpu" or "cuda"

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// FLOPs (multiply-add = 2) of computing tokens [cachedTokens, promptTokens): all projections and the
// MLP per token, causal attention of each token to all previous ones (QK^T and PV), and the LM head on
// the last position. Elementwise work (norms, RoPE, softmax) is not counted.
double prefillFlops(const ModelConfig& config, int64_t promptTokens, int64_t cachedTokens);

}  // namespace kvlab
