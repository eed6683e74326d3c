// SPDX-License-Identifier: MIT
#pragma once
// The K/V of a cached prefix, left where its owner keeps it. The prefill reads it one layer at a time
// straight into its attention buffer, so a hit costs one copy of the cached K/V (into a buffer every layer
// reuses, which stays in cache) instead of assembling the whole prefix first (a fresh tensor the size of
// the prefix, per request) and concatenating it again per layer. The model knows nothing of blocks or
// entries: the cache implements this (core/runner/cached_prefix.h); the model only asks for layers.
// Internal to core/model and core/runner (it exposes tensors).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace kvlab {

// A stretch of a layer's cached K/V lying in one piece of storage: (kv_heads, tokens, head_dim) views, each
// head's rows contiguous (heads may be apart), valid while their source lives.
struct KvSegment {
  at::Tensor k;
  at::Tensor v;
};

class KvPrefixSource {
public:
  virtual ~KvPrefixSource() = default;

  // P: the tokens of the prefix, [0, P), the same in every layer. 0 = no prefix.
  virtual std::int64_t tokens() const = 0;

  // Writes layer `layer`'s K/V of tokens [0, P) into k and v: (kv_heads, P, head_dim) views on the model
  // device in the model dtype, each head's (P, head_dim) rows contiguous (heads may be apart). Overwrites
  // every element. Called by the thread running the prefill, layers in any order, possibly more than once.
  virtual void read(int layer, const at::Tensor& k, const at::Tensor& v) const = 0;

  // Layer `layer`'s K/V of tokens [0, P) as views where they already lie, in token order, appended to
  // `out`: the prefill then attends to them in place, with no copy at all (vLLM's paged attention reads
  // its block table the same way). False (out untouched) when the prefix lies in too many pieces for that
  // to pay; the prefill then read()s it. Default: false.
  virtual bool segments(int layer, std::vector<KvSegment>& out) const {
    (void)layer;
    (void)out;
    return false;
  }

  // As segments(), but the last stretch runs on for `newTokens` tokens past the prefix, into storage that
  // nobody holds (free pool blocks right after the prefix's last run): the prefill writes the new tokens'
  // K/V there, so prefix and new tokens are one stretch and each layer's attention is one matrix product
  // per side instead of two (vLLM writes a step's K/V into slots allocated before the forward, for the same
  // reason). The prefill's newKv are then views of that room (PrefillResult::newKvInRoom), valid until the
  // owner next changes its storage. False (out untouched) when there is no such room. Default: false.
  virtual bool segmentsWithRoom(int layer, std::int64_t newTokens, std::vector<KvSegment>& out) const {
    (void)layer;
    (void)newTokens;
    (void)out;
    return false;
  }
};

}  // namespace kvlab
