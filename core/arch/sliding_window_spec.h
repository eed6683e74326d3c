// SPDX-License-Identifier: MIT
#pragma once
// A layer that attends to the last `window` tokens only (gpt-oss, Gemma 3, Mistral 7B v0.1): K and V like
// full attention, but a sequence never keeps more than its window (vLLM's SlidingWindowSpec frees the
// blocks that fall out of it). A token at position p attends to min(p + 1, window) keys, itself included,
// as Hugging Face's sliding-window mask does.
#include "core/arch/kv_cache_spec.h"
#include "core/arch/kv_dtype.h"

namespace kvlab {

class SlidingWindowSpec final : public KvCacheSpec {
public:
  SlidingWindowSpec(int kvHeads, int headDim, std::uint32_t window, KvDtype dtype);

  std::string_view kind() const override { return "sliding_window"; }
  std::uint64_t bytesPerToken(int tp = 1) const override;  // 2 x kvHeads x headDim elements (K and V)
  std::uint64_t tokensKept(std::uint64_t tokens) const override {
    return tokens < m_window ? tokens : m_window;
  }
  std::uint64_t attendedKeys(std::uint64_t position) const override {
    return position + 1 < m_window ? position + 1 : m_window;
  }
  double attendedKeysSum(std::uint64_t context, std::uint64_t newTokens) const override;
  std::uint32_t window() const override { return m_window; }

private:
  int m_kvHeads = 0;
  int m_headDim = 0;
  std::uint32_t m_window = 0;
  KvDtype m_dtype = KvDtype::Bf16;
};

}  // namespace kvlab
