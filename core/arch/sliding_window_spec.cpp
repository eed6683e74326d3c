// SPDX-License-Identifier: MIT
#include "core/arch/sliding_window_spec.h"

namespace kvlab {

SlidingWindowSpec::SlidingWindowSpec(int kvHeads, int headDim, std::uint32_t window, KvDtype dtype)
    : m_kvHeads(kvHeads), m_headDim(headDim), m_window(window), m_dtype(dtype) {}

std::uint64_t SlidingWindowSpec::bytesPerToken(int tp) const {
  return kvBytes(2 * kvHeadsPerDevice(std::uint64_t(m_kvHeads), tp) * std::uint64_t(m_headDim), m_dtype);
}

// Sum of min(v, window) for v = position + 1 over [context + 1, context + newTokens].
double SlidingWindowSpec::attendedKeysSum(std::uint64_t context, std::uint64_t newTokens) const {
  const double c = double(context), k = double(newTokens), w = double(m_window);
  if (c + k <= w) return causalKeysSum(context, newTokens);
  if (c >= w) return k * w;
  // v from c + 1 to w attend to v keys, the remaining k - (w - c) to w keys each.
  return (w * (w + 1) - c * (c + 1)) / 2 + (k - (w - c)) * w;
}

}  // namespace kvlab
