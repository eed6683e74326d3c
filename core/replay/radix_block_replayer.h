// SPDX-License-Identifier: MIT
#pragma once
// Trace replay with SGLang's radix-tree semantics (`kvlab-cli replay --granularity radix`), over a block
// trace's keys: the cached blocks form a prefix tree (a block's parent is the block before it in its
// request), as SGLang's RadixCache (python/sglang/srt/mem_cache/radix_cache.py: match_prefix, insert,
// evict, inc_lock_ref / dec_lock_ref) keeps its nodes at page granularity:
//  - a request's hits are the cached prefix of its path, touched root to leaf (each touch a new instant,
//    as SGLang's time.monotonic() is);
//  - its path is locked while it inserts (SGLang holds inc_lock_ref from scheduling to cache_finished_req);
//  - only unlocked leaves are evictable, least recently used first; a parent becomes a leaf (and evictable)
//    when its last child goes;
//  - insertion stops at the first block that cannot be placed (no unlocked leaf left to evict).
// One difference, by design: SGLang's node holds a run of pages and is evicted whole; here every block is
// its own node (the finest split SGLang's tree can have), so an eviction frees exactly one block. Versus
// `block` (vLLM's pool, TraceReplayer): there any block can be evicted, which can strand its descendants
// (orphaned misses); here nothing is ever orphaned.
//
// Policy `opt` here is Belady as a true reference under prefix chains: the victim is the unlocked leaf
// whose next use is farthest (ties: least recently used), and a block is not inserted at all (bypass: nor
// is the rest of its path) when the cache is full and no leaf's next use is farther than its own - caching
// it could only displace something needed sooner. Block replay's `opt` evicts any block by next use, which
// strands descendants under prefix chains (it can sit below LRU); it stays as it is, at block granularity.
//
// Capacity in blocks (ReplayConfig::capacityBlocks()); policy lru or opt, no TTL, no lower tiers (refused).
// Counts as the block replayers do (the same token accounting, miss reasons Cold and Evicted), so with a
// cache that never evicts both give the same figures. tools/radix_reference.py is an independent Python
// model of the same rules, compared request by request in tst_radix_replay.
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

#include "core/cache/cache_types.h"
#include "core/replay/next_use_cursor.h"
#include "core/replay/replayer.h"

namespace kvlab {

class RadixBlockReplayer final : public Replayer {
public:
  // Throws std::invalid_argument for a policy other than lru or opt (which needs nextUse, the trace's
  // NextUseIndex), a TTL, lower tiers or block size 0.
  explicit RadixBlockReplayer(const ReplayConfig& config,
                              std::shared_ptr<const NextUseIndex> nextUse = nullptr);

  using Replayer::replay;
  void replay(std::int64_t timestampMs, std::uint32_t inputLength, std::span<const std::uint64_t> hashIds,
              std::span<const std::uint32_t> blockTokens) override;
  ReplayResult result() const override;

private:
  static constexpr std::uint32_t kRoot = 0;
  struct Node {
    std::uint64_t id = 0;          // the block's hash id
    std::uint32_t parent = kRoot;  // node index
    std::uint32_t children = 0;
    std::uint32_t locks = 0;
    std::uint64_t tick = 0;  // last access, a logical instant (a total order)
    std::int64_t insertedMs = 0;
    std::int64_t lastAccessMs = 0;
    std::uint32_t reuse = 0;    // touches after its insert
    std::uint64_t nextUse = 0;  // opt: the trace's next touch of this block after its last access
    bool live = false;
  };
  // A leaf's place in the eviction order: first = the victim (lru: oldest tick; opt: farthest next use,
  // then oldest tick).
  using LeafKey = std::tuple<std::uint64_t, std::uint64_t, std::uint32_t>;
  LeafKey leafKey(std::uint32_t node) const;
  using ChildKey = std::pair<std::uint64_t, std::uint64_t>;  // (parent node, hash id)
  // m_everStored's keys: (the previous block's hash id, or kNoPrevious for a first block, hash id): this
  // block at this place of a prefix, independent of node indices (which are reused).
  static constexpr std::uint64_t kNoPrevious = ~std::uint64_t(0);

  std::uint32_t findChild(std::uint32_t parent, std::uint64_t id) const;
  void touch(std::uint32_t node, std::int64_t nowMs);
  void lock(std::uint32_t node);
  void unlock(std::uint32_t node);
  bool evictOne(std::int64_t nowMs);
  std::uint32_t newNode(std::uint32_t parent, std::uint64_t id, std::int64_t nowMs);

  ReplayConfig m_config;
  std::uint64_t m_capacity = 0;  // blocks
  std::vector<Node> m_nodes;     // [0] = the root (never cached, never evicted)
  std::vector<std::uint32_t> m_free;
  absl::flat_hash_map<ChildKey, std::uint32_t> m_children;
  absl::flat_hash_set<ChildKey> m_everStored;  // (previous id, id) once stored: a miss on it was evicted
  std::set<LeafKey> m_leaves;                  // unlocked leaves, the victim first
  std::unique_ptr<NextUseCursor> m_nextUse;    // opt only
  std::vector<std::uint32_t> m_path;           // this request's locked nodes
  std::uint64_t m_tick = 0;
  std::uint64_t m_cached = 0;
  ReplayResult m_result;
  double m_sumAgeMs = 0, m_sumIdleMs = 0, m_sumReuse = 0;
};

}  // namespace kvlab
