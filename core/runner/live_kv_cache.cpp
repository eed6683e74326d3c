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
      m_host->demote(meta.key, m_payload->get(slot));
    } else if (m_writeBack && !m_remoteKnown.contains(meta.key.lo)) {
      m_pendingWriteBack.emplace_back(meta.key.lo, m_payload->get(slot));
    }
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
  // The stored dtype, as the blob header names it (the codec checked that it is this model's): bf16 and
  // fp16 have the same size, so the element size cannot tell them apart.
  at::ScalarType dtype = at::kFloat;
  switch (modelBlobLayout(m_model, m_blockSize).dtype) {
    case BlobDtype::F32:
      dtype = at::kFloat;
      break;
    case BlobDtype::F16:
      dtype = at::kHalf;
      break;
    case BlobDtype::BF16:
      dtype = at::kBFloat16;
      break;
  }
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
        at::Tensor kv;
        if (start >= offset && start - offset + m_blockSize <= source.size(kTokenDim))
          kv = source.narrow(kTokenDim, start - offset, m_blockSize);
        else if (start < offset && start + m_blockSize <= std::int64_t(lookup.hitTokens))
          kv = stackKv(lookup.prefix).narrow(kTokenDim, start, m_blockSize);
        if (!kv.defined()) break;
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
