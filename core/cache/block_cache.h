// SPDX-License-Identifier: MIT
#pragma once
// Block granularity, as vLLM's automatic prefix caching: the prompt is cut into blocks of B tokens (only
// full blocks are cached); block i's key chains block i-1's key with its tokens, so a key names a whole
// prefix. A lookup returns the longest run of leading blocks present. Trace replay uses the same class
// with the trace's hash ids as keys.
#include <cstdint>
#include <span>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/key_hasher.h"
#include "core/cache/prefix_index.h"

namespace kvlab {

class BlockCache final : public PrefixIndex {
public:
  // bytesPerBlock: K/V bytes of one block over all layers (entries hold every layer).
  BlockCache(CacheEngine& engine, std::uint32_t blockSize, BlockHash hash, Bytes bytesPerBlock);

  std::uint32_t blockSize() const { return m_blockSize; }
  Bytes bytesPerBlock() const { return m_bytesPerBlock; }
  void setBytesPerBlock(Bytes bytes) { m_bytesPerBlock = bytes; }

  // Chained keys of the full blocks of tokens.
  std::vector<CacheKey> blockKeys(std::span<const std::int32_t> tokens) const;

  struct Match {
    std::uint32_t hitBlocks = 0;
    std::uint64_t hitTokens = 0;
    std::vector<SlotId> hitSlots;  // the hit blocks, first to last (not "slots": a Qt keyword macro)
    std::vector<SlotId> found;     // every block: its slot if stored (hit or orphaned), else kNoSlot
  };
  // Longest run of leading present blocks, capped at maxHitTokens, for a prompt of promptTokens tokens
  // (promptTokens may exceed keys.size() * blockSize: the tail is a partial block or, in replay, the trace's
  // own rounding). Records the query and classifies every missed block (cold, evicted, expired, orphaned);
  // present blocks the cap leaves unused count as cold misses, not as hit units. hitBlocks/hitSlots are the
  // whole present run (capped or not). Does not touch: commit() does, once per present block.
  Match match(std::span<const CacheKey> keys, std::uint64_t promptTokens, std::uint64_t maxHitTokens);
  // Same, reusing out's buffers (the replay loop calls this millions of times). weights: per-block token
  // counts, one per key (trace formats that give them; core/trace/trace_request.h), empty = uniform blocks.
  void match(std::span<const CacheKey> keys, std::uint64_t promptTokens, std::uint64_t maxHitTokens,
             Match& out, std::span<const std::uint32_t> weights = {});
  // Touches the blocks from last to first (so a sequence's head ends most recently used and LRU evicts
  // its tail first, as vLLM frees blocks in reverse), inserting the absent ones. Returns each block's slot,
  // and in inserted[] which ones are new; kNoSlot where an insert could not fit.
  std::vector<SlotId> commit(std::span<const CacheKey> keys, std::vector<bool>* inserted = nullptr);
  // Same, starting from a match() of the same keys at the same time (saves a lookup per block); slots
  // receives each block's slot.
  void commit(std::span<const CacheKey> keys, const Match& matched, std::vector<SlotId>& slots,
              std::vector<bool>* inserted = nullptr);

  // PrefixIndex, for live runs. A live prefill reuses whole blocks only and computes at least the last
  // token, as vLLM: at most floor((n - 1) / B) * B tokens of an n-token prompt (trace replay keeps its own
  // rule: min(hit blocks x B, input_length)).
  std::uint64_t reusableLimit(std::uint64_t promptTokens) const override {
    return promptTokens > 0 ? (promptTokens - 1) / m_blockSize * m_blockSize : 0;
  }
  PrefixMatch matchPrefix(const PrefixRequest& request, std::uint64_t maxHitTokens) override;
  std::vector<PrefixSegment> storePrefix(const PrefixRequest& request, const PrefixMatch& match) override;
  std::vector<SlotId> storedPrefix(const PrefixRequest& request, std::uint64_t maxTokens) override;

private:
  CacheEngine& m_engine;
  std::vector<std::uint64_t> m_weightEnds;  // match() with weights: each block's end, cut at the prompt
  std::uint32_t m_blockSize;
  BlockHash m_hash;
  Bytes m_bytesPerBlock;
};

}  // namespace kvlab
