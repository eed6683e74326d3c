// SPDX-License-Identifier: MIT
#include "core/arch/full_attention_spec.h"

namespace kvlab {

FullAttentionSpec::FullAttentionSpec(int kvHeads, int headDim, KvDtype dtype)
    : m_kvHeads(kvHeads), m_headDim(headDim), m_dtype(dtype) {}

std::uint64_t FullAttentionSpec::bytesPerToken(int tp) const {
  return kvBytes(2 * kvHeadsPerDevice(std::uint64_t(m_kvHeads), tp) * std::uint64_t(m_headDim), m_dtype);
}

}  // namespace kvlab
