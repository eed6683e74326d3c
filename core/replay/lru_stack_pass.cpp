// SPDX-License-Identifier: MIT
#include "core/replay/lru_stack_pass.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "core/trace/block_token_ruler.h"

namespace kvlab {

void LruStackPass::TouchTree::mark(std::uint64_t t) {
  // Touches only ever append: a word's count enters the tree once the touches move past it, so a mark
  // costs one bit, not a walk. Queries never need the newest word's count (they sum the words before
  // theirs), and m_total has it.
  const std::uint64_t word = t / 64;
  grow(word + 1);
  for (; m_flushedWords < word; ++m_flushedWords) {
    const int count = std::popcount(m_bits[m_flushedWords]);
    if (count == 0) continue;
    m_inTree += count;
    for (std::uint64_t k = m_flushedWords + 1; k <= m_words.size(); k += k & (~k + 1)) m_words[k - 1] += count;
  }
  m_bits[word] |= std::uint64_t(1) << (t % 64);
  ++m_total;
}

void LruStackPass::TouchTree::unmark(std::uint64_t t) {
  const std::uint64_t word = t / 64;
  m_bits[word] &= ~(std::uint64_t(1) << (t % 64));
  if (word < m_flushedWords) {
    for (std::uint64_t k = word + 1; k <= m_words.size(); k += k & (~k + 1)) --m_words[k - 1];
    --m_inTree;
  }
  --m_total;
}

std::int64_t LruStackPass::TouchTree::prefix(std::uint64_t t) const {
  const std::uint64_t word = t / 64;
  if (word >= m_words.size()) return m_total;
  std::int64_t sum = 0;
  for (std::uint64_t k = word; k > 0; k -= k & (~k + 1)) sum += m_words[k - 1];  // whole words before
  const unsigned bit = unsigned(t % 64);
  const std::uint64_t upTo = bit == 63 ? ~std::uint64_t(0) : (std::uint64_t(1) << (bit + 1)) - 1;
  return sum + std::popcount(m_bits[word] & upTo);
}

void LruStackPass::TouchTree::grow(std::uint64_t words) {
  // Doubling in place: every word in the tree lies below the old size s, so of the new nodes only node 2s
  // (which sums words (0, 2s]) is non-zero: it holds the whole tree. The others sum ranges inside (s, 2s).
  if (m_words.empty() && words > 0) {
    m_words.assign(64, 0);
    m_bits.assign(64, 0);
  }
  while (m_words.size() < words) {
    const std::size_t size = m_words.size() * 2;
    m_words.resize(size, 0);
    m_bits.resize(size, 0);
    m_words[size - 1] = std::int32_t(m_inTree);
  }
}

LruStackPass::LruStackPass(const ReplayConfig& base, std::vector<std::uint64_t> capacities, bool withHistogram)
    : m_base(base),
      m_capacities(std::move(capacities)),
      m_hitTokens(m_capacities.size(), 0),
      m_hitBlocks(m_capacities.size(), 0),
      m_withHistogram(withHistogram) {}

void LruStackPass::add(const TraceRequest& request, bool measured) {
  if (measured && !m_sawMeasured) {
    m_sawMeasured = true;
    m_distinctAtBoundary = m_lasts.size();
  }
  if (measured) {
    ++m_requests;
    m_promptTokens += request.inputLength;
    m_blocks += request.hashIds.size();
  } else {
    ++m_warmupRequests;
  }
  // Stack distances at arrival (before this request's own touches); absent or expired = infinite, and then
  // every later block's running max is too: no more distances to count. Each block's entry is found once
  // here (a first-seen block gets a kNotYet entry) and touched through m_slots below.
  const std::size_t n = request.hashIds.size();
  m_slots.clear();
  m_prefixMax.clear();
  m_prefixGap.clear();
  std::uint64_t runningMax = 0;
  std::int64_t runningGap = 0;
  // The index is scattered over every block seen: ask for a few ids ahead so their cache misses overlap
  // instead of queueing one behind the other.
  constexpr std::size_t kAhead = 8;
  for (std::size_t i = 0; i < std::min(n, kAhead); ++i) m_index.prefetch(request.hashIds[i]);
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) m_index.prefetch(request.hashIds[i + kAhead]);
    SlotId slot = m_index.findOrPut(request.hashIds[i], SlotId(m_lasts.size()));
    if (slot == kNoSlot) {
      if (m_lasts.size() >= kNoSlot - 1)  // 32-bit entry numbers: over 4 billion distinct blocks
        throw std::length_error("LruStackPass: more than 4,294,967,294 distinct blocks");
      slot = SlotId(m_lasts.size());
      m_lasts.push_back(Last{kNotYet, 0});
    }
    m_slots.push_back(slot);
    const Last& last = m_lasts[slot];
    if (runningMax != UINT64_MAX) {
      std::uint64_t d = UINT64_MAX;
      if (last.touch != kNotYet) {
        const std::int64_t gap = request.timestampMs - last.timeMs;
        if (!(m_base.ttlMs > 0 && gap > m_base.ttlMs)) d = std::uint64_t(m_tree.after(last.touch));
        runningGap = std::max(runningGap, gap);
      }
      runningMax = std::max(runningMax, d);
    }
    m_prefixMax.push_back(runningMax);
    m_prefixGap.push_back(runningGap);
  }
  if (measured) {
    const bool uniform = request.blockTokens.empty();
    const BlockTokenRuler ruler(m_base.blockSize, request.inputLength, request.blockTokens);
    for (std::size_t s = 0; s < m_capacities.size(); ++s) {
      // Blocks with prefix-max distance < capacity are hits: a count via binary search (prefixMax ascends).
      const auto hitBlocks = std::uint64_t(
          std::lower_bound(m_prefixMax.begin(), m_prefixMax.end(), m_capacities[s]) - m_prefixMax.begin());
      m_hitBlocks[s] += hitBlocks;
      m_hitTokens[s] += uniform ? std::min<std::uint64_t>(hitBlocks * m_base.blockSize, request.inputLength)
                                : ruler.leading(std::size_t(hitBlocks));
    }
    if (m_withHistogram) {
      BlockTokenRuler walk(m_base.blockSize, request.inputLength, request.blockTokens);
      for (const std::uint64_t d : m_prefixMax) {
        if (d == UINT64_MAX) break;  // ascending: the rest miss too
        if (d >= m_hitsByDistance.size()) m_hitsByDistance.resize(d + 1);
        m_hitsByDistance[d].tokens += walk.nextBlock();
        ++m_hitsByDistance[d].blocks;
      }
    }
  }
  // Touch last to first, as the replay does. The touch distances only feed the evictions at the capacities
  // asked for (results()): without any, or with a TTL, they are not counted.
  const bool countTouchDistances = measured && !m_capacities.empty() && countsEvictions();
  for (std::size_t i = n; i-- > 0;) {
    Last& last = m_lasts[m_slots[i]];
    if (last.touch == kNotYet) {
      if (measured) ++m_firstTouches;
    } else {
      // Without a TTL, this touch inserts into a cache of C blocks exactly when its stack distance
      // (distinct blocks touched since its last touch) is >= C.
      if (countTouchDistances) {
        const auto d = std::size_t(m_tree.after(last.touch));
        if (d >= m_touchDistances.size()) m_touchDistances.resize(d + 1, 0);
        ++m_touchDistances[d];
      }
      m_tree.unmark(last.touch);
    }
    last = Last{m_now, request.timestampMs};
    m_tree.mark(m_now);
    ++m_now;
  }
}

std::vector<ReplayResult> LruStackPass::results(double elapsedS, std::uint64_t skippedLines) const {
  std::vector<ReplayResult> out(m_capacities.size());
  const std::uint64_t boundary = distinctBeforeMeasuring();
  for (std::size_t s = 0; s < m_capacities.size(); ++s) {
    ReplayResult& r = out[s];
    r.requests = m_requests;
    r.promptTokens = m_promptTokens;
    r.blocks = m_blocks;
    r.hitTokens = m_hitTokens[s];
    r.hitBlocks = m_hitBlocks[s];
    r.capacityBlocks = m_capacities[s];
    r.elapsedS = elapsedS;
    r.skippedLines = skippedLines;
    r.warmupRequests = m_warmupRequests;
    // Without a TTL a cache of C blocks holds min(C, distinct blocks touched) (with one: an upper bound).
    r.filledDuringWarmup = m_warmupRequests > 0 && m_capacities[s] != kUnlimited && m_capacities[s] > 0 &&
                           boundary >= m_capacities[s];
    if (countsEvictions() && m_capacities[s] > 0) {
      // Inserts = first touches + touches at distance >= C; nothing but capacity removes blocks, so the
      // evictions while measuring = inserts - (blocks held at the end - blocks held when measuring began),
      // a cache of C blocks holding min(C, distinct blocks touched).
      std::uint64_t inserts = m_firstTouches;
      for (std::size_t d = std::size_t(std::min<std::uint64_t>(m_capacities[s], m_touchDistances.size()));
           d < m_touchDistances.size(); ++d)
        inserts += m_touchDistances[d];
      const std::uint64_t heldEnd = std::min<std::uint64_t>(m_capacities[s], m_lasts.size());
      const std::uint64_t heldStart = std::min<std::uint64_t>(m_capacities[s], boundary);
      r.evictions = inserts - (heldEnd - heldStart);
    }
  }
  return out;
}

}  // namespace kvlab
