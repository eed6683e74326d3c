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
// The block pool's first size when the run gives no estimate (it doubles when full).
constexpr Bytes kInitialPoolBlocks = 64;
// Entries read one by one per layer (radix nodes, prompt entries) beyond this many are assembled into one
// tensor at lookup instead: each is a copy per layer and K/V, and a prefix of many small ones would cost
// more in calls than the one copy.
constexpr std::size_t kMaxEntryPieces = 16;

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
  // Block granularity keeps its blocks in one pool that prefills read in place (storage = compute device).
  // It starts small and doubles; reservePool() sizes it up front when the run knows better.
  if (granularity == Granularity::Block) {
    const Bytes perBlock = std::max<Bytes>(1, kvBytesPerToken(model) * blockSize);
    const Bytes capacityBlocks = config.capacityBytes / perBlock;
    m_payload->usePool(blockSize, std::int64_t(std::clamp<Bytes>(capacityBlocks, 2, kInitialPoolBlocks)));
  }
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
  std::vector<at::Tensor> tensors;  // k0, v0, k1, v1, ...: one stack, one copy
  tensors.reserve(2 * kv.size());
  for (const LayerKv& layer : kv) {
    tensors.push_back(layer.k);
    tensors.push_back(layer.v);
  }
  const at::Tensor stacked = at::stack(tensors);  // (2L, H, T, D)
  return stacked.view({std::int64_t(kv.size()), 2, stacked.size(1), stacked.size(2), stacked.size(3)});
}

void LiveKvCache::reservePool(Bytes expectedBytes) {
  const Bytes perBlock = std::max<Bytes>(1, kvBytesPerToken(m_model) * m_blockSize);
  m_payload->reservePool(std::int64_t(std::min<Bytes>(expectedBytes / perBlock + 1, Bytes(1) << 40)));
}

std::shared_ptr<const CachedPrefix> LiveKvCache::prefixOf(const Lookup& result,
                                                          const std::vector<at::Tensor>& lowerBlocks) {
  auto prefix = std::make_shared<CachedPrefix>(m_model.layers);
  const std::vector<PrefixSegment>& segments = result.match.segments;
  const std::uint64_t lowerTokens = std::uint64_t(lowerBlocks.size()) * m_blockSize;
  const std::uint64_t localTokens = result.hitTokens - lowerTokens;  // the device cache's entries
  if (m_payload->storageDevice() != m_computeDevice) {
    // Offload: the stored K/V are in host memory; one assembled prefix crosses to the compute device in one
    // transfer (pinned staging, side stream), and prefills read it from there.
    std::vector<at::Tensor> parts;
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
    at::Tensor whole = parts.size() == 1 ? parts.front() : at::cat(parts, kTokenDim);
    whole = whole.narrow(kTokenDim, 0, std::int64_t(result.hitTokens));  // the last entry may reach past
    prefix->addEntry(m_payload->toCompute(whole), std::int64_t(result.hitTokens));
    prefix->finish();
    return prefix;
  }
  // In place: pool blocks (block granularity) as runs, one gather per layer; entries (radix nodes; prompt
  // entries, per layer) one copy per layer each - or, when there are many, assembled once here.
  struct Piece {
    std::int64_t block = -1;         // a whole block in the pool, or
    std::vector<at::Tensor> stored;  // one all-layer entry (L, 2, H, T, D) or per-layer ones (2, H, T, D)
    std::int64_t tokens = 0;         // used (the last entry may reach past the hit)
  };
  std::vector<Piece> pieces;
  std::size_t entryPieces = 0;
  std::uint64_t covered = 0;
  for (std::size_t i = 0; i < segments.size() && covered < localTokens;) {
    const PrefixSegment& s = segments[i];
    Piece piece;
    piece.tokens = std::int64_t(std::min<std::uint64_t>(s.tokens, localTokens - covered));
    covered += std::uint64_t(piece.tokens);
    if (s.layer == kAllLayers) {
      piece.block = m_payload->poolBlock(s.slot);
      if (piece.block < 0) piece.stored.push_back(m_payload->get(s.slot));
      ++i;
    } else {
      for (; i < segments.size() && segments[i].layer != kAllLayers && segments[i].start == s.start; ++i)
        piece.stored.push_back(m_payload->get(segments[i].slot));
    }
    entryPieces += piece.block < 0;
    pieces.push_back(std::move(piece));
  }
  const auto allLayers = [](const Piece& p) {  // (L, 2, H, tokens, D)
    return (p.stored.size() == 1 ? p.stored.front() : at::stack(p.stored)).narrow(kTokenDim, 0, p.tokens);
  };
  if (entryPieces > kMaxEntryPieces && entryPieces == pieces.size()) {
    std::vector<at::Tensor> parts;
    for (const Piece& p : pieces) parts.push_back(allLayers(p));
    prefix->addEntry(at::cat(parts, kTokenDim), std::int64_t(localTokens));
  } else {
    std::vector<std::int64_t> run;
    for (const Piece& p : pieces) {
      if (p.block >= 0) {
        run.push_back(p.block);
        continue;
      }
      prefix->addBlocks(m_payload->pool(), std::exchange(run, {}));
      if (p.stored.size() == 1)
        prefix->addEntry(p.stored.front(), p.tokens);
      else
        prefix->addLayerEntries(p.stored, p.tokens);
    }
    prefix->addBlocks(m_payload->pool(), run);
  }
  // Blocks from the lower tiers (host copies, remote fetches): into pool blocks this prefix alone holds
  // (freed when it goes), so the whole prefix stays one run.
  for (const at::Tensor& kv : lowerBlocks) {
    const std::shared_ptr<PagedKvPool> lowerPool = m_payload->poolFor(kv);
    if (!lowerPool) {
      prefix->addEntry(kv, m_blockSize);
      continue;
    }
    const std::int64_t block = lowerPool->allocate();
    lowerPool->write(block, kv);
    prefix->addBlocks(lowerPool, {block});
    lowerPool->release(block);  // the prefix's reference is the only one
  }
  prefix->finish();
  return prefix;
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
  result.prefix = prefixOf(result, lowerBlocks);
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
  // its hit blocks and stored it again, or a block came from a lower tier) takes the reused K/V from the
  // lookup's prefix, which still holds them.
  const std::int64_t hit = std::int64_t(lookup.hitTokens);
  const at::Tensor source = stackKv(newKv);
  const std::int64_t end = hit + source.size(kTokenDim);
  std::pair<std::int64_t, std::int64_t> lastRange{-1, -1};  // prompt mode asks every layer for one range
  at::Tensor lastKv;
  const auto kvOf = [&](std::int64_t start, std::int64_t count) -> at::Tensor {  // (L, 2, H, count, D)
    if (start >= hit) return source.narrow(kTokenDim, start - hit, count);
    if (lastRange == std::pair{start, count}) return lastKv;
    lastRange = {start, count};
    lastKv = start + count <= hit ? lookup.prefix->slice(start, count)
                                  : at::cat({lookup.prefix->slice(start, hit - start),
                                             source.narrow(kTokenDim, 0, start + count - hit)},
                                            kTokenDim);
    return lastKv;
  };
  const std::uint64_t localHit = lookup.hitTokens - lookup.remoteHitTokens - lookup.hostCopiedTokens;
  for (const PrefixSegment& s : segments) {
    // Blocks fetched from the remote tier or copied from the host tier are promoted here, not reinserted.
    if (s.isNew && std::int64_t(s.start) < hit && s.layer == kAllLayers && s.start < localHit)
      ++m_prefixReinserts;
  }
  for (const PrefixSegment& s : segments) {
    if (s.isNew) {
      const at::Tensor all = kvOf(std::int64_t(s.start), s.tokens);
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
    m_tierPayloads->fillFromRequest([&](const CacheKey& key) -> at::Tensor {
      const auto it = std::find(keys.begin(), keys.end(), key);
      if (it == keys.end()) return {};
      const std::int64_t start = std::int64_t(it - keys.begin()) * m_blockSize;
      if (start + m_blockSize > end) return {};
      return kvOf(start, m_blockSize);
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
