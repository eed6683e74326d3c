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
  // Demotion / write-back: registered before the payload store's listener (listeners run in order), so the
  // evicted block's tensor is still there to keep: it is demoted into the host tier at once, or (no host
  // tier) put to the remote tier in one batch later. A block inserted and evicted again within one store()
  // (the device cache cannot hold the whole prompt) has no tensor yet: store() takes its K/V from the
  // request's own (host tier, and remote in both write modes).
  m_engine->addRemovalListener([this](SlotId slot, const EntryMeta& meta, EvictReason reason) {
    if (!m_host && !m_remote) return;
    if (reason != EvictReason::Capacity && reason != EvictReason::PolicyChange) return;
    if (!m_payload->has(slot)) {
      if (m_host || !m_remoteKnown.contains(meta.key.lo)) m_evictedUnfiled.push_back(meta.key.lo);
    } else if (m_host) {
      m_host->demote(meta.key, m_payload->take(slot));  // a pool block is copied out: the pool reuses it
    } else if (m_writeBack && !m_remoteKnown.contains(meta.key.lo)) {
      m_pendingWriteBack.emplace_back(meta.key.lo, m_payload->take(slot));
    }
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

void LiveKvCache::attachRemote(std::unique_ptr<KvTier> remote, bool writeBack) {
  if (m_granularity != Granularity::Block)
    throw InputError("", 0, "remote", "a remote tier needs block granularity (--granularity block)");
  m_remote = std::move(remote);
  m_writeBack = writeBack;
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
  config.layers = m_model.layers;
  m_host = std::make_unique<HostKvTier>(config, m_engine->clock(), perBlock, m_blockSize,
                                        /*pinned=*/m_computeDevice.rfind("cuda", 0) == 0);
  // Dropped from the host tier: write-back puts it to the remote tier (in store()'s batch), else it is gone.
  m_host->setDropListener([this](const CacheKey& key, const at::Tensor& kv) {
    if (m_remote && m_writeBack && !m_remoteKnown.contains(key.lo))
      m_pendingWriteBack.emplace_back(key.lo, kv);
  });
}

void LiveKvCache::promoteFromHost(Lookup& result, std::uint64_t limit, std::vector<at::Tensor>& copied) {
  PrefixMatch& match = result.match;
  const Bytes perBlock = kvBytesPerToken(m_model) * m_blockSize;
  const std::size_t end = std::min<std::size_t>(std::size_t(limit / m_blockSize), match.keys.size());
  for (std::size_t b = std::size_t(result.hitTokens / m_blockSize); b < end; ++b) {
    const CacheKey& key = match.keys[b];
    if (match.found[b] != kNoSlot) break;  // held by the device cache but unreachable (orphaned): not here
    if (!m_host->contains(key)) {
      m_host->countMiss();
      break;
    }
    // The cache must take it without evicting a block this request uses (its hits are protected); once
    // it cannot, the rest is copied for this request only (the order of the prefix stays: device
    // entries, promoted entries, copies).
    if (!copied.empty() || m_engine->insertableBytes() < perBlock) {
      copied.push_back(m_host->copyOut(key, m_payload->storageDevice()));
      result.hitTokens += m_blockSize;
      result.hostHitTokens += m_blockSize;
      result.hostCopiedTokens += m_blockSize;
      continue;
    }
    // Removed from the host tier first, so the block the insert demotes finds room there.
    at::Tensor kv = m_host->promote(key, m_payload->storageDevice());
    const SlotId slot = m_engine->insert(key, EntryInit{perBlock, m_blockSize, kAllLayers});
    if (slot == kNoSlot) throw std::logic_error("LiveKvCache: a promoted block did not fit");
    m_payload->put(slot, kv);
    m_engine->protect(slot);
    m_inUse.emplace_back(slot, m_engine->entry(slot).id);
    match.found[b] = slot;
    match.matched.push_back(slot);
    match.segments.push_back(
        PrefixSegment{slot, std::uint64_t(b) * m_blockSize, m_blockSize, kAllLayers, false});
    result.hitTokens += m_blockSize;
    result.hostHitTokens += m_blockSize;
  }
}

std::string LiveKvCache::encodeBlock(const at::Tensor& stored) const {
  const at::Tensor kv = stored.transpose(0, 1).contiguous().to(at::kCPU);  // (2, L, H, T, D)
  return std::string(static_cast<const char*>(kv.data_ptr()), std::size_t(kv.nbytes()));
}

at::Tensor LiveKvCache::decodeBlock(const std::string& payload) const {
  // The model's own dtype (bf16 and fp16 are both 2 bytes: the size alone would read bf16 bits as fp16).
  const at::ScalarType dtype = m_model.dtype == ComputeDtype::Bf16   ? at::kBFloat16
                               : m_model.dtype == ComputeDtype::Fp16 ? at::kHalf
                                                                     : at::kFloat;
  const std::vector<std::int64_t> shape{2, m_model.layers, m_model.kvHeads, std::int64_t(m_blockSize),
                                        m_model.headDim};
  // from_blob does not own the bytes: the transpose + contiguous() copy does, before payload goes.
  const at::Tensor kv =
      at::from_blob(const_cast<char*>(payload.data()), shape, at::TensorOptions().dtype(dtype));
  return kv.transpose(0, 1).contiguous().to(at::Device(m_payload->storageDevice()));  // (L, 2, H, T, D)
}

void LiveKvCache::putBlocks(std::vector<std::pair<std::uint64_t, at::Tensor>> blocks) {
  std::vector<std::string> payloads;
  std::vector<TierItem> items;
  payloads.reserve(blocks.size());
  absl::flat_hash_set<std::uint64_t> batch;
  for (const auto& [hash, tensor] : blocks) {
    if (!tensor.defined() || m_remoteKnown.contains(hash) || !batch.insert(hash).second) continue;
    payloads.push_back(encodeBlock(tensor));
    items.push_back(TierItem{hash, {}});
  }
  putRemote(items, payloads);
}

void LiveKvCache::putRemote(std::vector<TierItem>& items, const std::vector<std::string>& payloads) {
  if (items.empty()) return;
  for (std::size_t i = 0; i < items.size(); ++i) items[i].payload = payloads[i];
  // Known (never put again this run) only once stored; after a fault the blocks may be tried again.
  if (m_remote->put(items) == items.size())
    for (const TierItem& item : items) m_remoteKnown.insert(item.blockHash);
}

std::vector<TierReport> LiveKvCache::tierReports() const {
  const CacheSnapshot snap = m_engine->snapshot();
  std::vector<TierReport> tiers{
      deviceTierReport(snap.counters, snap.entries, m_payload->transferMs(), false)};
  if (m_host) tiers.push_back(m_host->report());
  if (m_remote) {
    TierReport remote = tierReportFromStats("remote", m_remote->stats(), /*remote=*/true);
    remote.hitTokens = m_remoteHitTokens;
    remote.entries = m_remoteKnown.size();
    tiers.push_back(std::move(remote));
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
}

LiveKvCache::Lookup LiveKvCache::lookup(std::span<const std::int32_t> tokens, std::string_view text,
                                        std::span<const std::uint32_t> boundaries) {
  releaseInUse();  // a request dropped between lookup and store (cancel, error) leaves nothing locked
  if (m_remote && !m_pendingWriteBack.empty())  // evicted by a live max-size change since the last store()
    putBlocks(std::exchange(m_pendingWriteBack, {}));
  Lookup result;
  const std::uint64_t limit = m_index->reusableLimit(tokens.size());
  result.match = m_index->matchPrefix(PrefixRequest{tokens, text, boundaries}, limit);
  result.hitTokens = result.match.hitTokens;
  // In use from here: the promotions below must not evict them either.
  for (const SlotId slot : result.match.matched) {
    m_engine->protect(slot);
    m_inUse.emplace_back(slot, m_engine->entry(slot).id);
  }
  std::vector<at::Tensor> lowerBlocks;  // after the cache's entries: host copies, then remote blocks
  if (m_host && result.hitTokens < limit) promoteFromHost(result, limit, lowerBlocks);
  // The remote tier continues the walk: the blocks after the local hit, up to the reusable limit, in one
  // batch; the leading run of valid blocks extends the hit (a gap ends it: later blocks are unreachable).
  if (m_remote && result.hitTokens < limit) {
    const std::size_t first = std::size_t(result.hitTokens / m_blockSize);
    const std::size_t end = std::min<std::size_t>(std::size_t(limit / m_blockSize), result.match.keys.size());
    std::vector<std::uint64_t> hashes;
    for (std::size_t b = first; b < end; ++b) hashes.push_back(result.match.keys[b].lo);
    if (!hashes.empty()) {
      std::vector<std::optional<std::string>> fetched = m_remote->get(hashes);
      for (std::size_t i = 0; i < fetched.size() && fetched[i]; ++i) {
        lowerBlocks.push_back(decodeBlock(*fetched[i]));
        m_remoteKnown.insert(hashes[i]);
      }
      result.remoteHitTokens = std::uint64_t(lowerBlocks.size()) * m_blockSize - result.hostCopiedTokens;
      result.hitTokens += result.remoteHitTokens;
      m_remoteHitTokens += result.remoteHitTokens;
    }
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
  if (m_host)  // a block now in the cache (copied from the host tier, fetched, computed) leaves the host tier
    for (const PrefixSegment& s : segments)
      if (s.isNew) m_host->discard(lookup.match.keys[std::size_t(s.start / m_blockSize)]);
  if (m_host || m_remote) {
    // One batch per request. Write-through: every block new to the device cache. Blocks of this prompt
    // evicted before they were filed: demoted into the host tier, and (without one, or write-through) put
    // to the remote tier. Write-back without a host tier: blocks with tensors evicted for room.
    std::vector<std::pair<std::uint64_t, at::Tensor>> blocks;
    const auto hashOf = [&](std::uint64_t start) {
      return lookup.match.keys[std::size_t(start / m_blockSize)].lo;
    };
    if (m_remote && !m_writeBack)
      for (const PrefixSegment& s : segments)
        if (s.isNew && m_payload->has(s.slot)) blocks.emplace_back(hashOf(s.start), m_payload->get(s.slot));
    for (const std::uint64_t hash : m_evictedUnfiled) {
      for (std::size_t b = 0; b < lookup.match.keys.size(); ++b) {
        if (lookup.match.keys[b].lo != hash) continue;
        const std::int64_t start = std::int64_t(b) * m_blockSize;
        if (start + m_blockSize > end) break;
        const at::Tensor kv = kvOf(start, m_blockSize);
        if (m_host && m_engine->find(lookup.match.keys[b]) == kNoSlot)
          m_host->demote(lookup.match.keys[b], kv);
        if (m_remote && (!m_host || !m_writeBack) && !m_remoteKnown.contains(hash))
          blocks.emplace_back(hash, kv);
        break;
      }
    }
    m_evictedUnfiled.clear();
    for (auto& pending : m_pendingWriteBack) blocks.push_back(std::move(pending));
    m_pendingWriteBack.clear();
    if (m_remote) putBlocks(std::move(blocks));
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
