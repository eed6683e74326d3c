// SPDX-License-Identifier: MIT
#pragma once
// Multi-head latent attention (DeepSeek V2/V3, Kimi K2): one compressed vector per token, kv_lora_rank
// elements of latent plus qk_rope_head_dim of the decoupled RoPE key, shared by all heads. vLLM stores it
// so (MLAAttentionSpec: one "head" of kv_lora_rank + qk_rope_head_dim, no separate V) and keeps every token;
// under tensor parallelism every device holds the whole latent (it is not split by heads).
#include "core/arch/kv_cache_spec.h"
#include "core/arch/kv_dtype.h"

namespace kvlab {

class MlaAttentionSpec final : public KvCacheSpec {
public:
  MlaAttentionSpec(int kvLoraRank, int qkRopeHeadDim, KvDtype dtype);

  std::string_view kind() const override { return "mla"; }
  std::uint64_t bytesPerToken(int tp = 1) const override;  // kvLoraRank + qkRopeHeadDim elements
  std::uint64_t tokensKept(std::uint64_t tokens) const override { return tokens; }
  std::uint64_t attendedKeys(std::uint64_t position) const override { return position + 1; }
  double attendedKeysSum(std::uint64_t context, std::uint64_t newTokens) const override {
    return causalKeysSum(context, newTokens);
  }

private:
  int m_kvLoraRank = 0;
  int m_qkRopeHeadDim = 0;
  KvDtype m_dtype = KvDtype::Bf16;
};

}  // namespace kvlab
