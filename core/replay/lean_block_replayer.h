// SPDX-License-Identifier: MIT
#pragma once
// Trace replay's plain case - LRU (with or without an idle TTL) or FIFO (no TTL), one tier, no in-use
// protection, no events - in flat arrays of its own instead of the general engine. Production traces are
// 100x the published ones; this is the loop that replays them. It reproduces TraceReplayer exactly
// (README "Trace replay"), every ReplayResult field included, and in the same order of operations, so
// even the floating-point sums of eviction ages match bit for bit: the match walk probes the blocks in
// prompt order (an expired entry found is removed then), the commit walks them last to first (touching
// the found ones, inserting the others, an insert first sweeping every expired entry, then evicting the
// policy's front until the block fits). tst_lean_replay holds the two replayers to that on hand-made and
// generated traces.
//
// Per entry it keeps 40 bytes in a slot array and one id -> slot map entry (O(capacity)); per hash id ever
// seen, 2 bits of history (never stored, live, evicted, expired) that classify misses, as the engine's
// dense EntryIndex does; ids beyond that table's range go to a hash map.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/cache/entry_index.h"
#include "core/cache/id_slot_table.h"
#include "core/replay/replayer.h"

namespace kvlab {

class LeanBlockReplayer final : public Replayer {
public:
  // lru (no TTL or an idle TTL) or fifo (no TTL); no lower tiers, no in-use protection.
  static bool supports(const ReplayConfig& config);
  // Throws std::invalid_argument when !supports(config) or the block size is 0.
  explicit LeanBlockReplayer(const ReplayConfig& config);

  using Replayer::replay;
  // Flattened: every helper is inlined into this loop (the calls would cost as much as the work).
  [[gnu::flatten]] void replay(std::int64_t timestampMs, std::uint32_t inputLength,
                               std::span<const std::uint64_t> hashIds,
                               std::span<const std::uint32_t> blockTokens) override;
  ReplayResult result() const override;

private:
  enum State : unsigned { kNever = 0, kLive = 1, kEvicted = 2, kExpired = 3 };
  struct Slot {
    std::uint64_t id = 0;
    TimeMs insertedMs = 0;
    TimeMs lastAccessMs = 0;
    std::uint32_t reuseCount = 0;  // touches after the insert
    SlotId prev = kNoSlot;         // the order list: LRU = last use, FIFO = insertion; front = next victim
    SlotId next = kNoSlot;
    bool live = false;
  };

  static constexpr unsigned kStatesPerWord = 32;  // 2 bits each in a uint64
  unsigned state(std::uint64_t id) const {
    if (id >= EntryIndex::kDenseLimit) return farState(id);
    const std::uint64_t word = id / kStatesPerWord;
    if (word >= m_states.size()) return kNever;
    return unsigned(m_states[word] >> (2 * (id % kStatesPerWord))) & 3u;
  }
  void setState(std::uint64_t id, unsigned s) {
    const std::uint64_t word = id / kStatesPerWord;
    if (id >= EntryIndex::kDenseLimit || word >= m_states.size()) return setStateSlow(id, s);
    const unsigned shift = 2 * unsigned(id % kStatesPerWord);
    m_states[word] = (m_states[word] & ~(std::uint64_t(3) << shift)) | (std::uint64_t(s) << shift);
  }
  unsigned farState(std::uint64_t id) const;
  void setStateSlow(std::uint64_t id, unsigned s);  // a far id, or the table grows
  // The live, unexpired slot of id, or kNoSlot with *reason set (an expired entry is removed here).
  SlotId probe(std::uint64_t id, MissReason* reason);
  bool expired(const Slot& s) const { return m_ttlMs > 0 && m_now - s.lastAccessMs > m_ttlMs; }
  void commit(std::span<const std::uint64_t> ids);  // touches or inserts every block, last to first
  void touch(SlotId slot);
  void touchOrInsert(std::uint64_t id);
  void insertFresh(std::uint64_t id);
  void remove(SlotId slot, EvictReason reason);  // unfile() and free the slot
  void unfile(SlotId slot, EvictReason reason);  // out of the cache, counted; the slot is the caller's
  void expireIdle();                             // with a TTL: removes the expired front of the list
  void pushBack(SlotId slot);
  void unlink(SlotId slot);
  // The hit and miss token accounting with per-block token counts (the uniform case is inline in replay).
  void countWeighted(std::size_t hitRun, std::span<const std::uint64_t> ids, std::uint32_t inputLength,
                     std::span<const std::uint32_t> blockTokens, MissReason firstMissReason);
  void recordMiss(MissReason reason, std::uint64_t tokens, std::uint64_t units) {
    m_counters.missTokens[std::size_t(reason)] += tokens;
    m_counters.missUnits[std::size_t(reason)] += units;
  }

  ReplayConfig m_config;
  bool m_lru = true;
  TimeMs m_ttlMs = 0;
  Bytes m_bytesPerBlock = 0;
  std::uint64_t m_capacityEntries = 0;  // kUnlimited = no bound
  TimeMs m_now = 0;

  std::vector<Slot> m_slots;
  std::vector<SlotId> m_freeSlots;
  SlotId m_head = kNoSlot;
  SlotId m_tail = kNoSlot;
  std::uint64_t m_entries = 0;
  std::uint64_t m_peakEntries = 0;
  IdSlotTable m_live;                                            // live ids only
  std::vector<std::uint64_t> m_states;                           // 2 bits per id below kDenseLimit
  absl::flat_hash_map<std::uint64_t, std::uint8_t> m_farStates;  // ids at or beyond it: gone states
  CacheCounters m_counters;

  std::vector<SlotId> m_found;  // per block of the request: its live slot from the match walk
};

}  // namespace kvlab
