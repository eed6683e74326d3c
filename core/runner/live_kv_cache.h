// SPDX-License-Identifier: MIT
#pragma once
// A cache with real tensors: the engine plus one granularity (prompt, block or radix) plus the payload
// store. lookup() hands the model the K/V of the longest reusable prefix; store() files the K/V the model
// computed. Internal to core/runner.
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/cache/block_cache.h"
#include "core/cache/cache_engine.h"
#include "core/cache/prompt_cache.h"
#include "core/cache/radix_cache.h"
#include "core/model/llama_model.h"
#include "core/model/model_config.h"
#include "core/runner/kv_payload_store.h"
#include "core/runner/run_types.h"

namespace kvlab {

class LiveKvCache {
public:
  LiveKvCache(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize, CacheConfig config,
              const Clock& clock, const std::string& storageDevice, const std::string& computeDevice);
  ~LiveKvCache();

  struct Lookup {
    std::uint64_t hitTokens = 0;
    std::vector<LayerKv> prefix;      // per layer, on the compute device; empty when hitTokens == 0
    std::vector<CacheKey> blockKeys;  // block mode: keys of the prompt's full blocks
    BlockCache::Match blockMatch;     // block mode
  };
  // Longest reusable prefix of the prompt, at most tokens.size() - 1 tokens (the last position is always
  // computed, to produce logits). Records the query in the engine's stats.
  Lookup lookup(std::span<const std::int32_t> tokens, std::string_view text,
                std::span<const std::uint32_t> boundaries);
  // Files the prompt's K/V: lookup.prefix for [0, hit) and newKv for [hit, end). pinTokens > 0 pins the
  // entries that lie within the first pinTokens tokens (within the engine's pinned budget). Returns the
  // token offsets where this prompt's cache units end (radix nodes, prompt entries; empty in block mode,
  // whose units are the block size).
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

private:
  at::Tensor stackKv(const std::vector<LayerKv>& kv) const;  // -> (layers, 2, kv_heads, tokens, head_dim)
  std::vector<LayerKv> unstackKv(const at::Tensor& stacked) const;
  // computed: stacked K/V of tokens [offset, end); offset = the lookup's hit tokens.
  void storeBlocks(const Lookup& lookup, const at::Tensor& computed, std::int64_t offset,
                   std::uint32_t pinTokens);
  // Returns the end offsets of the prompt's path nodes.
  std::vector<std::uint32_t> storeRadix(std::span<const std::int32_t> tokens, const at::Tensor& computed,
                                        std::int64_t offset, std::uint32_t pinTokens);
  void storePrompt(std::string_view text, std::span<const std::uint32_t> boundaries, const at::Tensor& full,
                   std::uint32_t pinTokens);

  ModelConfig m_model;
  Granularity m_granularity;
  std::unique_ptr<CacheEngine> m_engine;
  std::unique_ptr<KvPayloadStore> m_payload;
  std::unique_ptr<BlockCache> m_blocks;
  std::unique_ptr<RadixCache> m_radix;
  std::unique_ptr<PromptCache> m_prompts;
};

}  // namespace kvlab
