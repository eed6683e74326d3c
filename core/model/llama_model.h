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

#include "core/arch/model_config.h"
#include "core/model/kv_prefix_source.h"

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
  std::vector<LayerKv> newKv;  // one per layer; only the computed tokens [P, prompt) (empty from extend)
  // Wall ms spent reading the cached prefix into the attention buffers (KvPrefixSource::read, every layer);
  // part of the prefill's time. On CUDA each read is bracketed by device barriers so that it is timed alone.
  double prefixReadMs = 0;
  // True when newKv are views of the prefix source's room (KvPrefixSource::segmentsWithRoom), not tensors of
  // their own: valid only until the source's owner next changes its storage. detachNewKv() makes them own.
  bool newKvInRoom = false;
};

// Gives newKv storage of their own when they lie in a prefix source's room (one copy of the computed tokens'
// K/V); a no-op otherwise. Call it before the cache that lent the room changes (a store, the next lookup)
// if newKv are used after that.
void detachNewKv(PrefillResult& result);

// The K/V of one sequence being decoded, grown in place: the per-sequence KV cache of autoregressive
// decoding. Per layer one K and one V buffer with room for `capacity` tokens, of which positions
// [0, length) are filled. Made by LlamaModel::newSequence; owned by the caller, used by one thread.
struct SequenceKv {
  std::vector<LayerKv> layers;  // k, v: (kv_heads, capacity, head_dim), contiguous, model device
  int64_t length = 0;           // tokens stored
  int64_t capacity = 0;
};

// The weights exactly as generated from the seed, before the model's exact rewrites (norm gains folded
// into the next projection, 1/sqrt(head_dim) folded into Q). For tests that check the model against an
// independent implementation of the Llama equations. CPU fp32; query head h uses K/V head h / (H / Hkv).
struct LlamaReferenceWeights {
  struct Layer {
    at::Tensor attnNorm;  // (d) RMSNorm gain before attention
    at::Tensor wq;        // (d, H*hd): query head h = columns [h*hd, (h+1)*hd)
    at::Tensor wk;        // (d, Hkv*hd): K/V head j = columns [j*hd, (j+1)*hd)
    at::Tensor wv;        // (d, Hkv*hd)
    at::Tensor wo;        // (H*hd, d)
    at::Tensor mlpNorm;   // (d) RMSNorm gain before the MLP
    at::Tensor wGate;     // (d, F)
    at::Tensor wUp;       // (d, F)
    at::Tensor wDown;     // (F, d)
    // Real checkpoints only (undefined in generated weights):
    at::Tensor qBias, kBias, vBias;  // (H*hd), (Hkv*hd), (Hkv*hd): Qwen2's projection biases
    at::Tensor qNorm, kNorm;         // (hd) RMSNorm gains on every query / key head (Qwen3), before RoPE
  };
  at::Tensor embed;      // (V, d)
  at::Tensor finalNorm;  // (d) RMSNorm gain before the LM head
  at::Tensor lmHead;     // (d, V); a checkpoint with tied embeddings: embed.t() (a view)
  std::vector<Layer> layers;
};
LlamaReferenceWeights generateReferenceWeights(const ModelConfig& config);

class CheckpointWeights;

class LlamaModel {
public:
  // Builds the weights from config.seed (bit-identical for the same config on any machine), generated in
  // fp32 and rounded once to config.dtype (weights, activations and K/V all use it; logits are returned in
  // fp32). device: "cpu", "cuda" or "cuda:N". Throws std::invalid_argument for a non-computable config, an
  // unknown device, fp16 on the CPU ("fp16 needs a CUDA device") or dtypeBytes not matching dtype;
  // std::runtime_error if CUDA is asked for and unavailable.
  LlamaModel(const ModelConfig& config, const std::string& device);
  // The same model with a real checkpoint's weights (core/model/checkpoint_weights.h: Llama, Mistral, Qwen2,
  // Qwen3), read one layer at a time, folded in fp32 and rounded once to config.dtype. config must be
  // weights.config() in the run's dtype (withDtype); config.seed is unused.
  LlamaModel(const ModelConfig& config, const std::string& device, const CheckpointWeights& weights);
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
  // The same with the cached K/V read in place: each layer's prefix is read from `prefix` straight into the
  // attention's K/V buffer (one copy, into memory every layer reuses), not assembled first. P =
  // prefix.tokens() < tokens.size(). Throws std::invalid_argument as above (a read of the wrong dtype or
  // device fails in LibTorch's copy).
  PrefillResult prefill(std::span<const int32_t> tokens, const KvPrefixSource& prefix,
                        const std::atomic<bool>* cancel = nullptr) const;

  // Empty per-sequence K/V storage for up to `capacity` tokens (>= 1) on the model device.
  SequenceKv newSequence(int64_t capacity) const;
  // Copies per-layer K/V of the next tokens (e.g. a cached prefix, then a prefill's newKv) into the
  // sequence after its `length` tokens. Throws std::invalid_argument if it does not fit or shapes differ.
  void appendToSequence(SequenceKv& sequence, const std::vector<LayerKv>& kv) const;
  // The same for a prefix read in place (its tokens() tokens, written straight into the sequence's slots).
  void appendToSequence(SequenceKv& sequence, const KvPrefixSource& prefix) const;
  // tokens: the whole sequence so far; sequence holds the K/V of tokens [0, sequence.length). Computes
  // tokens [length, tokens.size()) (one token per decode step), writes their K/V into the sequence in place
  // (no copy of the stored K/V) and sets length = tokens.size(). The logits equal
  // prefill(tokens, K/V of the first `length` tokens). Same threading, cancel and errors as prefill.
  PrefillResult extend(std::span<const int32_t> tokens, SequenceKv& sequence,
                       const std::atomic<bool>* cancel = nullptr) const;

  const ModelConfig& config() const;
  std::string device() const;  // as given to the constructor: "cpu", "cuda" or "cuda:N"

private:
  LlamaModel(const ModelConfig& config, const std::string& device, const CheckpointWeights* weights);
  // Computes tokens [P, end): K/V of [0, P) are read from `prefix`, or lie in `sequence` (which then also
  // receives the new K/V in place). Inputs are validated by the callers.
  PrefillResult forward(std::span<const int32_t> tokens, int64_t P, const KvPrefixSource* prefix,
                        SequenceKv* sequence, const std::atomic<bool>* cancel) const;

  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// FLOPs (multiply-add = 2) of computing tokens [cachedTokens, promptTokens): all projections and the
// MLP per token, causal attention of each token to all previous ones (QK^T and PV), and the LM head on
// the last position. Elementwise work (norms, RoPE, softmax) is not counted.
double prefillFlops(const ModelConfig& config, int64_t promptTokens, int64_t cachedTokens);

}  // namespace kvlab
