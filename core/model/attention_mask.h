// SPDX-License-Identifier: MIT
#pragma once
// The causal mask of a prefill that reuses a cached prefix. Internal to core/model (it returns a tensor).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace kvlab {

// (queries, keys) bool, true = may attend. The queries are the LAST `queries` positions of a sequence of
// `keys` tokens (keys >= queries >= 1): the P = keys - queries cached tokens come first, so query i sits at
// position P + i and sees keys [0, P + i]. The mask is aligned to the bottom-right corner:
// mask[i][j] = (j <= P + i). LibTorch's built-in `is_causal` is top-left aligned (j <= i) and would hide
// the cached prefix from every query; the attention kernels use this mask instead. Throws
// std::invalid_argument for queries < 1 or keys < queries.
at::Tensor bottomRightCausalMask(int64_t queries, int64_t keys, const at::TensorOptions& options);

}  // namespace kvlab
