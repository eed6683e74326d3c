// SPDX-License-Identifier: MIT
#pragma once
// A cache with real tensors: the engine plus one granularity (a PrefixIndex: prompt, block or radix) plus
// the payload store. lookup() hands the model the K/V of the longest reusable prefix; store() files the K/V
// the model computed. Between the two, the entries the request matched are in use: the request's own inserts
// cannot evict them (vLLM's ref counts, SGLang's lock refs); the TTL still applies. Internal to core/runner.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/arch/model_config.h"
#include "core/cache/cache_engine.h"
#include "core/cache/prefix_index.h"
#include "core/model/llama_model.h"
#include "core/runner/host_kv_tier.h"
#include "core/runner/kv_payload_store.h"
#include "core/runner/live_tier_payloads.h"
#include "core/runner/run_types.h"
#include "core/tiers/remote_kv_store.h"
#include "core/tiers/tier_hierarchy.h"

namespace kvlab {

class LiveKvCache {
public:
  LiveKvCache(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize, CacheConfig config,
              const Clock& clock, const std::string& storageDevice, const std::string& computeDevice);
  ~LiveKvCache();

  // The tiers under the cache follow TierHierarchy's rules, the same code trace replay runs (demotion,
  // promotion, protection, write-through, the walk); this class and LiveTierPayloads move the tensors. Attach
  // tiers before the first request.
  //
  // Puts a remote tier (RemoteKvStore of this model's BlobLayout at this block size) under the cache. Block
  // granularity only (throws InputError otherwise): a block's chained key names its whole prefix, so its
  // low 64 bits are the tier's block hash, the same in every process. writeBack false = write-through:
  // every block new to the cache is also put to the remote tier at once; true = only blocks the tiers above
  // drop for room are put there. Either way a block is put only while the lab does not believe the store
  // holds it; the belief is corrected whenever the store answers a walk (a block it lost is written again
  // later). Remote faults never throw: the blocks read as misses and are computed.
  void attachRemote(std::unique_ptr<RemoteKvStore> remote, bool writeBack);
  RemoteKvStore* remote() const { return m_remote.get(); }
  // Puts a host-memory tier between the cache and the remote tier (block granularity only, and not with
  // --storage cpu, whose device tier is host memory already: InputError otherwise; also when config's
  // capacity is under one block). config: its capacity and policy. Blocks the cache evicts for room are
  // demoted (moved) into it; the prefix walk continues there after the device's run and promotes (moves) the
  // host's run of blocks back into the cache; a block the host tier drops goes to the remote tier when one
  // is attached and is not believed to hold it, else it is gone. Pinned memory on CUDA.
  void attachHost(CacheConfig config);
  bool hasHost() const { return m_hostKv != nullptr; }
  const std::string& hostPolicy() const { return m_hostPolicy; }
  // The tiers' bookkeeping (null without a host or remote tier).
  TierHierarchy* tiers() const { return m_tiers.get(); }

  struct Lookup {
    std::uint64_t hitTokens = 0;         // every tier
    std::uint64_t hostHitTokens = 0;     // the part served by the host tier (after the device's run)
    std::uint64_t hostCopiedTokens = 0;  // of hostHitTokens: copied, not promoted (no room in the cache)
    std::uint64_t remoteHitTokens = 0;   // the part fetched from the remote tier (after the local part)
    std::vector<LayerKv> prefix;         // per layer, on the compute device; empty when hitTokens == 0
    PrefixMatch match;                   // what the granularity found, for store()
  };
  // Longest reusable prefix of the prompt, at most the granularity's reusableLimit(); with a host tier, the
  // blocks after the device's run that the host tier holds (a leading run) are promoted (moved) into the
  // cache at once, each possibly demoting another block; once the cache has no room left that this request
  // does not use, the rest of the run is copied from the host tier instead (the blocks stay there); with a
  // remote tier,
  // the blocks after the local hit are asked of it in one batch and its leading run of valid blocks extends
  // the hit (decoded here, promoted into the local cache by store()). The prefix lookup: the last token is
  // always computed (for its logits), and block mode reuses whole blocks only, floor((n - 1) / B) * B
  // tokens of a fully cached n-token prompt. Records the query in the engine's stats and marks the matched
  // entries in use until store() (or the next lookup(), if a request was dropped).
  Lookup lookup(std::span<const std::int32_t> tokens, std::string_view text,
                std::span<const std::uint32_t> boundaries);
  // Files the prompt's K/V: lookup.prefix for [0, hit) and newKv for [hit, end), then releases the lookup's
  // entries. pinTokens > 0 pins the entries that lie within the first pinTokens tokens (within the engine's
  // pinned budget). Returns the token offsets where this prompt's cache units end (radix nodes, prompt
  // entries; empty in block mode, whose units are the block size).
  std::vector<std::uint32_t> store(std::span<const std::int32_t> tokens, std::string_view text,
                                   std::span<const std::uint32_t> boundaries, const Lookup& lookup,
                                   const std::vector<LayerKv>& newKv, std::uint32_t pinTokens);

  // Pins the stored entries lying within the prompt's first pinTokens tokens, within the pinned budget,
  // without counting a use. Block and prompt granularity (a radix tree has no non-touching walk yet).
  // Returns the bytes newly pinned.
  Bytes pinPrefix(std::span<const std::int32_t> tokens, std::string_view text,
                  std::span<const std::uint32_t> boundaries, std::uint32_t pinTokens);

  CacheEngine& engine() { return *m_engine; }
  Bytes storedBytes() const { return m_payload->storedBytes(); }
  const KvPayloadStore& payload() const { return *m_payload; }
  // Entries store() wrote that start inside the reused prefix: blocks of the prompt's own prefix that its
  // inserts removed (a TTL that ran out between lookup and store) and that were stored again from the
  // reused K/V. Cumulative.
  std::uint64_t prefixReinserts() const { return m_prefixReinserts; }
  // Per tier, top first: "device" (the engine's counters; transfer = measured storage<->compute copies),
  // then "host" and "remote" when attached (the tier's counters; hit tokens = tokens it served to prefills).
  std::vector<TierReport> tierReports() const;

private:
  at::Tensor stackKv(const std::vector<LayerKv>& kv) const;  // -> (layers, 2, kv_heads, tokens, head_dim)
  std::vector<LayerKv> unstackKv(const at::Tensor& stacked) const;
  void releaseInUse();
  // (Re)builds the hierarchy and its payload mover from the attached tiers (before the first request).
  void rebuildTiers();

  ModelConfig m_model;
  Granularity m_granularity;
  std::unique_ptr<CacheEngine> m_engine;
  std::unique_ptr<KvPayloadStore> m_payload;
  std::unique_ptr<PrefixIndex> m_index;
  std::vector<std::pair<SlotId, std::uint64_t>> m_inUse;  // (slot, entry id) protected by the last lookup
  std::uint64_t m_prefixReinserts = 0;
  std::uint32_t m_blockSize = 0;
  std::string m_computeDevice;
  std::optional<LowerTierSpec> m_hostSpec;  // the host tier's capacity (blocks) and policy, when attached
  std::string m_hostPolicy;
  std::unique_ptr<HostKvTier> m_hostKv;  // the host tier's tensors
  std::unique_ptr<RemoteKvStore> m_remote;
  bool m_writeBack = false;
  // Declared after what they point to, so they go first.
  std::unique_ptr<LiveTierPayloads> m_tierPayloads;
  std::unique_ptr<TierHierarchy> m_tiers;
};

}  // namespace kvlab
