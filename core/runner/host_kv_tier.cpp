// SPDX-License-Identifier: MIT
#include "core/runner/host_kv_tier.h"

#include <ATen/ATen.h>

#include <chrono>
#include <stdexcept>

namespace kvlab {

namespace {
double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

HostKvTier::HostKvTier(CacheConfig config, const Clock& clock, Bytes bytesPerBlock, std::uint32_t blockTokens,
                       bool pinned)
    : m_bytesPerBlock(bytesPerBlock), m_blockTokens(blockTokens), m_pinned(pinned) {
  config.ttlMs = 0;
  m_engine = std::make_unique<CacheEngine>(config, clock);
  // One listener: hand the dropped block on (while its tensor is still here), then free the tensor.
  m_engine->addRemovalListener([this](SlotId slot, const EntryMeta& meta, EvictReason reason) {
    if (slot >= m_tensors.size()) return;
    if ((reason == EvictReason::Capacity || reason == EvictReason::PolicyChange) && m_dropListener &&
        m_tensors[slot].defined())
      m_dropListener(meta.key, m_tensors[slot]);
    m_tensors[slot] = at::Tensor();
  });
}

HostKvTier::~HostKvTier() = default;

void HostKvTier::demote(const CacheKey& key, const at::Tensor& kv) {
  if (m_engine->find(key) != kNoSlot) return;
  const auto start = std::chrono::steady_clock::now();
  at::Tensor host;
  if (kv.device().is_cpu() && !m_pinned && kv.is_contiguous() && kv.storage().nbytes() == kv.nbytes()) {
    host = kv;  // already a compact host tensor (CPU compute device): moved, not copied
  } else {
    host = at::empty(kv.sizes(), kv.options().device(at::kCPU).pinned_memory(m_pinned));
    host.copy_(kv);  // blocking: on CUDA it has landed when copy_ returns
  }
  m_transferMs += msSince(start);
  if (Bytes(host.nbytes()) != m_bytesPerBlock)
    throw std::logic_error("HostKvTier: a block's bytes differ from the tier's block size");
  const SlotId slot = m_engine->insert(key, EntryInit{m_bytesPerBlock, m_blockTokens, kAllLayers});
  if (slot == kNoSlot) {  // cannot fit at all: dropped straight through
    if (m_dropListener) m_dropListener(key, host);
    return;
  }
  if (slot >= m_tensors.size()) m_tensors.resize(std::size_t(slot) * 2 + 16);
  m_tensors[slot] = std::move(host);
  m_bytesIn += m_bytesPerBlock;
}

at::Tensor HostKvTier::copyToDevice(const at::Tensor& host, const std::string& device) {
  const auto start = std::chrono::steady_clock::now();
  // to() with non_blocking false waits for the copy (a host -> GPU copy from pinned memory is DMA).
  at::Tensor out = host.to(at::Device(device));
  m_transferMs += msSince(start);
  ++m_hits;
  m_bytesOut += m_bytesPerBlock;
  return out;
}

at::Tensor HostKvTier::promote(const CacheKey& key, const std::string& device) {
  const SlotId slot = m_engine->find(key);
  if (slot == kNoSlot) throw std::logic_error("HostKvTier::promote: block not held");
  const at::Tensor host = m_tensors[slot];
  m_engine->remove(slot, EvictReason::Clear);  // moved up: not an eviction of this tier
  return copyToDevice(host, device);
}

at::Tensor HostKvTier::copyOut(const CacheKey& key, const std::string& device) {
  const SlotId slot = m_engine->find(key);
  if (slot == kNoSlot) throw std::logic_error("HostKvTier::copyOut: block not held");
  m_engine->touch(slot);
  return copyToDevice(m_tensors[slot], device);
}

void HostKvTier::discard(const CacheKey& key) {
  const SlotId slot = m_engine->find(key);
  if (slot != kNoSlot) m_engine->remove(slot, EvictReason::Clear);
}

TierReport HostKvTier::report() const {
  TierReport r;
  r.name = "host";
  r.hits = m_hits;
  r.hitTokens = m_hits * m_blockTokens;
  r.misses = m_misses;
  r.bytesIn = m_bytesIn;
  r.bytesOut = m_bytesOut;
  r.entries = m_engine->entryCount();
  r.evictions = m_engine->counters().capacityEvictions();
  r.transferMs = m_transferMs;
  return r;
}

}  // namespace kvlab
