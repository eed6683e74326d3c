// SPDX-License-Identifier: MIT
#include "core/runner/kv_payload_store.h"

#include <ATen/ATen.h>

#include <chrono>
#include <stdexcept>

namespace kvlab {

namespace {
Bytes nbytesOf(const at::Tensor& t) { return t.defined() ? Bytes(t.numel()) * Bytes(t.element_size()) : 0; }
std::uint64_t nsSince(std::chrono::steady_clock::time_point start) {
  return std::uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}
}  // namespace

KvPayloadStore::KvPayloadStore(CacheEngine& engine, std::string storageDevice, std::string computeDevice)
    : m_engine(engine), m_storageDevice(std::move(storageDevice)), m_computeDevice(std::move(computeDevice)) {
  m_engine.addRemovalListener([this](SlotId slot, const EntryMeta&, EvictReason) {
    if (slot < m_tensors.size() && m_tensors[slot].defined()) {
      m_storedBytes -= nbytesOf(m_tensors[slot]);
      m_tensors[slot] = at::Tensor();
    }
  });
}

void KvPayloadStore::put(SlotId slot, const at::Tensor& kv) {
  if (slot >= m_tensors.size()) m_tensors.resize(std::size_t(slot) * 2 + 16);
  if (m_tensors[slot].defined()) m_storedBytes -= nbytesOf(m_tensors[slot]);
  // Exactly one copy: across devices to() makes it; otherwise a view (a slice of a block or of the prompt's
  // K/V) would keep its whole base tensor alive and break the byte accounting, so it is compacted here.
  const auto start = std::chrono::steady_clock::now();
  at::Tensor stored = kv.to(at::Device(m_storageDevice));
  if (m_storageDevice != m_computeDevice) m_transferNs += nsSince(start);
  if (!stored.is_contiguous() || stored.storage().nbytes() != nbytesOf(stored))
    stored = stored.clone(at::MemoryFormat::Contiguous);
  if (nbytesOf(stored) != m_engine.entry(slot).bytes)
    throw std::logic_error("KvPayloadStore: tensor bytes differ from the engine's accounted bytes");
  if (m_storageDevice != m_computeDevice) m_engine.recordTransfer(0, nbytesOf(stored));
  m_storedBytes += nbytesOf(stored);
  m_tensors[slot] = std::move(stored);
}

at::Tensor KvPayloadStore::toCompute(const at::Tensor& stored) {
  if (m_storageDevice == m_computeDevice) return stored;
  m_engine.recordTransfer(nbytesOf(stored), 0);
  const auto start = std::chrono::steady_clock::now();
  at::Tensor moved = stored.to(at::Device(m_computeDevice));
  m_transferNs += nsSince(start);
  return moved;
}

void KvPayloadStore::split(SlotId oldSlot, SlotId newHead, std::uint32_t headTokens, int tokenDim) {
  const at::Tensor whole = m_tensors.at(oldSlot);
  const std::int64_t total = whole.size(tokenDim);
  at::Tensor head = whole.narrow(tokenDim, 0, headTokens).clone();
  at::Tensor tail = whole.narrow(tokenDim, headTokens, total - headTokens).clone();
  m_storedBytes -= nbytesOf(whole);
  m_tensors[oldSlot] = at::Tensor();
  // Both halves stay on the storage device: no transfer to count.
  if (newHead >= m_tensors.size()) m_tensors.resize(std::size_t(newHead) * 2 + 16);
  m_tensors[oldSlot] = tail;
  m_tensors[newHead] = head;
  m_storedBytes += nbytesOf(head) + nbytesOf(tail);
}

}  // namespace kvlab
