// SPDX-License-Identifier: MIT
#include "core/replay/lru_stack_pass.h"

#include <algorithm>

#include "core/trace/block_token_ruler.h"

namespace kvlab {

void LruStackPass::TouchTree::set(std::uint64_t t, int delta) {
  ensure(t + 1);
  m_marks[t] = std::int8_t(m_marks[t] + delta);
  for (std::uint64_t i = t + 1; i <= m_tree.size(); i += i & (~i + 1)) m_tree[i - 1] += delta;
  m_total += delta;
}

std::int64_t LruStackPass::TouchTree::prefix(std::uint64_t t) const {
  std::int64_t sum = 0;
  for (std::uint64_t i = std::min<std::uint64_t>(t + 1, m_tree.size()); i > 0; i -= i & (~i + 1))
    sum += m_tree[i - 1];
  return sum;
}

void LruStackPass::TouchTree::ensure(std::uint64_t n) {
  if (n <= m_tree.size()) return;
  // Rebuild at double size from the marks, in O(n): a Fenwick tree cannot grow in place.
  std::uint64_t size = std::max<std::uint64_t>(1024, m_tree.size());
  while (size < n) size *= 2;
  m_marks.resize(size, 0);
  m_tree.assign(size, 0);
  for (std::uint64_t i = 0; i < size; ++i) {
    m_tree[i] += m_marks[i];
    const std::uint64_t parent = i + ((i + 1) & (~(i + 1) + 1));
    if (parent < size) m_tree[parent] += m_tree[i];
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
    m_distinctAtBoundary = m_last.size();
  }
  if (measured) {
    ++m_requests;
    m_promptTokens += request.inputLength;
    m_blocks += request.hashIds.size();
  } else {
    ++m_warmupRequests;
  }
  // Stack distances at arrival (before this request's own touches); absent or expired = infinite.
  m_prefixMax.clear();
  m_prefixGap.clear();
  std::uint64_t runningMax = 0;
  std::int64_t runningGap = 0;
  for (const std::uint64_t id : request.hashIds) {
    const auto it = m_last.find(id);
    std::uint64_t d = UINT64_MAX;
    if (it != m_last.end()) {
      const std::int64_t gap = request.timestampMs - it->second.timeMs;
      if (!(m_base.ttlMs > 0 && gap > m_base.ttlMs)) d = std::uint64_t(m_tree.after(it->second.touch));
      runningGap = std::max(runningGap, gap);
    }
    runningMax = std::max(runningMax, d);
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
        if (d >= m_hitTokensByDistance.size()) {
          m_hitTokensByDistance.resize(d + 1, 0);
          m_hitBlocksByDistance.resize(d + 1, 0);
        }
        m_hitTokensByDistance[d] += walk.nextBlock();
        ++m_hitBlocksByDistance[d];
      }
    }
  }
  // Touch last to first, as the replay does.
  for (std::size_t i = request.hashIds.size(); i-- > 0;) {
    auto [it, inserted] = m_last.try_emplace(request.hashIds[i], Last{m_now, request.timestampMs});
    if (inserted) {
      if (measured) ++m_firstTouches;
    } else {
      // Without a TTL, this touch inserts into a cache of C blocks exactly when its stack distance
      // (distinct blocks touched since its last touch) is >= C.
      if (measured) {
        const auto d = std::size_t(m_tree.after(it->second.touch));
        if (d >= m_touchDistances.size()) m_touchDistances.resize(d + 1, 0);
        ++m_touchDistances[d];
      }
      m_tree.set(it->second.touch, -1);
    }
    it->second = Last{m_now, request.timestampMs};
    m_tree.set(m_now, +1);
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
      const std::uint64_t heldEnd = std::min<std::uint64_t>(m_capacities[s], m_last.size());
      const std::uint64_t heldStart = std::min<std::uint64_t>(m_capacities[s], boundary);
      r.evictions = inserts - (heldEnd - heldStart);
    }
  }
  return out;
}

}  // namespace kvlab
