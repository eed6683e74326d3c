// SPDX-License-Identifier: MIT
#pragma once
// Prompt granularity, as the original SimpleKVCache: one entry per (prompt prefix string, layer), keyed by
// SHA-256(prefix ‖ 0x1F ‖ layer). A prefix is reusable only while all its layers are stored; layers left
// behind after another layer of the same prefix was evicted are "orphaned" bytes.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/prefix_index.h"

namespace kvlab {

class PromptCache final : public PrefixIndex {
public:
  // bytesPerLayerToken: K/V bytes of one token of one layer, for storePrefix() (cacheKv() takes sizes).
  PromptCache(CacheEngine& engine, int layers, Bytes bytesPerLayerToken = 0);

  static CacheKey keyFor(std::string_view prefix, int layer);

  // SimpleKVCache.cache_kv: stores (or replaces) one layer of a prefix. Returns kNoSlot if it cannot fit.
  SlotId cacheKv(std::string_view prefix, int layer, Bytes bytes);
  // SimpleKVCache.get_cached_kv: the entry or kNoSlot; counts one hit or miss and touches on a hit.
  SlotId getCachedKv(std::string_view prefix, int layer);

  struct Match {
    std::size_t prefixLength = 0;    // bytes (= tokens) of the prompt served from the cache
    std::vector<SlotId> layerSlots;  // one per layer when prefixLength > 0
  };
  // Whole-prompt lookup: the longest boundary prefix, no longer than maxHitTokens, with every layer stored.
  // Records the query (tokens), classifies missed tokens, touches the hit entries.
  Match matchLongest(std::string_view prompt, std::span<const std::uint32_t> boundaries,
                     std::size_t maxHitTokens);
  // The boundary prefixes of the prompt not yet stored (to store after a prefill), ascending.
  std::vector<std::size_t> missingBoundaries(std::string_view prompt,
                                             std::span<const std::uint32_t> boundaries);

  Bytes orphanedBytes() const { return m_orphanedBytes; }

  // PrefixIndex, for live runs: matchLongest(), and every boundary prefix not yet stored gets one entry per
  // missing layer. Prompt granularity cannot share storage between prefixes, which is exactly what it costs
  // compared with blocks or a radix tree.
  PrefixMatch matchPrefix(const PrefixRequest& request, std::uint64_t maxHitTokens) override;
  std::vector<PrefixSegment> storePrefix(const PrefixRequest& request, const PrefixMatch& match) override;
  std::vector<SlotId> storedPrefix(const PrefixRequest& request, std::uint64_t maxTokens) override;

private:
  struct Group {
    int layersPresent = 0;
    Bytes bytesPresent = 0;
    bool lostLayer = false;  // a layer was removed while others remain
  };
  void onRemoved(SlotId slot, const EntryMeta& meta, EvictReason reason);
  void updateOrphaned(Group& group, Bytes before, bool wasOrphan);

  CacheEngine& m_engine;
  int m_layers = 1;
  Bytes m_bytesPerLayerToken = 0;
  absl::flat_hash_map<CacheKey, Group> m_groups;  // by SHA-256(prefix)
  std::vector<CacheKey> m_groupOfSlot;            // slot -> its prefix's group key
  Bytes m_orphanedBytes = 0;
};

}  // namespace kvlab
