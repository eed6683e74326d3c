// SPDX-License-Identifier: MIT
#include "core/runner/live_kv_cache.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include "core/cache/block_cache.h"
#include "core/cache/key_hasher.h"
#include "core/cache/prompt_cache.h"
#include "core/cache/radix_cache.h"
#include "core/tiers/model_blob_layout.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {
constexpr int kTokenDim = 3;  // in a stacked (layers, 2, kv_heads, tokens, head_dim) tensor

// The one place that knows the granularities: a new one is a PrefixIndex class and a line here.
std::unique_ptr<PrefixIndex> createIndex(Granularity granularity, CacheEngine& engine,
                                         const ModelConfig& model, std::uint32_t blockSize) {
  const Bytes perToken = kvBytesPerToken(model);
  switch (granularity) {
    case Granularity::Block:
      return std::make_unique<BlockCache>(engine, blockSize, BlockHash::Xxh3, perToken * blockSize);
    case Granularity::Radix:
      return std::make_unique<RadixCache>(engine, perToken);
    case Granularity::Prompt:
      return std::make_unique<PromptCache>(engine, model.layers, kvBytesPerTokenPerLayer(model));
  }
  throw std::invalid_argument("unknown granularity");
}
}  // namespace

LiveKvCache::LiveKvCache(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize,
                         CacheConfig config, const Clock& clock, const std::string& storageDevice,
                         const std::string& computeDevice)
    : m_model(model), m_granularity(granularity), m_blockSize(blockSize), m_computeDevice(computeDevice) {
  config.layers = model.layers;
  m_engine = std::make_unique<CacheEngine>(config, clock);
  // The tiers' demotions: registered before the payload store's listener (listeners run in order), so the
  // evicted block's tensor is still there for LiveTierPayloads to keep. A block inserted and evicted again
  // within one store() (the device cache cannot hold the whole prompt) has no tensor yet: store() hands the
  // tiers its K/V from the request's own.
  m_engine->addRemovalListener([this](SlotId slot, const EntryMeta& meta, EvictReason reason) {
    if (m_tiers) m_tiers->deviceRemoved(slot, meta, reason);
  });
  m_payload = std::make_unique<KvPayloadStore>(*m_engine, storageDevice, computeDevice);
  m_index = createIndex(granularity, *m_engine, model, blockSize);
  m_index->setSplitListener([this](SlotId oldEntry, SlotId newHead, std::uint32_t headTokens) {
    m_payload->split(oldEntry, newHead, headTokens, kTokenDim);
  });
}

LiveKvCache::~LiveKvCache() = default;

void LiveKvCache::attachRemote(std::unique_ptr<RemoteKvStore> remote, bool writeBack) {
  if (m_granularity != Granularity::Block)
    throw InputError("", 0, "remote", "a remote tier needs block granularity (--granularity block)");
  m_remote = std::move(remote);
  m_writeBack = writeBack;
  rebuildTiers();
}

void LiveKvCache::attachHost(CacheConfig config) {
  if (m_granularity != Granularity::Block)
    throw InputError("", 0, "host-size", "a host tier needs block granularity (--granularity block)");
  if (m_payload->offloading())
    throw InputError("", 0, "host-size",
                     "the device tier already lives in host memory (--storage cpu): use one or the other");
  const Bytes perBlock = kvBytesPerToken(m_model) * m_blockSize;
  if (config.capacityBytes < perBlock)
    throw InputError("", 0, "host-size",
                     "smaller than one block (" + std::to_string(perBlock) + " bytes of K/V per " +
                         std::to_string(m_blockSize) + "-token block)");
  const std::uint64_t blocks =
      config.capacityBytes == kUnlimited ? kUnlimited : config.capacityBytes / perBlock;
  m_hostSpec = LowerTierSpec{"host", blocks, config.policy};
  m_hostPolicy = config.policy;
  m_hostKv = std::make_unique<HostKvTier>(perBlock, /*pinned=*/m_computeDevice.rfind("cuda", 0) == 0);
  rebuildTiers();
}

void LiveKvCache::rebuildTiers() {
  TierHierarchyConfig config;
  config.bytesPerBlock = kvBytesPerToken(m_model) * m_blockSize;
  config.blockTokens = m_blockSize;
  if (m_hostSpec) config.lower.push_back(*m_hostSpec);
  // The remote tier's engine is the lab's belief of what the store holds: unbounded (the store evicts by
  // itself, and the walk corrects the belief).
  if (m_remote) config.lower.push_back(LowerTierSpec{"remote", kUnlimited, "lru"});
  config.remoteWriteThrough = !m_writeBack;
  config.protectInUse = true;  // as the cache's own hits: a request's blocks are never its victims
  config.forwardDeviceRemovals = true;
  m_tiers.reset();
  m_tierPayloads =
      std::make_unique<LiveTierPayloads>(m_model, m_blockSize, *m_payload, m_hostKv.get(), m_remote.get());
  config.payloads = m_tierPayloads.get();
  m_tiers = std::make_unique<TierHierarchy>(*m_engine, std::move(config));
  m_tierPayloads->setHierarchy(m_tiers.get());
}

std::vector<TierReport> LiveKvCache::tierReports() const {
  const CacheSnapshot snap = m_engine->snapshot();
  std::vector<TierReport> tiers{
      deviceTierReport(snap.counters, snap.entries, m_payload->transferMs(), false)};
  if (!m_tiers) return tiers;
  // The hierarchy's counts (blocks served and used, demotions, entries), with what this run measured.
  std::vector<TierReport> lower = m_tiers->reports();
  for (std::size_t i = 1; i < lower.size(); ++i) {
    TierReport t = std::move(lower[i]);
    t.transferCostModel = false;
    if (t.name == "host") {
      t.transferMs = m_hostKv->transferMs();
    } else {
      const TierStats stats = m_remote->stats();
      t.bytesIn = stats.bytesIn;  // what the store accepted
      t.errors = stats.errors;
      t.timeouts = stats.timeouts;
      t.corrupt = stats.corrupt;
      t.transferMs = double(stats.transferNs) / 1e6;
      t.unusedBytes = m_tierPayloads->unusedBytes();
      // The server's own count when it can give one; else what the lab believes it holds.
      if (const std::optional<std::uint64_t> held = m_remote->countEntries()) {
        t.entries = *held;
        t.entriesSource = "server";
      } else {
        t.entriesSource = "believed";
      }
    }
    tiers.push_back(std::move(t));
  }
  return tiers;
}

at::Tensor LiveKvCache::stackKv(const std::vector<LayerKv>& kv) const {
  std::vector<at::Tensor> layers;
  layers.reserve(kv.size());
  for (const LayerKv& layer : kv) layers.push_back(at::stack({layer.k, layer.v}));  // (2, H, T, D)
  return at::stack(layers);                                                         // (L, 2, H, T, D)
}

std::vector<LayerKv> LiveKvCache::unstackKv(const at::Tensor& stacked) const {
  std::vector<LayerKv> kv(std::size_t(stacked.size(0)));
  for (std::int64_t l = 0; l < stacked.size(0); ++l)
    kv[std::size_t(l)] = LayerKv{stacked[l][0].contiguous(), stacked[l][1].contiguous()};
  return kv;
}

void LiveKvCache::releaseInUse() {
  for (const auto& [slot, id] : m_inUse) m_engine->release(slot, id);
  m_inUse.clear();
  if (m_tiers) m_tiers->releasePromoted();
}

LiveKvCache::Lookup LiveKvCache::lookup(std::span<const std::int32_t> tokens, std::string_view text,
                                        std::span<const std::uint32_t> boundaries) {
  releaseInUse();  // a request dropped between lookup and store (cancel, error) leaves nothing locked
  if (m_tierPayloads) m_tierPayloads->flush();  // demoted by a live max-size change since the last store()
  Lookup result;
  const std::uint64_t limit = m_index->reusableLimit(tokens.size());
  result.match = m_index->matchPrefix(PrefixRequest{tokens, text, boundaries}, limit);
  result.hitTokens = result.match.hitTokens;
  // In use from here: the promotions below must not evict them either.
  for (const SlotId slot : result.match.matched) {
    m_engine->protect(slot);
    m_inUse.emplace_back(slot, m_engine->entry(slot).id);
  }
  // The lower tiers continue the walk (TierHierarchy's rules): host blocks promoted into the cache (in use
  // until store()) or copied, then the remote store's leading run, fetched and decoded.
  std::vector<at::Tensor> lowerBlocks;  // after the cache's entries: host copies, then remote blocks
  if (m_tiers && result.hitTokens < limit) {
    const TierHierarchy::Walk walk =
        m_tiers->walk(result.match.keys, std::uint32_t(result.hitTokens / m_blockSize), limit);
    PrefixMatch& match = result.match;
    for (const TierHierarchy::Promotion& p : walk.promoted) {
      match.found[p.block] = p.slot;
      match.matched.push_back(p.slot);
      match.segments.push_back(
          PrefixSegment{p.slot, std::uint64_t(p.block) * m_blockSize, m_blockSize, kAllLayers, false});
    }
    lowerBlocks = m_tierPayloads->takeWalkBlocks();
    result.hitTokens += walk.tokens;
    result.hostHitTokens = walk.hostTokens;
    result.hostCopiedTokens = walk.hostCopiedTokens;
    result.remoteHitTokens = walk.remoteTokens;
  }
  m_engine->publish();
  if (result.hitTokens == 0) return result;
  // Stored tensors covering the prefix, in token order: an all-layer entry is (L, 2, H, T, D) already; a
  // run of per-layer entries over the same tokens (prompt mode, each (2, H, T, D)) is stacked into one.
  std::vector<at::Tensor> parts;
  const std::vector<PrefixSegment>& segments = result.match.segments;
  for (std::size_t i = 0; i < segments.size();) {
    if (segments[i].layer == kAllLayers) {
      parts.push_back(m_payload->get(segments[i++].slot));
      continue;
    }
    std::vector<at::Tensor> layers;
    const std::uint64_t start = segments[i].start;
    for (; i < segments.size() && segments[i].layer != kAllLayers && segments[i].start == start; ++i)
      layers.push_back(m_payload->get(segments[i].slot));
    parts.push_back(at::stack(layers));
  }
  parts.insert(parts.end(), lowerBlocks.begin(), lowerBlocks.end());
  at::Tensor prefix = parts.size() == 1 ? parts.front() : at::cat(parts, kTokenDim);
  prefix = prefix.narrow(kTokenDim, 0, std::int64_t(result.hitTokens));  // the last entry may reach past
  result.prefix = unstackKv(m_payload->toCompute(prefix));
  return result;
}

std::vector<std::uint32_t> LiveKvCache::store(std::span<const std::int32_t> tokens, std::string_view text,
                                              std::span<const std::uint32_t> boundaries, const Lookup& lookup,
                                              const std::vector<LayerKv>& newKv, std::uint32_t pinTokens) {
  const std::vector<PrefixSegment> segments =
      m_index->storePrefix(PrefixRequest{tokens, text, boundaries}, lookup.match);
  releaseInUse();
  // (layers, 2, kv_heads, computed tokens, head_dim): the K/V of tokens [hit, end). A new entry that starts
  // inside the reused prefix (prompt mode always; block mode when the prompt's own inserts removed one of
  // its hit blocks and stored it again) needs the reused K/V in front of it.
  at::Tensor source = stackKv(newKv);
  std::int64_t offset = std::int64_t(lookup.hitTokens);
  bool needPrefix = false;
  const std::uint64_t localHit = lookup.hitTokens - lookup.remoteHitTokens - lookup.hostCopiedTokens;
  for (const PrefixSegment& s : segments) {
    if (!s.isNew || std::int64_t(s.start) >= offset) continue;
    needPrefix = true;
    // Blocks fetched from the remote tier or copied from the host tier are promoted here, not reinserted.
    if (s.layer == kAllLayers && s.start < localHit) ++m_prefixReinserts;
  }
  if (needPrefix && offset > 0) {
    source = at::cat({stackKv(lookup.prefix), source}, kTokenDim);
    offset = 0;
  }
  for (const PrefixSegment& s : segments) {
    if (s.isNew) {
      const at::Tensor all = source.narrow(kTokenDim, std::int64_t(s.start) - offset, s.tokens);
      m_payload->put(s.slot, s.layer == kAllLayers ? all : all[s.layer]);  // (L, 2, H, T, D) or (2, H, T, D)
    }
    if (s.start + s.tokens <= pinTokens) m_engine->pin(s.slot);
  }
  m_payload->finishTransfers();  // offload: the stored K/V have landed in host memory
  if (m_tiers) {
    // The request's tier batch (TierHierarchy's rules): blocks new to the cache leave the host tier and,
    // write-through, go to the remote store; blocks the tiers took before their K/V was filed get it from
    // this request; then one remote put.
    const std::vector<CacheKey>& keys = lookup.match.keys;
    std::vector<SlotId> slots(keys.size(), kNoSlot);
    std::vector<bool> inserted(keys.size(), false);
    for (const PrefixSegment& s : segments) {
      const std::size_t b = std::size_t(s.start / m_blockSize);
      slots[b] = s.slot;
      inserted[b] = s.isNew;
    }
    m_tiers->finishRequest(keys, slots, inserted);
    at::Tensor reused;  // (L, 2, H, hit, D), stacked once if a reused block is asked for
    m_tierPayloads->fillFromRequest([&](const CacheKey& key) -> at::Tensor {
      const auto it = std::find(keys.begin(), keys.end(), key);
      if (it == keys.end()) return {};
      const std::int64_t start = std::int64_t(it - keys.begin()) * m_blockSize;
      if (start >= offset && start - offset + m_blockSize <= source.size(kTokenDim))
        return source.narrow(kTokenDim, start - offset, m_blockSize);
      if (start < offset && start + m_blockSize <= std::int64_t(lookup.hitTokens)) {
        if (!reused.defined()) reused = stackKv(lookup.prefix);
        return reused.narrow(kTokenDim, start, m_blockSize);
      }
      return {};
    });
    m_tierPayloads->flush();
  }
  m_engine->publish();
  // Where this prompt's cache units end, for the request view (block mode: every block size).
  std::vector<std::uint32_t> unitEnds;
  if (m_granularity == Granularity::Block) return unitEnds;
  for (const PrefixSegment& s : segments)
    if (s.layer == kAllLayers || s.layer == 0) unitEnds.push_back(std::uint32_t(s.start + s.tokens));
  if (m_granularity == Granularity::Prompt) unitEnds.push_back(std::uint32_t(tokens.size()));
  std::sort(unitEnds.begin(), unitEnds.end());
  unitEnds.erase(std::unique(unitEnds.begin(), unitEnds.end()), unitEnds.end());
  return unitEnds;
}

Bytes LiveKvCache::pinPrefix(std::span<const std::int32_t> tokens, std::string_view text,
                             std::span<const std::uint32_t> boundaries, std::uint32_t pinTokens) {
  const Bytes before = m_engine->pinnedBytes();
  for (const SlotId slot : m_index->storedPrefix(PrefixRequest{tokens, text, boundaries}, pinTokens))
    m_engine->pin(slot);
  m_engine->publish();
  return m_engine->pinnedBytes() - before;
}

}  // namespace kvlab
