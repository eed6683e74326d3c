// SPDX-License-Identifier: MIT
#pragma once
// A linear-attention / state-space layer (Qwen3-Next's Gated DeltaNet, Mamba): no per-token K/V, a state of
// constant size per sequence instead (vLLM's MambaSpec: one page per sequence). The state is split over
// tensor-parallel devices by heads. Its dtype is the model's (vLLM's mamba cache dtype "auto"), not
// --kv-dtype.
#include <cstdint>

#include "core/arch/kv_cache_spec.h"
#include "core/arch/kv_dtype.h"

namespace kvlab {

class LinearStateSpec final : public KvCacheSpec {
public:
  // elements: the whole state of one sequence in this layer (convolution history + recurrent state).
  LinearStateSpec(std::uint64_t elements, KvDtype dtype);

  std::string_view kind() const override { return "linear_state"; }
  std::uint64_t bytesPerToken(int /*tp*/ = 1) const override { return 0; }
  std::uint64_t tokensKept(std::uint64_t /*tokens*/) const override { return 0; }
  std::uint64_t attendedKeys(std::uint64_t /*position*/) const override { return 0; }
  double attendedKeysSum(std::uint64_t /*context*/, std::uint64_t /*newTokens*/) const override { return 0; }
  std::uint64_t stateBytes(int tp = 1) const override;  // elements / tp (rounded up) at the dtype

private:
  std::uint64_t m_elements = 0;
  KvDtype m_dtype = KvDtype::Bf16;
};

}  // namespace kvlab
