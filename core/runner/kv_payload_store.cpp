// SPDX-License-Identifier: MIT
#include "core/runner/kv_payload_store.h"

#include <ATen/ATen.h>
#include <c10/core/DeviceType.h>
#include <c10/core/Event.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace kvlab {

namespace {
Bytes nbytesOf(const at::Tensor& t) { return t.defined() ? Bytes(t.numel()) * Bytes(t.element_size()) : 0; }

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// c10's device-generic stream/event interface: no CUDA header, so this compiles against a CPU-only LibTorch;
// only called when the compute device is CUDA.
const c10::impl::DeviceGuardImplInterface& cudaImpl() {
  return *c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
}

// The side stream waits for everything queued so far on `from` (an event recorded there, blocked on).
void streamWaits(const c10::Stream& waiting, const c10::Stream& from) {
  c10::Event ready(c10::DeviceType::CUDA);
  ready.record(from);
  ready.block(waiting);
}
}  // namespace

KvPayloadStore::KvPayloadStore(CacheEngine& engine, std::string storageDevice, std::string computeDevice)
    : m_engine(engine), m_storageDevice(std::move(storageDevice)), m_computeDevice(std::move(computeDevice)) {
  m_offload = m_storageDevice == "cpu" && m_computeDevice.rfind("cuda", 0) == 0;
  if (m_offload)
    m_copyStream = cudaImpl().getStreamFromGlobalPool(at::Device(m_computeDevice), /*isHighPriority=*/false);
  m_engine.addRemovalListener([this](SlotId slot, const EntryMeta&, EvictReason) { drop(slot); });
}

bool KvPayloadStore::usePool(std::uint32_t blockTokens, std::int64_t initialBlocks) {
  if (m_storageDevice != m_computeDevice || blockTokens == 0) return false;
  m_poolBlockTokens = blockTokens;
  m_poolInitialBlocks = std::max<std::int64_t>(1, initialBlocks);
  return true;
}

void KvPayloadStore::drop(SlotId slot) {
  if (slot >= m_tensors.size()) return;
  if (m_tensors[slot].defined()) {
    m_storedBytes -= nbytesOf(m_tensors[slot]);
    m_tensors[slot] = at::Tensor();
  }
  if (m_blocks[slot] >= 0) {
    m_storedBytes -= m_pool->blockBytes();
    m_pool->release(m_blocks[slot]);
    m_blocks[slot] = -1;
  }
}

void KvPayloadStore::reservePool(std::int64_t blocks) {
  if (m_poolBlockTokens == 0) return;
  m_poolInitialBlocks = std::max(m_poolInitialBlocks, blocks);
  if (m_pool) m_pool->reserve(blocks);
}

std::shared_ptr<PagedKvPool> KvPayloadStore::poolFor(const at::Tensor& block) {
  if (m_poolBlockTokens == 0 || block.dim() != 5 || block.size(3) != std::int64_t(m_poolBlockTokens))
    return nullptr;
  if (!m_pool)
    m_pool = std::make_shared<PagedKvPool>(block.sizes().vec(), block.options().device(at::Device(m_storageDevice)),
                                           m_poolInitialBlocks);
  return m_pool;
}

at::Tensor KvPayloadStore::get(SlotId slot) const {
  return m_blocks[slot] >= 0 ? m_pool->copyOut(m_blocks[slot]) : m_tensors[slot];
}

at::Tensor KvPayloadStore::take(SlotId slot) const {
  return m_blocks[slot] >= 0 ? m_pool->copyOut(m_blocks[slot]) : m_tensors[slot];
}

void KvPayloadStore::put(SlotId slot, const at::Tensor& kv) {
  if (slot >= m_tensors.size()) {
    m_tensors.resize(std::size_t(slot) * 2 + 16);
    m_blocks.resize(m_tensors.size(), -1);
  }
  drop(slot);
  if (poolFor(kv)) {
    // A whole block: into the pool (one copy; storage = compute device, so nothing crosses devices).
    if (m_pool->blockBytes() != m_engine.entry(slot).bytes)
      throw std::logic_error("KvPayloadStore: block bytes differ from the engine's accounted bytes");
    const std::int64_t block = m_pool->allocate();
    m_pool->write(block, kv);
    m_blocks[slot] = block;
    m_storedBytes += m_pool->blockBytes();
    return;
  }
  // Exactly one copy: across devices to() makes it; otherwise a view (a slice of a block or of the prompt's
  // K/V) would keep its whole base tensor alive and break the byte accounting, so it is compacted here.
  const auto start = std::chrono::steady_clock::now();
  at::Tensor stored = m_offload ? copyToHost(kv) : kv.to(at::Device(m_storageDevice));
  if (!m_offload && m_storageDevice != m_computeDevice) m_msToStorage += msSince(start);
  if (!stored.is_contiguous() || stored.storage().nbytes() != nbytesOf(stored))
    stored = stored.clone(at::MemoryFormat::Contiguous);
  if (nbytesOf(stored) != m_engine.entry(slot).bytes)
    throw std::logic_error("KvPayloadStore: tensor bytes differ from the engine's accounted bytes");
  if (m_storageDevice != m_computeDevice) m_engine.recordTransfer(0, nbytesOf(stored));
  m_storedBytes += nbytesOf(stored);
  m_tensors[slot] = std::move(stored);
}

at::Tensor KvPayloadStore::copyToHost(const at::Tensor& kv) {
  // kv: on the GPU, possibly a view. The copy lands in pinned host memory (DMA at full bandwidth, and the
  // only memory a non-blocking device -> host copy is asynchronous for).
  const auto start = std::chrono::steady_clock::now();
  const c10::Stream compute = cudaImpl().getStream(kv.device());
  const c10::Stream side = *m_copyStream;
  at::Tensor host = at::empty(kv.sizes(), kv.options().device(at::kCPU).pinned_memory(true));
  streamWaits(side, compute);  // the kernels that wrote kv come first
  {
    c10::StreamGuard onSide(side);
    host.copy_(kv, /*non_blocking=*/true);
  }
  // kv's memory is in use by the side stream until the copy ends: the caching allocator must not hand it to
  // the compute stream before that, even if kv is freed first.
  cudaImpl().recordDataPtrOnStream(kv.storage().data_ptr(), side);
  m_pendingToHost = true;
  m_msToStorage += msSince(start);
  return host;
}

void KvPayloadStore::finishTransfers() {
  if (!m_pendingToHost) return;
  const auto start = std::chrono::steady_clock::now();
  m_copyStream->synchronize();  // the host tensors are complete from here on
  m_pendingToHost = false;
  m_msToStorage += msSince(start);
}

at::Tensor KvPayloadStore::toCompute(const at::Tensor& stored) {
  if (m_storageDevice == m_computeDevice) return stored;
  m_engine.recordTransfer(nbytesOf(stored), 0);
  if (!m_offload) {
    const auto start = std::chrono::steady_clock::now();
    at::Tensor moved = stored.to(at::Device(m_computeDevice));
    m_msToCompute += msSince(start);
    return moved;
  }
  finishTransfers();  // never read a host tensor a device -> host copy is still writing
  const auto start = std::chrono::steady_clock::now();
  // A prefix assembled from several entries (at::cat) is in pageable memory: stage it in pinned memory.
  const at::Tensor source = stored.is_pinned() ? stored : stored.pin_memory();
  const c10::Stream compute = cudaImpl().getStream(at::Device(m_computeDevice));
  const c10::Stream side = *m_copyStream;
  at::Tensor device = at::empty(source.sizes(), source.options().device(at::Device(m_computeDevice)));
  streamWaits(side, compute);  // `device` may reuse memory the compute stream's earlier kernels still use
  {
    c10::StreamGuard onSide(side);
    device.copy_(source, /*non_blocking=*/true);
  }
  cudaImpl().recordDataPtrOnStream(device.storage().data_ptr(), side);
  streamWaits(compute, side);   // the event recorded after the copy: kernels reading `device` wait for it
  m_copyStream->synchronize();  // measured, and `source` (maybe a temporary) is not freed mid-copy
  m_msToCompute += msSince(start);
  return device;
}

void KvPayloadStore::split(SlotId oldSlot, SlotId newHead, std::uint32_t headTokens, int tokenDim) {
  finishTransfers();
  const at::Tensor whole = m_tensors.at(oldSlot);
  const std::int64_t total = whole.size(tokenDim);
  at::Tensor head = whole.narrow(tokenDim, 0, headTokens).clone();
  at::Tensor tail = whole.narrow(tokenDim, headTokens, total - headTokens).clone();
  m_storedBytes -= nbytesOf(whole);
  m_tensors[oldSlot] = at::Tensor();
  // Both halves stay on the storage device: no transfer to count.
  if (newHead >= m_tensors.size()) {
    m_tensors.resize(std::size_t(newHead) * 2 + 16);
    m_blocks.resize(m_tensors.size(), -1);
  }
  m_tensors[oldSlot] = tail;
  m_tensors[newHead] = head;
  m_storedBytes += nbytesOf(head) + nbytesOf(tail);
}

}  // namespace kvlab
