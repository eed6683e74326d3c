// SPDX-License-Identifier: MIT
#pragma once
// Public (installed) header: the original Python SimpleKVCache, in C++, on KV Cache Lab's engine.
//
//   #include <kvlab/simple_kv_cache.h>
//   using namespace kvlab::literals;
//   using namespace std::chrono_literals;
//   kvlab::SimpleKVCache cache({.maxSizeBytes = 10_GiB, .ttl = 1h, .ttlMode = kvlab::TtlMode::Age});
//   cache.cacheKv("user query", /*layer=*/0, k, v);
//   if (auto kv = cache.getCachedKv("user query", /*layer=*/0)) use(kv->first, kv->second);
//   std::printf("hit rate %.1f %%\n", cache.stats().hitRatePercent);
//
// Semantics, as the original: one entry per (prompt string, layer), keyed by SHA-256 of the prompt and the
// layer; a size limit in bytes of stored K/V (K bytes + V bytes per entry) with least-recently-used
// eviction when an insert needs room; a TTL after which an entry is no longer served (by default its age
// since insertion, like the original's dict of timestamps). It is the engine's prompt granularity
// (core/cache/prompt_cache) with its tensor store (core/runner/kv_payload_store): the same code the lab runs.
//
// Thread safety: every member function may be called from any thread at the same time; one mutex
// serialises them (tensor copies included), so this is a correct shared cache, not a concurrent one.
//
// Needs only <ATen/core/Tensor.h> from LibTorch: link LibTorch yourself (find_package(KvLab) finds it).
#include <ATen/core/Tensor.h>
#include <kvlab/size_literals.h>
#include <kvlab/ttl_mode.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kvlab {

class SimpleKVCache {
public:
  // An aggregate: designated initialisers work for any prefix of the fields, in this order.
  struct Options {
    // Bytes of K/V kept at most (10 GiB, the original's max_size_gb=10). Never exceeded.
    std::uint64_t maxSizeBytes = std::uint64_t(10) << 30;
    // An entry older than this is not served and is removed (1 hour, as the original). 0 = never expires.
    std::chrono::milliseconds ttl = std::chrono::hours(1);
    // What ttl measures: Age = since insertion (the original), Idle = since the last hit.
    TtlMode ttlMode = TtlMode::Age;
    // Where stored K/V live: "cpu" (the original), "cuda", "cuda:1", ...
    std::string storageDevice = "cpu";
    // Eviction policy when an insert needs room: lru (the original), fifo, lfu, sieve.
    std::string policy = "lru";
    // Layers are 0 .. maxLayers-1 (per-layer accounting is sized by it).
    int maxLayers = 256;
    // The clock the TTL is measured on: any monotonic time. Empty = std::chrono::steady_clock. For tests
    // and simulations (drive expiry without waiting).
    std::function<std::chrono::milliseconds()> clock = {};  // (= {}: no -Wmissing-field-initializers)
  };

  // Counters since construction (clear() keeps them) and the current contents.
  struct Stats {
    std::uint64_t hits = 0;         // getCachedKv calls that returned K/V
    std::uint64_t misses = 0;       // getCachedKv calls that returned nothing
    std::uint64_t entries = 0;      // (prompt, layer) entries stored now
    std::uint64_t bytes = 0;        // K/V bytes stored now
    std::uint64_t evictions = 0;    // entries removed to make room (not by TTL, clear() or replacement)
    std::uint64_t expirations = 0;  // entries removed by the TTL
    double hitRatePercent = 0;      // 100 * hits / (hits + misses); 0 before the first lookup
  };

  SimpleKVCache();  // the defaults above
  // Throws std::invalid_argument for a negative ttl, an unknown policy or device, maxLayers < 1.
  explicit SimpleKVCache(Options options);
  ~SimpleKVCache();
  SimpleKVCache(const SimpleKVCache&) = delete;
  SimpleKVCache& operator=(const SimpleKVCache&) = delete;

  // cache_kv: stores (or replaces) the K/V of one layer of a prompt, copied to the storage device. k and v
  // may have any shapes and devices but one dtype (else std::invalid_argument), and must be defined.
  // Evicts per policy until it fits. Returns false (stores nothing, evicts nothing, and the entry stored
  // before for this prompt and layer is gone) when it cannot fit: k and v together exceed maxSizeBytes.
  // Throws std::out_of_range for a layer outside [0, maxLayers).
  bool cacheKv(std::string_view prompt, int layer, const at::Tensor& k, const at::Tensor& v);

  // get_cached_kv: the K/V stored for (prompt, layer), or nothing (never stored, evicted or expired).
  // Counts one hit or miss; a hit counts as a use (LRU order; the TTL too in Idle mode). The tensors come
  // back with the shapes they were stored with, on `device`, or when it is not given on the devices k and
  // v were on when cached. On the storage device they share memory with the cache: clone before writing.
  std::optional<std::pair<at::Tensor, at::Tensor>> getCachedKv(std::string_view prompt, int layer,
                                                               std::optional<c10::Device> device = {});

  // Counters and contents; expired entries are removed first, so entries/bytes are what can be served.
  Stats stats() const;
  // Removes every entry. Counters stay (they are not evictions).
  void clear();

private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kvlab
