// SPDX-License-Identifier: MIT
#include "kvlab/simple_kv_cache.h"

#include <ATen/ATen.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/cache/prompt_cache.h"
#include "core/runner/kv_payload_store.h"

namespace kvlab {

namespace {
// Options::clock, or steady_clock when it is empty. Milliseconds on the engine's TimeMs scale.
class FunctionClock final : public Clock {
public:
  explicit FunctionClock(std::function<std::chrono::milliseconds()> now) : m_now(std::move(now)) {}
  TimeMs nowMs() const override {
    if (m_now) return TimeMs(m_now().count());
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

private:
  std::function<std::chrono::milliseconds()> m_now;
};

CacheConfig engineConfig(const SimpleKVCache::Options& o) {
  if (o.ttl.count() < 0) throw std::invalid_argument("SimpleKVCache: ttl must not be negative");
  if (o.maxLayers < 1) throw std::invalid_argument("SimpleKVCache: maxLayers must be at least 1");
  CacheConfig config;
  config.capacityBytes = o.maxSizeBytes;
  config.ttlMs = TimeMs(o.ttl.count());
  config.ttlMode = o.ttlMode;
  config.policy = o.policy;  // the engine throws std::invalid_argument for an unknown name
  config.layers = o.maxLayers;
  return config;
}

std::string checkedDevice(const std::string& name) {
  std::optional<at::Device> device;
  try {
    device = at::Device(name);
  } catch (const std::exception&) {
    throw std::invalid_argument("SimpleKVCache: unknown storage device '" + name + "'");
  }
  if (device->is_cuda() && !at::hasCUDA())
    throw std::invalid_argument("SimpleKVCache: storage device '" + name + "' but CUDA is not available");
  return device->str();
}
}  // namespace

// One entry's tensors are stored as one flat tensor, K's elements then V's (one copy, one engine entry, so
// K and V are evicted together); Layout says how to cut it back.
class SimpleKVCache::Impl {
public:
  explicit Impl(Options options)
      : m_clock(std::move(options.clock)),
        m_engine(engineConfig(options), m_clock),
        m_prompts(m_engine, options.maxLayers),
        m_store(m_engine, checkedDevice(options.storageDevice), checkedDevice(options.storageDevice)),
        m_maxLayers(options.maxLayers) {
    m_engine.setAutoPublish(false);  // nobody reads snapshots here
  }

  struct Layout {
    std::vector<std::int64_t> kSizes, vSizes;
    std::int64_t kNumel = 0;
    c10::Device kDevice = c10::Device(c10::kCPU), vDevice = c10::Device(c10::kCPU);
  };

  void checkLayer(int layer) const {
    if (layer < 0 || layer >= m_maxLayers)
      throw std::out_of_range("SimpleKVCache: layer " + std::to_string(layer) + " outside [0, " +
                              std::to_string(m_maxLayers) + ")");
  }

  mutable std::mutex m_mutex;  // guards everything below
  FunctionClock m_clock;
  CacheEngine m_engine;
  PromptCache m_prompts;
  KvPayloadStore m_store;
  int m_maxLayers;
  std::vector<Layout> m_layouts;  // by engine slot; valid while the slot holds an entry
};

SimpleKVCache::SimpleKVCache() : SimpleKVCache(Options{}) {}

SimpleKVCache::SimpleKVCache(Options options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

SimpleKVCache::~SimpleKVCache() = default;

bool SimpleKVCache::cacheKv(std::string_view prompt, int layer, const at::Tensor& k, const at::Tensor& v) {
  if (!k.defined() || !v.defined()) throw std::invalid_argument("SimpleKVCache::cacheKv: undefined tensor");
  if (k.scalar_type() != v.scalar_type())
    throw std::invalid_argument("SimpleKVCache::cacheKv: k and v have different dtypes");
  std::lock_guard lock(m_impl->m_mutex);
  m_impl->checkLayer(layer);
  const std::int64_t kNumel = k.numel();
  const Bytes bytes = Bytes(kNumel + v.numel()) * Bytes(k.element_size());
  const SlotId slot = m_impl->m_prompts.cacheKv(prompt, layer, bytes);
  if (slot == kNoSlot) return false;
  const at::NoGradGuard noGrad;  // a copy of the values, never part of the caller's autograd graph
  // Allocate on the storage device and copy K and V straight into it: one copy each, across devices too.
  at::Tensor flat = at::empty({kNumel + v.numel()}, k.options().device(m_impl->m_store.storageDevice()));
  flat.narrow(0, 0, kNumel).view(k.sizes()).copy_(k);
  flat.narrow(0, kNumel, v.numel()).view(v.sizes()).copy_(v);
  m_impl->m_store.put(slot, flat);
  if (slot >= m_impl->m_layouts.size()) m_impl->m_layouts.resize(std::size_t(slot) * 2 + 16);
  m_impl->m_layouts[slot] = Impl::Layout{k.sizes().vec(), v.sizes().vec(), kNumel, k.device(), v.device()};
  return true;
}

std::optional<std::pair<at::Tensor, at::Tensor>> SimpleKVCache::getCachedKv(
    std::string_view prompt, int layer, std::optional<c10::Device> device) {
  std::lock_guard lock(m_impl->m_mutex);
  m_impl->checkLayer(layer);
  const SlotId slot = m_impl->m_prompts.getCachedKv(prompt, layer);
  if (slot == kNoSlot) return std::nullopt;
  const at::Tensor& flat = m_impl->m_store.get(slot);
  const Impl::Layout& layout = m_impl->m_layouts[slot];
  const std::int64_t vNumel = flat.numel() - layout.kNumel;
  at::Tensor k = flat.narrow(0, 0, layout.kNumel).view(layout.kSizes);
  at::Tensor v = flat.narrow(0, layout.kNumel, vNumel).view(layout.vSizes);
  return std::pair{k.to(device.value_or(layout.kDevice)), v.to(device.value_or(layout.vDevice))};
}

SimpleKVCache::Stats SimpleKVCache::stats() const {
  std::lock_guard lock(m_impl->m_mutex);
  m_impl->m_engine.expireNow();
  const CacheCounters& c = m_impl->m_engine.counters();
  Stats s;
  s.hits = c.hits;
  s.misses = c.misses;
  s.entries = m_impl->m_engine.entryCount();
  s.bytes = m_impl->m_engine.usedBytes();
  s.evictions = c.evictions[std::size_t(EvictReason::Capacity)];
  s.expirations = c.expirations();
  const std::uint64_t lookups = s.hits + s.misses;
  s.hitRatePercent = lookups ? 100.0 * double(s.hits) / double(lookups) : 0.0;
  return s;
}

void SimpleKVCache::clear() {
  std::lock_guard lock(m_impl->m_mutex);
  m_impl->m_engine.clear();
}

}  // namespace kvlab
