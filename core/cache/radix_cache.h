// SPDX-License-Identifier: MIT
#pragma once
// Radix granularity, as SGLang's RadixAttention: a token-level radix tree whose every non-root node is one
// engine entry holding the K/V of its edge's tokens for all layers (bytes = edge tokens x bytesPerToken).
// A lookup reuses the longest cached prefix at token granularity, splitting a node when the prefix ends
// inside its edge. The engine evicts leaves only (an entry with children is never a victim, nor expired),
// so a cached prefix never loses its head. Node keys are XXH3-128 of the whole token prefix from the root to
// the node's end, so a key names a prefix whatever the tree's shape.
// Not thread-safe: the thread that drives the engine calls every member.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/prefix_index.h"

namespace kvlab {

class RadixCache final : public PrefixIndex {
public:
  // SplitListener (PrefixIndex): oldNode keeps its slot and now holds the tail of its former edge; newHead
  // (a new entry, parent of oldNode) holds its first headTokens tokens. A payload layer moves the first
  // headTokens positions of oldNode's K/V to newHead (oldNode's payload still holds the whole former edge
  // when called).

  // bytesPerToken: K/V bytes of one token over all layers. Registers a removal listener on engine, so this
  // object must outlive every later removal in engine; the tree owns every entry of engine.
  RadixCache(CacheEngine& engine, Bytes bytesPerToken);
  RadixCache(const RadixCache&) = delete;
  RadixCache& operator=(const RadixCache&) = delete;

  Bytes bytesPerToken() const { return m_bytesPerToken; }
  void setSplitListener(SplitListener listener) override { m_splitListener = std::move(listener); }

  struct Match {
    std::uint64_t hitTokens = 0;  // reusable prefix length, tokens
    std::vector<SlotId> path;     // nodes root->deepest; together they hold exactly tokens[0:hitTokens)
    std::vector<std::uint64_t> pathStart;  // token offset of each path node's first token
  };
  // Longest cached prefix of tokens at token granularity, capped at maxHitTokens (a live prefill passes
  // tokens.size() - 1: it must compute the last position). Splits the node the prefix ends inside of, so
  // path covers exactly hitTokens. Expired nodes never hit. Records the query (queried units = tokens) and
  // classifies every missed token: matched past the cap -> Cold; held by an expired node kept for its
  // children (the node that stopped the match) -> Expired, and below it Expired or, for a live node,
  // Orphaned; otherwise Evicted/Expired when a removed node once held it at this position of this prefix,
  // else Cold. Touches each path node once, leaf->root (a request's only touches: insert() adds none).
  // Emits one Hit event per path node and one Miss event per run of missed tokens with the same reason.
  Match match(std::span<const std::int32_t> tokens, std::uint64_t maxHitTokens);

  struct Insertion {
    std::vector<SlotId> nodes;             // nodes covering tokens[0:coveredTokens), in order
    std::vector<std::uint64_t> nodeStart;  // token offset of each node's first token
    std::vector<bool> isNew;               // true: a new leaf whose K/V the caller must write
    std::uint64_t coveredTokens = 0;       // tokens.size(), or less when the new leaf could not fit
  };
  // Stores tokens (after their prefill): walks the tree, splits the node where tokens diverge from (or end
  // inside) an edge, and adds one new leaf for the unmatched suffix. A split head is not new (its K/V comes
  // from the split node, see SplitListener). The leaf holds the longest head of the suffix that fits (see
  // CacheEngine::insertableBytes); if not one token fits, the tree stays as it was apart from the split and
  // fewer tokens are covered. Touches nothing (match() counted the request's uses; a new leaf starts with
  // no reuse); renews an expired node kept for its children, whose tokens were computed again. Records no
  // query.
  Insertion insert(std::span<const std::int32_t> tokens);

  // PrefixIndex, for live runs: match() and insert() with the path as segments.
  PrefixMatch matchPrefix(const PrefixRequest& request, std::uint64_t maxHitTokens) override;
  std::vector<PrefixSegment> storePrefix(const PrefixRequest& request, const PrefixMatch& match) override;

  // Read-only views, for tests, snapshots and the payload layer.
  struct NodeView {
    SlotId slot = kNoSlot;
    SlotId parent = kNoSlot;   // kNoSlot for a child of the root
    std::uint64_t start = 0;   // token offset of the edge's first token
    std::uint32_t tokens = 0;  // edge length
  };
  std::vector<NodeView> nodes() const;  // every non-root node, parents before children
  std::span<const std::int32_t> edgeTokens(SlotId slot) const;  // the tokens a live node holds
  std::size_t nodeCount() const { return m_nodes.size() - 1 - m_freeNodes.size(); }
  std::uint64_t storedTokens() const;  // sum of edge lengths of every node

private:
  static constexpr std::uint32_t kRoot = 0;
  static constexpr std::uint32_t kNoNode = 0xFFFFFFFFu;

  struct Node {
    std::vector<std::int32_t> edge;                             // tokens from the parent's end to this end
    absl::flat_hash_map<std::int32_t, std::uint32_t> children;  // first edge token -> node index
    CacheKey key;                                               // XXH3-128 of tokens[0:start + edge.size())
    std::uint64_t start = 0;                                    // tokens before the edge
    std::uint32_t parent = kNoNode;                             // node index; kNoNode for the root
    SlotId slot = kNoSlot;                                      // engine entry; kNoSlot for the root
  };

  // A removed node, remembered for miss classification: the tokens it held after the prefix named by the
  // key it hangs under.
  struct Ghost {
    std::vector<std::int32_t> edge;
    MissReason reason = MissReason::Evicted;
  };
  using GhostKey = std::pair<CacheKey, std::int32_t>;  // key of the prefix before the edge, first edge token

  std::uint32_t allocNode();
  std::uint32_t splitNode(std::uint32_t index, std::uint32_t headTokens, const CacheKey& headKey);
  void onRemoved(SlotId slot, EvictReason reason);
  void rememberGhost(const CacheKey& startKey, std::vector<std::int32_t> edge, MissReason reason);
  void recordMisses(std::span<const std::int32_t> tokens, std::uint64_t from);
  // Classifies the tokens from pos that the expired node `expired` (kept for its children) and its
  // subtree hold; returns the position where that walk ended.
  std::uint64_t recordBelowExpired(std::span<const std::int32_t> tokens, std::uint64_t pos,
                                   std::uint32_t expired);
  void recordMissRun(MissReason reason, std::uint64_t tokens);

  CacheEngine& m_engine;
  Bytes m_bytesPerToken = 0;
  SplitListener m_splitListener;
  std::vector<Node> m_nodes;  // [kRoot] is the root (empty edge); freed nodes are reused
  std::vector<std::uint32_t> m_freeNodes;
  std::vector<std::uint32_t> m_nodeOfSlot;  // indexed by SlotId; kNoNode where no node lives
  absl::flat_hash_map<GhostKey, std::vector<Ghost>> m_ghosts;
  std::uint64_t m_ghostTokens = 0;  // tokens held by m_ghosts; all are forgotten past a bound
};

}  // namespace kvlab
