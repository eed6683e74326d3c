// SPDX-License-Identifier: MIT
#include "core/runner/live_kv_cache.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

#include "core/cache/block_cache.h"
#include "core/cache/key_hasher.h"
#include "core/cache/prompt_cache.h"
#include "core/cache/radix_cache.h"

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
    : m_model(model), m_granularity(granularity) {
  config.layers = model.layers;
  m_engine = std::make_unique<CacheEngine>(config, clock);
  m_payload = std::make_unique<KvPayloadStore>(*m_engine, storageDevice, computeDevice);
  m_index = createIndex(granularity, *m_engine, model, blockSize);
  m_index->setSplitListener([this](SlotId oldEntry, SlotId newHead, std::uint32_t headTokens) {
    m_payload->split(oldEntry, newHead, headTokens, kTokenDim);
  });
}

LiveKvCache::~LiveKvCache() = default;

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
  Lookup result;
  result.match =
      m_index->matchPrefix(PrefixRequest{tokens, text, boundaries}, m_index->reusableLimit(tokens.size()));
  result.hitTokens = result.match.hitTokens;
  for (const SlotId slot : result.match.matched) {
    m_engine->protect(slot);
    m_inUse.emplace_back(slot, m_engine->entry(slot).id);
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
  for (const PrefixSegment& s : segments) {
    if (!s.isNew || std::int64_t(s.start) >= offset) continue;
    needPrefix = true;
    if (s.layer == kAllLayers) ++m_prefixReinserts;
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
