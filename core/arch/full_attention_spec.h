// SPDX-License-Identifier: MIT
#pragma once
// A layer that attends to every earlier token (MHA, GQA, MQA): K and V of kvHeads x headDim per token, all
// kept (vLLM's FullAttentionSpec).
#include "core/arch/kv_cache_spec.h"
#include "core/arch/kv_dtype.h"

namespace kvlab {

class FullAttentionSpec final : public KvCacheSpec {
public:
  FullAttentionSpec(int kvHeads, int headDim, KvDtype dtype);

  std::string_view kind() const override { return "full_attention"; }
  std::uint64_t bytesPerToken(int tp = 1) const override;  // 2 x kvHeads x headDim elements (K and V)
  std::uint64_t tokensKept(std::uint64_t tokens) const override { return tokens; }
  std::uint64_t attendedKeys(std::uint64_t position) const override { return position + 1; }
  double attendedKeysSum(std::uint64_t context, std::uint64_t newTokens) const override {
    return causalKeysSum(context, newTokens);
  }

private:
  int m_kvHeads = 0;
  int m_headDim = 0;
  KvDtype m_dtype = KvDtype::Bf16;
};

}  // namespace kvlab
