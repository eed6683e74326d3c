// SPDX-License-Identifier: MIT
#include "core/arch/mla_attention_spec.h"

namespace kvlab {

MlaAttentionSpec::MlaAttentionSpec(int kvLoraRank, int qkRopeHeadDim, KvDtype dtype)
    : m_kvLoraRank(kvLoraRank), m_qkRopeHeadDim(qkRopeHeadDim), m_dtype(dtype) {}

std::uint64_t MlaAttentionSpec::bytesPerToken(int /*tp*/) const {
  return kvBytes(std::uint64_t(m_kvLoraRank) + std::uint64_t(m_qkRopeHeadDim), m_dtype);
}

}  // namespace kvlab
