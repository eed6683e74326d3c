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

HostKvTier::HostKvTier(Bytes bytesPerBlock, bool pinned) : m_bytesPerBlock(bytesPerBlock), m_pinned(pinned) {}

HostKvTier::~HostKvTier() = default;

void HostKvTier::store(SlotId hostSlot, const at::Tensor& kv) {
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
  if (hostSlot >= m_tensors.size()) m_tensors.resize(std::size_t(hostSlot) * 2 + 16);
  m_tensors[hostSlot] = std::move(host);
}

at::Tensor HostKvTier::toDevice(SlotId hostSlot, const std::string& device) {
  if (!has(hostSlot)) throw std::logic_error("HostKvTier: no K/V at this host slot");
  const auto start = std::chrono::steady_clock::now();
  // to() with non_blocking false waits for the copy (a host -> GPU copy from pinned memory is DMA).
  at::Tensor out = m_tensors[hostSlot].to(at::Device(device));
  m_transferMs += msSince(start);
  return out;
}

void HostKvTier::free(SlotId hostSlot) {
  if (hostSlot < m_tensors.size()) m_tensors[hostSlot] = at::Tensor();
}

}  // namespace kvlab
