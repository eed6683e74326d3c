// SPDX-License-Identifier: MIT
#pragma once
// What a live cache needs from a granularity (prompt, block, radix): find the longest reusable prefix of a
// prompt, and file a prompt after its prefill. Tensor-free: it names engine entries and the token ranges
// (and layers) they hold; the payload layer (core/runner/LiveKvCache) moves the K/V. A new granularity is
// one class implementing this plus one line where LiveKvCache creates its index.
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "core/cache/cache_types.h"

namespace kvlab {

// One prompt, in the forms the granularities key on.
struct PrefixRequest {
  std::span<const std::int32_t> tokens;       // token ids (block and radix keys)
  std::string_view text;                      // the prompt text (prompt-mode keys: one byte = one token)
  std::span<const std::uint32_t> boundaries;  // prompt mode: the prefix lengths worth storing, ascending
};

// An entry's share of the prompt: tokens [start, start + tokens) of one layer (layer >= 0) or of every
// layer (kAllLayers).
struct PrefixSegment {
  SlotId slot = kNoSlot;
  std::uint64_t start = 0;
  std::uint32_t tokens = 0;
  std::int32_t layer = kAllLayers;
  bool isNew = false;  // storePrefix(): a new entry whose K/V the caller writes now
};

struct PrefixMatch {
  std::uint64_t hitTokens = 0;  // reusable prefix length, tokens
  // Entries holding [0, hitTokens), in token order (all-layer entries) or as one group of per-layer
  // entries over the same range (prompt mode). The last may reach past hitTokens: the caller narrows.
  std::vector<PrefixSegment> segments;
  // Every entry the request matched (protected as in use until the prompt is stored).
  std::vector<SlotId> matched;
  // Granularity state kept from matchPrefix() to storePrefix() of the same prompt (block mode: the block
  // keys and each block's slot when matched, kNoSlot if absent).
  std::vector<CacheKey> keys;
  std::vector<SlotId> found;
};

class PrefixIndex {
public:
  // Called after an entry was cut in two: oldEntry keeps its slot and the tail of its tokens, newHead
  // (a new entry) takes its first headTokens tokens. A payload layer moves those positions' K/V.
  using SplitListener = std::function<void(SlotId oldEntry, SlotId newHead, std::uint32_t headTokens)>;

  virtual ~PrefixIndex() = default;

  // The most tokens a live prefill of promptTokens tokens may reuse: it computes at least the last token
  // (for its logits). Default: promptTokens - 1.
  virtual std::uint64_t reusableLimit(std::uint64_t promptTokens) const {
    return promptTokens > 0 ? promptTokens - 1 : 0;
  }
  // Longest stored prefix, at most maxHitTokens. Records the query and its misses in the engine's stats and
  // counts one use of each entry the request reuses.
  virtual PrefixMatch matchPrefix(const PrefixRequest& request, std::uint64_t maxHitTokens) = 0;
  // Files the prompt after its prefill (match = this prompt's matchPrefix()). Returns the entries that now
  // hold its tokens; isNew marks those whose K/V the caller must write. An entry may start before
  // match.hitTokens (a block of this very prompt that its own inserts evicted and stored again): the caller
  // then needs the reused K/V too.
  virtual std::vector<PrefixSegment> storePrefix(const PrefixRequest& request, const PrefixMatch& match) = 0;
  // The entries already stored for the prompt's first maxTokens tokens, found without counting a query or a
  // use (pinning a prefix after the fact). Default: none (a radix tree has no non-touching walk yet).
  virtual std::vector<SlotId> storedPrefix(const PrefixRequest& request, std::uint64_t maxTokens) {
    (void)request;
    (void)maxTokens;
    return {};
  }
  // Granularities that split entries (radix) report it here; the others ignore it.
  virtual void setSplitListener(SplitListener listener) { (void)listener; }
};

}  // namespace kvlab
