// SPDX-License-Identifier: MIT
#include "core/replay/lean_block_replayer.h"

#include <algorithm>
#include <stdexcept>

#include "core/trace/block_token_ruler.h"

namespace kvlab {

bool LeanBlockReplayer::supports(const ReplayConfig& config) {
  if (!config.lowerTiers.empty() || config.protectInUse) return false;
  // LRU's order list is also the last-use order an idle TTL sweeps; FIFO's is not, nor is an age TTL's.
  if (config.policy == "lru") return config.ttlMs == 0 || config.ttlMode == TtlMode::Idle;
  return config.policy == "fifo" && config.ttlMs == 0;
}

LeanBlockReplayer::LeanBlockReplayer(const ReplayConfig& config)
    : m_config(config), m_lru(config.policy == "lru"), m_ttlMs(std::max<TimeMs>(0, config.ttlMs)) {
  if (config.blockSize == 0) throw std::invalid_argument("block size must be at least 1 token");
  if (!supports(config))
    throw std::invalid_argument("the lean replayer does lru or fifo on one tier only, got '" + config.policy +
                                "'");
  m_bytesPerBlock = Bytes(config.blockSize) * std::max<Bytes>(1, config.bytesPerToken);
  // As the engine: capacity in bytes (saturating to unbounded), then whole blocks of it.
  const Bytes capacityBytes = saturatingMul(config.capacityBlocks(), m_bytesPerBlock);
  m_capacityEntries = capacityBytes == kUnlimited ? kUnlimited : capacityBytes / m_bytesPerBlock;
  const std::size_t expected = std::size_t(std::min<std::uint64_t>(m_capacityEntries, 1u << 20));
  m_slots.reserve(expected);
  m_live.reserve(expected);
}

unsigned LeanBlockReplayer::farState(std::uint64_t id) const {
  if (m_live.find(id) != kNoSlot) return kLive;
  const auto it = m_farStates.find(id);
  return it == m_farStates.end() ? unsigned(kNever) : unsigned(it->second);
}

void LeanBlockReplayer::setStateSlow(std::uint64_t id, unsigned s) {
  if (id >= EntryIndex::kDenseLimit) {
    if (s == kLive)
      m_farStates.erase(id);  // live ones are in m_live
    else
      m_farStates[id] = std::uint8_t(s);
    return;
  }
  m_states.resize(std::max<std::size_t>(id / kStatesPerWord + 1, m_states.size() * 2), 0);
  setState(id, s);
}

SlotId LeanBlockReplayer::probe(std::uint64_t id, MissReason* reason) {
  switch (state(id)) {
    case kNever:
      *reason = MissReason::Cold;
      return kNoSlot;
    case kEvicted:
      *reason = MissReason::Evicted;
      return kNoSlot;
    case kExpired:
      *reason = MissReason::Expired;
      return kNoSlot;
    default:
      break;
  }
  const SlotId slot = m_live.find(id);
  if (!expired(m_slots[slot])) return slot;
  remove(slot, EvictReason::Ttl);
  *reason = MissReason::Expired;
  return kNoSlot;
}

void LeanBlockReplayer::replay(std::int64_t timestampMs, std::uint32_t inputLength,
                               std::span<const std::uint64_t> ids, std::span<const std::uint32_t> weights) {
  m_now = timestampMs;
  const std::size_t n = ids.size();
  const std::uint64_t blockSize = m_config.blockSize;
  const std::uint64_t prompt = inputLength;
  m_found.resize(n);  // every element is written by the match below

  // Match: the longest run of leading blocks present and unexpired.
  std::size_t i = 0;
  MissReason firstMissReason = MissReason::Cold;
  for (; i < n; ++i) {
    const SlotId slot = probe(ids[i], &firstMissReason);
    if (slot == kNoSlot) break;
    m_found[i] = slot;
  }
  if (!weights.empty()) {  // per-block token counts (a few formats): out of the uniform loop below
    countWeighted(i, ids, inputLength, weights, firstMissReason);
    commit(ids);
    return;
  }
  // Replay caps no hit (the cap is the prompt itself): hit tokens = the run's tokens within the prompt.
  const std::uint64_t hitTokens = std::min<std::uint64_t>(std::uint64_t(i) * blockSize, prompt);
  const std::uint64_t used = (hitTokens + blockSize - 1) / blockSize;
  auto blockTokens = [&](std::size_t b) -> std::uint64_t {
    const std::uint64_t start = std::uint64_t(b) * blockSize;
    return start >= prompt ? 0 : std::min<std::uint64_t>(blockSize, prompt - start);
  };
  // Every block after the run is a miss: present ones could not be reached (orphaned).
  for (std::size_t b = i; b < n; ++b) {
    MissReason reason = firstMissReason;
    const SlotId slot = b == i ? kNoSlot : probe(ids[b], &reason);
    if (slot != kNoSlot) reason = MissReason::Orphaned;
    m_found[b] = slot;
    recordMiss(reason, blockTokens(b), 1);
  }
  const std::uint64_t blockCovered = std::min<std::uint64_t>(std::uint64_t(n) * blockSize, prompt);
  if (prompt > blockCovered) recordMiss(MissReason::Cold, prompt - blockCovered, 0);
  ++m_counters.lookups;
  m_counters.queriedTokens += prompt;
  m_counters.hitTokens += hitTokens;
  m_counters.queriedUnits += n;
  m_counters.hitUnits += used;
  if (used > 0)
    ++m_counters.hits;
  else
    ++m_counters.misses;

  commit(ids);
}

void LeanBlockReplayer::countWeighted(std::size_t hitRun, std::span<const std::uint64_t> ids,
                                      std::uint32_t inputLength, std::span<const std::uint32_t> blockTokens,
                                      MissReason firstMissReason) {
  BlockTokenRuler ruler(m_config.blockSize, inputLength, blockTokens);
  std::uint64_t hitTokens = 0, used = 0, covered = 0;
  for (std::size_t b = 0; b < hitRun; ++b) {
    const std::uint64_t tokens = ruler.nextBlock();
    hitTokens += tokens;
    used += tokens > 0;
  }
  covered = hitTokens;
  // As the uniform case: every block after the run is a miss, present ones orphaned.
  for (std::size_t b = hitRun; b < ids.size(); ++b) {
    MissReason reason = firstMissReason;
    const SlotId slot = b == hitRun ? kNoSlot : probe(ids[b], &reason);
    if (slot != kNoSlot) reason = MissReason::Orphaned;
    m_found[b] = slot;
    const std::uint64_t tokens = ruler.nextBlock();
    covered += tokens;
    recordMiss(reason, tokens, 1);
  }
  if (inputLength > covered) recordMiss(MissReason::Cold, inputLength - covered, 0);
  ++m_counters.lookups;
  m_counters.queriedTokens += inputLength;
  m_counters.hitTokens += hitTokens;
  m_counters.queriedUnits += ids.size();
  m_counters.hitUnits += used;
  if (used > 0)
    ++m_counters.hits;
  else
    ++m_counters.misses;
}

void LeanBlockReplayer::commit(std::span<const std::uint64_t> ids) {
  // Last block to first: touch what the match found (unless this request's own inserts evicted it since),
  // insert the rest.
  for (std::size_t b = ids.size(); b-- > 0;) {
    const SlotId hint = m_found[b];
    if (hint != kNoSlot && m_slots[hint].live && m_slots[hint].id == ids[b])
      touch(hint);
    else
      touchOrInsert(ids[b]);
  }
}

void LeanBlockReplayer::touch(SlotId slot) {
  Slot& s = m_slots[slot];
  s.lastAccessMs = m_now;
  ++s.reuseCount;
  if (m_lru && m_tail != slot) {
    unlink(slot);
    pushBack(slot);
  }
}

void LeanBlockReplayer::touchOrInsert(std::uint64_t id) {
  // A block seen twice in one request, or stored again after the match: as the engine's touchOrInsert.
  if (state(id) == kLive) {
    const SlotId slot = m_live.find(id);
    if (!expired(m_slots[slot])) {
      touch(slot);
      return;
    }
    remove(slot, EvictReason::Ttl);
  }
  insertFresh(id);
}

void LeanBlockReplayer::insertFresh(std::uint64_t id) {
  if (m_ttlMs > 0) expireIdle();
  if (m_capacityEntries == 0) {  // a block larger than the whole cache
    ++m_counters.rejectedInserts;
    m_counters.tooLargeTokens += m_config.blockSize;
    return;
  }
  SlotId slot;
  if (m_entries >= m_capacityEntries) {  // full (never over: the capacity is fixed): the front makes room
    slot = m_head;
    unfile(slot, EvictReason::Capacity);
  } else if (!m_freeSlots.empty()) {
    slot = m_freeSlots.back();
    m_freeSlots.pop_back();
  } else {
    slot = SlotId(m_slots.size());
    m_slots.emplace_back();
  }
  Slot& s = m_slots[slot];
  s.id = id;
  s.insertedMs = s.lastAccessMs = m_now;
  s.reuseCount = 0;
  s.live = true;
  pushBack(slot);
  m_live.put(id, slot);
  setState(id, kLive);
  ++m_entries;
  m_peakEntries = std::max(m_peakEntries, m_entries);
  ++m_counters.inserts;
}

void LeanBlockReplayer::remove(SlotId slot, EvictReason reason) {
  unfile(slot, reason);
  m_freeSlots.push_back(slot);
}

void LeanBlockReplayer::unfile(SlotId slot, EvictReason reason) {
  Slot& s = m_slots[slot];
  unlink(slot);
  m_live.erase(s.id);
  setState(s.id, reason == EvictReason::Ttl ? kExpired : kEvicted);
  --m_entries;
  ++m_counters.evictions[std::size_t(reason)];
  m_counters.evictedTokens[std::size_t(reason)] += m_config.blockSize;
  if (s.reuseCount == 0) ++m_counters.evictedNeverReused;
  m_counters.sumEvictedAgeMs += double(m_now - s.insertedMs);
  m_counters.sumEvictedIdleMs += double(m_now - s.lastAccessMs);
  m_counters.sumEvictedReuse += s.reuseCount;
  s.live = false;
}

void LeanBlockReplayer::expireIdle() {
  // LRU only (supports()): the order list is the last-use order, so the expired entries form its front.
  while (m_head != kNoSlot && expired(m_slots[m_head])) remove(m_head, EvictReason::Ttl);
}

void LeanBlockReplayer::pushBack(SlotId slot) {
  Slot& s = m_slots[slot];
  s.prev = m_tail;
  s.next = kNoSlot;
  if (m_tail != kNoSlot)
    m_slots[m_tail].next = slot;
  else
    m_head = slot;
  m_tail = slot;
}

void LeanBlockReplayer::unlink(SlotId slot) {
  const Slot& s = m_slots[slot];
  if (s.prev != kNoSlot)
    m_slots[s.prev].next = s.next;
  else
    m_head = s.next;
  if (s.next != kNoSlot)
    m_slots[s.next].prev = s.prev;
  else
    m_tail = s.prev;
}

ReplayResult LeanBlockReplayer::result() const {
  return replayResultFromCounters(m_counters, m_config, m_peakEntries, m_bytesPerBlock, m_entries);
}

}  // namespace kvlab
