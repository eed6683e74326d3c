// SPDX-License-Identifier: MIT
#include "core/runner/live_kv_cache.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "core/cache/key_hasher.h"

namespace kvlab {

namespace {
constexpr int kTokenDim = 3;  // in a stacked (layers, 2, kv_heads, tokens, head_dim) tensor
}  // namespace

LiveKvCache::LiveKvCache(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize,
                         CacheConfig config, const Clock& clock, const std::string& storageDevice,
                         const std::string& computeDevice)
    : m_model(model), m_granularity(granularity) {
  config.layers = model.layers;
  m_engine = std::make_unique<CacheEngine>(config, clock);
  m_payload = std::make_unique<KvPayloadStore>(*m_engine, storageDevice, computeDevice);
  const Bytes perToken = kvBytesPerToken(model);
  switch (granularity) {
    case Granularity::Block:
      m_blocks = std::make_unique<BlockCache>(*m_engine, blockSize, BlockHash::Xxh3, perToken * blockSize);
      break;
    case Granularity::Radix:
      m_radix = std::make_unique<RadixCache>(*m_engine, perToken);
      m_radix->setSplitListener([this](SlotId oldNode, SlotId newHead, std::uint32_t headTokens) {
        m_payload->split(oldNode, newHead, headTokens, kTokenDim);
      });
      break;
    case Granularity::Prompt:
      m_prompts = std::make_unique<PromptCache>(*m_engine, model.layers);
      break;
  }
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

LiveKvCache::Lookup LiveKvCache::lookup(std::span<const std::int32_t> tokens, std::string_view text,
                                        std::span<const std::uint32_t> boundaries) {
  Lookup result;
  const std::uint64_t maxHit = tokens.empty() ? 0 : tokens.size() - 1;
  std::vector<at::Tensor> parts;  // stored tensors covering the prefix, in token order
  switch (m_granularity) {
    case Granularity::Block: {
      result.blockKeys = m_blocks->blockKeys(tokens);
      m_blocks->match(result.blockKeys, tokens.size(), maxHit, result.blockMatch);
      result.hitTokens = result.blockMatch.hitTokens;
      for (const SlotId slot : result.blockMatch.hitSlots) parts.push_back(m_payload->get(slot));
      break;
    }
    case Granularity::Radix: {
      const RadixCache::Match match = m_radix->match(tokens, maxHit);
      result.hitTokens = match.hitTokens;
      for (const SlotId slot : match.path) parts.push_back(m_payload->get(slot));
      break;
    }
    case Granularity::Prompt: {
      const PromptCache::Match match = m_prompts->matchLongest(text, boundaries, maxHit);
      result.hitTokens = match.prefixLength;
      if (result.hitTokens > 0) {
        std::vector<at::Tensor> layers;  // each (2, H, P, D)
        for (const SlotId slot : match.layerSlots) layers.push_back(m_payload->get(slot));
        parts.push_back(at::stack(layers));
      }
      break;
    }
  }
  m_engine->publish();
  if (result.hitTokens == 0) return result;
  at::Tensor prefix = parts.size() == 1 ? parts.front() : at::cat(parts, kTokenDim);
  prefix = prefix.narrow(kTokenDim, 0, std::int64_t(result.hitTokens));  // block mode may be capped
  result.prefix = unstackKv(m_payload->toCompute(prefix));
  return result;
}

std::vector<std::uint32_t> LiveKvCache::store(std::span<const std::int32_t> tokens, std::string_view text,
                                              std::span<const std::uint32_t> boundaries, const Lookup& lookup,
                                              const std::vector<LayerKv>& newKv, std::uint32_t pinTokens) {
  std::vector<std::uint32_t> unitEnds;
  // (layers, 2, kv_heads, computed tokens, head_dim): the K/V of tokens [hit, end).
  const at::Tensor computed = stackKv(newKv);
  const std::int64_t offset = std::int64_t(lookup.hitTokens);
  switch (m_granularity) {
    // New blocks and new radix leaves start at or after the hit, so the computed K/V covers them.
    case Granularity::Block:
      storeBlocks(lookup, computed, offset, pinTokens);
      break;
    case Granularity::Radix:
      unitEnds = storeRadix(tokens, computed, offset, pinTokens);
      break;
    case Granularity::Prompt: {
      for (const std::uint32_t b : boundaries)
        if (b < tokens.size()) unitEnds.push_back(b);
      // Boundary prefixes start at token 0: they need the cached part too.
      const at::Tensor full = offset > 0 ? at::cat({stackKv(lookup.prefix), computed}, kTokenDim) : computed;
      storePrompt(text, boundaries, full, pinTokens);
      unitEnds.push_back(std::uint32_t(tokens.size()));
      break;
    }
  }
  m_engine->publish();
  return unitEnds;
}

Bytes LiveKvCache::pinPrefix(std::span<const std::int32_t> tokens, std::string_view text,
                             std::span<const std::uint32_t> boundaries, std::uint32_t pinTokens) {
  const Bytes before = m_engine->pinnedBytes();
  switch (m_granularity) {
    case Granularity::Block: {
      const std::vector<CacheKey> keys = m_blocks->blockKeys(tokens);
      const std::uint64_t b = m_blocks->blockSize();
      for (std::size_t i = 0; i < keys.size() && (i + 1) * b <= pinTokens; ++i) {
        const SlotId slot = m_engine->find(keys[i]);
        if (slot == kNoSlot) break;  // a later block is unreachable without this one
        m_engine->pin(slot);
      }
      break;
    }
    case Granularity::Prompt:
      for (const std::uint32_t length : boundaries) {
        if (length > pinTokens || length > text.size()) break;
        for (int layer = 0; layer < m_model.layers; ++layer) {
          const SlotId slot = m_engine->find(PromptCache::keyFor(text.substr(0, length), layer));
          if (slot != kNoSlot) m_engine->pin(slot);
        }
      }
      break;
    case Granularity::Radix:
      break;
  }
  m_engine->publish();
  return m_engine->pinnedBytes() - before;
}

void LiveKvCache::storeBlocks(const Lookup& lookup, const at::Tensor& computed, std::int64_t offset,
                              std::uint32_t pinTokens) {
  std::vector<SlotId> slots;
  std::vector<bool> inserted;
  m_blocks->commit(lookup.blockKeys, lookup.blockMatch, slots, &inserted);
  const std::int64_t b = m_blocks->blockSize();
  // Inserting the tail can evict one of this request's own hit blocks under a small cache, which commit
  // then re-inserts: its K/V lies in the cached prefix, so fall back to the whole prompt's K/V.
  at::Tensor source = computed;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (inserted[i] && std::int64_t(i) * b < offset) {
      source = at::cat({stackKv(lookup.prefix), computed}, kTokenDim);
      offset = 0;
      break;
    }
  }
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] == kNoSlot) continue;
    if (inserted[i]) m_payload->put(slots[i], source.narrow(kTokenDim, std::int64_t(i) * b - offset, b));
    if (std::uint64_t(i + 1) * std::uint64_t(b) <= pinTokens) m_engine->pin(slots[i]);
  }
}

std::vector<std::uint32_t> LiveKvCache::storeRadix(std::span<const std::int32_t> tokens,
                                                   const at::Tensor& computed, std::int64_t offset,
                                                   std::uint32_t pinTokens) {
  const RadixCache::Insertion ins = m_radix->insert(tokens);
  std::vector<std::uint32_t> unitEnds;
  for (std::size_t i = 0; i < ins.nodes.size(); ++i) {
    const SlotId slot = ins.nodes[i];
    const std::uint32_t length = m_engine->entry(slot).tokens;
    unitEnds.push_back(std::uint32_t(ins.nodeStart[i] + length));
    if (ins.isNew[i])
      m_payload->put(slot, computed.narrow(kTokenDim, std::int64_t(ins.nodeStart[i]) - offset, length));
    if (ins.nodeStart[i] + length <= pinTokens) m_engine->pin(slot);
  }
  return unitEnds;
}

void LiveKvCache::storePrompt(std::string_view text, std::span<const std::uint32_t> boundaries,
                              const at::Tensor& full, std::uint32_t pinTokens) {
  // Every boundary prefix not yet stored gets its own copy per layer: prompt granularity cannot share
  // storage between prefixes, which is exactly what it costs compared with blocks or a radix tree.
  for (const std::size_t length : m_prompts->missingBoundaries(text, boundaries)) {
    const std::string_view prefix = text.substr(0, length);
    for (int layer = 0; layer < m_model.layers; ++layer) {
      if (m_engine->find(PromptCache::keyFor(prefix, layer)) != kNoSlot) continue;
      const at::Tensor kv = full[layer].narrow(2, 0, std::int64_t(length));  // (2, H, P, D), a view
      const Bytes bytes = Bytes(kv.numel()) * Bytes(kv.element_size());
      const SlotId slot = m_prompts->cacheKv(prefix, layer, bytes);
      if (slot == kNoSlot) continue;
      m_payload->put(slot, kv);
      if (length <= pinTokens) m_engine->pin(slot);
    }
  }
}

}  // namespace kvlab
