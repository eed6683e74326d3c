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

namespace kvlab {

class KvPrefixSource {
public:
  virtual ~KvPrefixSource() = default;

  // P: the tokens of the prefix, [0, P), the same in every layer. 0 = no prefix.
  virtual std::int64_t tokens() const = 0;

  // Writes layer `layer`'s K/V of tokens [0, P) into k and v: (kv_heads, P, head_dim) views on the model
  // device in the model dtype, each head's (P, head_dim) rows contiguous (heads may be apart). Overwrites
  // every element. Called by the thread running the prefill, layers in any order, possibly more than once.
  virtual void read(int layer, const at::Tensor& k, const at::Tensor& v) const = 0;
};

}  // namespace kvlab
