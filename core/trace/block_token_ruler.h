// SPDX-License-Identifier: MIT
#pragma once
// The token accounting rule of trace_request.h for one request: how many prompt tokens block b stands for,
// and how many the first k blocks cover, uniform blocks of blockSize or per-block counts, always cut at
// the input length. Replayers, bounds and the serving conversion all count through it.
#include <algorithm>
#include <cstdint>
#include <span>

namespace kvlab {

class BlockTokenRuler {
public:
  // weights: the request's blockTokens (empty = uniform blocks of blockSize). Holds views: keep them alive.
  BlockTokenRuler(std::uint32_t blockSize, std::uint64_t inputLength, std::span<const std::uint32_t> weights)
      : m_blockSize(blockSize), m_prompt(inputLength), m_weights(weights) {}

  // Tokens of the first k blocks, within the prompt. O(1) uniform, O(k) with weights.
  std::uint64_t leading(std::size_t k) const {
    if (m_weights.empty()) return std::min<std::uint64_t>(std::uint64_t(k) * m_blockSize, m_prompt);
    std::uint64_t sum = 0;
    for (std::size_t b = 0; b < k && b < m_weights.size() && sum < m_prompt; ++b) sum += m_weights[b];
    return std::min(sum, m_prompt);
  }
  // Walks the blocks in order: tokens of the next block (0 once past the prompt).
  std::uint64_t nextBlock() {
    const std::uint64_t width = m_weights.empty() ? m_blockSize
                                : m_index < m_weights.size() ? m_weights[m_index]
                                                             : 0;
    ++m_index;
    const std::uint64_t start = m_covered;
    m_covered = std::min(m_prompt, m_covered + width);
    return m_covered - start;
  }
  // Skips to block b (b >= the blocks walked so far).
  void seek(std::size_t b) {
    if (m_weights.empty()) {
      m_index = b;
      m_covered = std::min<std::uint64_t>(std::uint64_t(b) * m_blockSize, m_prompt);
      return;
    }
    while (m_index < b) nextBlock();
  }

private:
  std::uint64_t m_blockSize;
  std::uint64_t m_prompt;
  std::span<const std::uint32_t> m_weights;
  std::size_t m_index = 0;      // blocks walked
  std::uint64_t m_covered = 0;  // their tokens, within the prompt
};

}  // namespace kvlab
