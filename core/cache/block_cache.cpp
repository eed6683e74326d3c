// SPDX-License-Identifier: MIT
#include "core/cache/block_cache.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

BlockCache::BlockCache(CacheEngine& engine, std::uint32_t blockSize, BlockHash hash, Bytes bytesPerBlock)
    : m_engine(engine), m_blockSize(blockSize), m_hash(hash), m_bytesPerBlock(bytesPerBlock) {
  if (blockSize == 0) throw std::invalid_argument("block size must be at least 1 token");
}

std::vector<CacheKey> BlockCache::blockKeys(std::span<const std::int32_t> tokens) const {
  std::vector<CacheKey> keys;
  keys.reserve(tokens.size() / m_blockSize);
  CacheKey parent;
  for (std::size_t start = 0; start + m_blockSize <= tokens.size(); start += m_blockSize) {
    parent = chainedBlockKey(m_hash, parent, tokens.subspan(start, m_blockSize));
    keys.push_back(parent);
  }
  return keys;
}

BlockCache::Match BlockCache::match(std::span<const CacheKey> keys, std::uint64_t promptTokens,
                                    std::uint64_t maxHitTokens) {
  Match result;
  match(keys, promptTokens, maxHitTokens, result);
  return result;
}

void BlockCache::match(std::span<const CacheKey> keys, std::uint64_t promptTokens, std::uint64_t maxHitTokens,
                       Match& result, std::span<const std::uint32_t> weights) {
  const std::size_t n = keys.size();
  result.hitSlots.clear();
  result.found.resize(n);
  std::size_t i = 0;
  MissReason firstMissReason = MissReason::Cold;
  for (; i < n; ++i) {
    const SlotId slot = m_engine.findOrReason(keys[i], &firstMissReason);
    result.found[i] = slot;
    if (slot == kNoSlot) break;
    result.hitSlots.push_back(slot);
  }
  result.hitBlocks = std::uint32_t(i);
  // Block b stands for tokens [start(b), end(b)) of the prompt: uniform blocks, or the weights' running sums,
  // both cut at the prompt length.
  const bool weighted = !weights.empty();
  if (weighted) {
    m_weightEnds.resize(n);
    std::uint64_t end = 0;
    for (std::size_t b = 0; b < n; ++b)
      m_weightEnds[b] = end = std::min<std::uint64_t>(promptTokens, end + (b < weights.size() ? weights[b] : 0));
  }
  auto blockStart = [&](std::size_t b) -> std::uint64_t {
    if (weighted) return b == 0 ? 0 : m_weightEnds[b - 1];
    return std::min<std::uint64_t>(std::uint64_t(b) * m_blockSize, promptTokens);
  };
  const std::uint64_t runTokens = blockStart(i);  // = the end of block i - 1
  result.hitTokens = std::min(runTokens, maxHitTokens);
  // Blocks that hold at least one reused token; the rest of the run lies past the cap.
  std::size_t used = std::size_t((result.hitTokens + m_blockSize - 1) / m_blockSize);
  if (weighted) {
    used = 0;
    while (used < i && blockStart(used) < result.hitTokens) ++used;
  }
  // A live prefill must compute at least the last position to produce logits: the capped tokens of a fully
  // cached prompt are recomputed and counted as cold misses (never reusable), not as hits.
  if (runTokens > result.hitTokens)
    m_engine.recordMiss(MissReason::Cold, runTokens - result.hitTokens, std::uint64_t(i - used));

  const bool events = m_engine.hasObservers();
  const TimeMs now = m_engine.clock().nowMs();
  auto blockTokens = [&](std::size_t b) -> std::uint64_t {
    if (weighted) return m_weightEnds[b] - blockStart(b);
    const std::uint64_t start = std::uint64_t(b) * m_blockSize;
    return start >= promptTokens ? 0 : std::min<std::uint64_t>(m_blockSize, promptTokens - start);
  };
  if (events) {
    for (std::size_t b = 0; b < used; ++b) {
      const EntryMeta& e = m_engine.entry(result.hitSlots[b]);
      CacheEvent ev;
      ev.type = CacheEventType::Hit;
      ev.timeMs = now;
      ev.entryId = e.id;
      ev.block = std::int64_t(b);
      ev.bytes = e.bytes;
      ev.tokens = std::uint32_t(blockTokens(b));
      m_engine.notify(ev);
    }
  }
  // Every block after the hit run is a miss: present ones could not be reached (orphaned).
  for (std::size_t b = i; b < n; ++b) {
    MissReason reason = firstMissReason;
    const SlotId slot = b == i ? kNoSlot : m_engine.findOrReason(keys[b], &reason);
    if (slot != kNoSlot) reason = MissReason::Orphaned;
    result.found[b] = slot;
    m_engine.recordMiss(reason, blockTokens(b), 1);
    if (events) {
      CacheEvent ev;
      ev.type = CacheEventType::Miss;
      ev.missReason = reason;
      ev.timeMs = now;
      ev.entryId = slot != kNoSlot ? m_engine.entry(slot).id : 0;
      ev.block = std::int64_t(b);
      ev.tokens = std::uint32_t(blockTokens(b));
      m_engine.notify(ev);
    }
  }
  // Tokens past the last full block are never cacheable: cold.
  const std::uint64_t blockCovered = blockStart(n);
  if (promptTokens > blockCovered) m_engine.recordMiss(MissReason::Cold, promptTokens - blockCovered, 0);
  m_engine.recordQuery(promptTokens, result.hitTokens, n, used);
}

std::vector<SlotId> BlockCache::commit(std::span<const CacheKey> keys, std::vector<bool>* inserted) {
  Match none;
  std::vector<SlotId> slots;
  commit(keys, none, slots, inserted);
  return slots;
}

void BlockCache::commit(std::span<const CacheKey> keys, const Match& matched, std::vector<SlotId>& slots,
                        std::vector<bool>* inserted) {
  slots.assign(keys.size(), kNoSlot);
  if (inserted) inserted->assign(keys.size(), false);
  const bool haveHints = matched.found.size() == keys.size();
  const EntryInit init{m_bytesPerBlock, m_blockSize, kAllLayers};
  for (std::size_t b = keys.size(); b-- > 0;) {
    // A hint is stale if an insert of this very request evicted it (and the slot was reused).
    SlotId slot = haveHints ? matched.found[b] : kNoSlot;
    if (slot != kNoSlot && m_engine.entry(slot).live && m_engine.entry(slot).key == keys[b]) {
      m_engine.touch(slot);
    } else {
      bool isNew = false;
      slot = m_engine.touchOrInsert(keys[b], init, &isNew);
      if (inserted) (*inserted)[b] = isNew;
    }
    slots[b] = slot;
  }
  // An insert nearer the head can evict a block this loop stored or touched before it, and hand its slot to
  // another block: report such blocks as not stored rather than as a slot that now names someone else.
  for (std::size_t b = 0; b < keys.size(); ++b) {
    if (slots[b] == kNoSlot) continue;
    const EntryMeta& e = m_engine.entry(slots[b]);
    if (!e.live || !(e.key == keys[b])) {
      slots[b] = kNoSlot;
      if (inserted) (*inserted)[b] = false;
    }
  }
}

}  // namespace kvlab

namespace kvlab {

PrefixMatch BlockCache::matchPrefix(const PrefixRequest& request, std::uint64_t maxHitTokens) {
  PrefixMatch result;
  result.keys = blockKeys(request.tokens);
  Match blocks;
  match(result.keys, request.tokens.size(), maxHitTokens, blocks);
  result.hitTokens = blocks.hitTokens;
  result.matched = blocks.hitSlots;
  result.found = std::move(blocks.found);
  for (std::size_t b = 0; std::uint64_t(b) * m_blockSize < result.hitTokens; ++b)
    result.segments.push_back(
        PrefixSegment{blocks.hitSlots[b], std::uint64_t(b) * m_blockSize, m_blockSize, kAllLayers, false});
  return result;
}

std::vector<PrefixSegment> BlockCache::storePrefix(const PrefixRequest& request, const PrefixMatch& match) {
  (void)request;  // the keys came with the match
  Match hints;
  hints.found = match.found;
  std::vector<SlotId> slots;
  std::vector<bool> inserted;
  commit(match.keys, hints, slots, &inserted);
  std::vector<PrefixSegment> segments;
  for (std::size_t b = 0; b < slots.size(); ++b)
    if (slots[b] != kNoSlot)
      segments.push_back(PrefixSegment{slots[b], std::uint64_t(b) * m_blockSize, m_blockSize, kAllLayers,
                                       bool(inserted[b])});
  return segments;
}

std::vector<SlotId> BlockCache::storedPrefix(const PrefixRequest& request, std::uint64_t maxTokens) {
  std::vector<SlotId> slots;
  const std::vector<CacheKey> keys = blockKeys(request.tokens);
  for (std::size_t i = 0; i < keys.size() && std::uint64_t(i + 1) * m_blockSize <= maxTokens; ++i) {
    const SlotId slot = m_engine.find(keys[i]);
    if (slot == kNoSlot) break;  // a later block is unreachable without this one
    slots.push_back(slot);
  }
  return slots;
}

}  // namespace kvlab
