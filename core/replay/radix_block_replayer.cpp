// SPDX-License-Identifier: MIT
#include "core/replay/radix_block_replayer.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

RadixBlockReplayer::RadixBlockReplayer(const ReplayConfig& config,
                                       std::shared_ptr<const NextUseIndex> nextUse)
    : m_config(config) {
  if (config.blockSize == 0) throw std::invalid_argument("block size must be at least 1 token");
  if (config.policy != "lru" && config.policy != "opt")
    throw std::invalid_argument(
        "radix granularity evicts the least recently used leaf (SGLang's RadixCache), "
        "or with opt the leaf used farthest ahead: not " +
        config.policy);
  if (config.policy == "opt") {
    if (!nextUse) throw std::invalid_argument("opt needs the whole trace up front (its NextUseIndex)");
    m_nextUse = std::make_unique<NextUseCursor>(std::move(nextUse));
  }
  if (config.ttlMs > 0) throw std::invalid_argument("radix granularity in replay has no TTL");
  if (!config.lowerTiers.empty()) throw std::invalid_argument("radix granularity in replay has one tier");
  m_capacity = config.capacityBlocks();
  m_nodes.emplace_back();  // the root
  m_result.capacityBlocks = m_capacity;
  m_result.bytesPerBlock = Bytes(config.blockSize) * std::max<Bytes>(1, config.bytesPerToken);
}

std::uint32_t RadixBlockReplayer::findChild(std::uint32_t parent, std::uint64_t id) const {
  const auto it = m_children.find(ChildKey{parent, id});
  return it == m_children.end() ? kRoot : it->second;
}

RadixBlockReplayer::LeafKey RadixBlockReplayer::leafKey(std::uint32_t node) const {
  const Node& n = m_nodes[node];
  return {m_nextUse ? ~n.nextUse : 0, n.tick, node};  // opt: farthest next use first
}

void RadixBlockReplayer::touch(std::uint32_t node, std::int64_t nowMs) {
  Node& n = m_nodes[node];
  if (n.children == 0 && n.locks == 0) m_leaves.erase(leafKey(node));
  n.tick = ++m_tick;
  n.lastAccessMs = nowMs;
  ++n.reuse;
  if (m_nextUse) n.nextUse = m_nextUse->nextUse(CacheKey{n.id, 0});
  if (n.children == 0 && n.locks == 0) m_leaves.insert(leafKey(node));
}

void RadixBlockReplayer::lock(std::uint32_t node) {
  Node& n = m_nodes[node];
  if (n.locks++ == 0 && n.children == 0) m_leaves.erase(leafKey(node));
  m_path.push_back(node);
}

void RadixBlockReplayer::unlock(std::uint32_t node) {
  Node& n = m_nodes[node];
  if (--n.locks == 0 && n.children == 0) m_leaves.insert(leafKey(node));
}

bool RadixBlockReplayer::evictOne(std::int64_t nowMs) {
  if (m_leaves.empty()) return false;  // every cached block is on a locked path or has children
  const std::uint32_t victim = std::get<2>(*m_leaves.begin());
  m_leaves.erase(m_leaves.begin());
  Node& v = m_nodes[victim];
  ++m_result.evictions;
  if (v.reuse == 0) ++m_result.evictedNeverReused;
  m_sumAgeMs += double(nowMs - v.insertedMs);
  m_sumIdleMs += double(nowMs - v.lastAccessMs);
  m_sumReuse += double(v.reuse);
  m_children.erase(ChildKey{v.parent, v.id});
  v.live = false;
  --m_cached;
  m_free.push_back(victim);
  if (v.parent != kRoot) {
    Node& p = m_nodes[v.parent];
    if (--p.children == 0 && p.locks == 0) m_leaves.insert(leafKey(v.parent));  // a leaf now
  }
  return true;
}

std::uint32_t RadixBlockReplayer::newNode(std::uint32_t parent, std::uint64_t id, std::int64_t nowMs) {
  std::uint32_t index;
  if (!m_free.empty()) {
    index = m_free.back();
    m_free.pop_back();
  } else {
    index = std::uint32_t(m_nodes.size());
    m_nodes.emplace_back();
  }
  Node& n = m_nodes[index];
  n = Node{};
  n.id = id;
  n.parent = parent;
  n.tick = ++m_tick;
  n.insertedMs = n.lastAccessMs = nowMs;
  if (m_nextUse) n.nextUse = m_nextUse->nextUse(CacheKey{id, 0});
  n.live = true;
  if (parent != kRoot) ++m_nodes[parent].children;  // the parent is locked: never in m_leaves here
  m_children.emplace(ChildKey{parent, id}, index);
  ++m_cached;
  m_result.peakBlocks = std::max(m_result.peakBlocks, m_cached);
  return index;
}

void RadixBlockReplayer::replay(std::int64_t timestampMs, std::uint32_t inputLength,
                                std::span<const std::uint64_t> hashIds,
                                std::span<const std::uint32_t> blockTokens) {
  const std::size_t n = hashIds.size();
  const std::uint64_t B = m_config.blockSize;
  // Block b stands for tokens [start(b), end(b)) of the prompt, cut at its length (uniform blocks, or the
  // trace's per-block counts), as in the block replayers.
  std::uint64_t start = 0;
  auto tokensOf = [&](std::size_t b) -> std::uint64_t {
    const std::uint64_t size = blockTokens.empty() ? B : (b < blockTokens.size() ? blockTokens[b] : 0);
    const std::uint64_t end = std::min<std::uint64_t>(inputLength, start + size);
    const std::uint64_t tokens = end > start ? end - start : 0;
    start = std::max(start, end);
    return tokens;
  };
  if (m_nextUse) m_nextUse->beginRequest(hashIds);
  // Match: the cached prefix of the path, touched root to leaf, then locked with it.
  m_path.clear();
  std::uint32_t node = kRoot;
  std::size_t b = 0;
  for (; b < n; ++b) {
    const std::uint32_t child = findChild(node, hashIds[b]);
    if (child == kRoot) break;
    touch(child, timestampMs);
    m_result.hitTokens += tokensOf(b);
    node = child;
  }
  const std::size_t hits = b;
  for (std::uint32_t p = node; p != kRoot; p = m_nodes[p].parent) lock(p);
  // Every block after the hit run is a miss (nothing below an absent node is cached): evicted if this
  // block of this prefix was stored once, else cold.
  std::uint32_t parent = node;
  bool placed = true;
  for (; b < n; ++b) {
    const ChildKey position{b == 0 ? kNoPrevious : hashIds[b - 1], hashIds[b]};
    const MissReason reason = m_everStored.contains(position) ? MissReason::Evicted : MissReason::Cold;
    const std::uint64_t tokens = tokensOf(b);
    m_result.missTokens[std::size_t(reason)] += tokens;
    ++m_result.missBlocks[std::size_t(reason)];
    if (!placed) continue;
    // opt's bypass: when full, a block is worth a place only if some leaf is used later than it.
    if (m_nextUse && m_cached >= m_capacity &&
        (m_leaves.empty() ||
         m_nodes[std::get<2>(*m_leaves.begin())].nextUse <= m_nextUse->nextUse(CacheKey{hashIds[b], 0}))) {
      placed = false;
      continue;
    }
    // Insert: room first (the victim leaf), then the node, locked for the rest of the insert.
    while (m_cached >= m_capacity && evictOne(timestampMs)) {
    }
    if (m_cached >= m_capacity) {
      placed = false;  // insertion stops here: the rest of the path stays uncached
      continue;
    }
    parent = newNode(parent, hashIds[b], timestampMs);
    m_everStored.insert(position);
    lock(parent);
  }
  // Tokens past the last block are never cacheable: cold.
  if (inputLength > start) m_result.missTokens[std::size_t(MissReason::Cold)] += inputLength - start;
  for (const std::uint32_t p : m_path) unlock(p);
  ++m_result.requests;
  m_result.promptTokens += inputLength;
  m_result.blocks += n;
  m_result.hitBlocks += hits;
}

ReplayResult RadixBlockReplayer::result() const {
  ReplayResult r = m_result;
  const std::uint64_t evicted = r.evictions;
  if (evicted) {
    r.meanEvictedAgeMs = m_sumAgeMs / double(evicted);
    r.meanEvictedIdleMs = m_sumIdleMs / double(evicted);
    r.meanEvictedReuse = m_sumReuse / double(evicted);
  }
  TierReport device;
  device.name = "device";
  device.hitTokens = r.hitTokens;
  device.hits = r.hitBlocks;
  device.misses = r.blocks - r.hitBlocks;
  device.entries = m_cached;
  device.evictions = r.evictions;
  device.transferCostModel = true;
  r.tiers = {device};
  return r;
}

}  // namespace kvlab
