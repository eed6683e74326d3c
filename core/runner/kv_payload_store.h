// SPDX-License-Identifier: MIT
#pragma once
// The tensor layer on top of the size-only engine: the K/V of every cached entry, by engine slot, on the
// storage device. Freed when the engine removes the entry (removal listener), so stored bytes always equal
// the engine's accounted bytes. Internal to core/runner (exposes tensors).
#include <ATen/core/Tensor.h>
#include <c10/core/Stream.h>

#include <optional>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"

namespace kvlab {

// Offload (storage "cpu", compute "cuda[:N]"): stored K/V live in pinned (page-locked) host memory, and
// every copy between host and GPU is a non-blocking copy on a side stream: before a device -> host copy the
// side stream waits (event) for the kernels that produced the K/V; after a host -> device copy the compute
// stream waits (event recorded after the copy) before any kernel reads the result. Each batch of copies is
// also waited for on the host (put batch: finishTransfers(); toCompute: at once) so the transfer time is
// measured and no copy runs on into another timed interval. CUDA only; on a CPU-only LibTorch the path is
// never taken (the compute device cannot be cuda).
class KvPayloadStore {
public:
  // storageDevice / computeDevice: "cpu", "cuda" or "cuda:N".
  KvPayloadStore(CacheEngine& engine, std::string storageDevice, std::string computeDevice);

  // Stores kv for slot, moving it to the storage device (bytes counted as compute -> storage). kv may be a
  // view; the store keeps a compact copy of just its elements.
  void put(SlotId slot, const at::Tensor& kv);
  bool has(SlotId slot) const { return slot < m_tensors.size() && m_tensors[slot].defined(); }
  // The stored tensor, on the storage device.
  const at::Tensor& get(SlotId slot) const { return m_tensors[slot]; }
  // Moves an assembled prefix to the compute device, counting the bytes (storage -> compute).
  at::Tensor toCompute(const at::Tensor& stored);
  // Waits until every device -> host copy queued by put() has landed (offload; no-op otherwise).
  void finishTransfers();
  // Radix split: oldSlot keeps tokens [headTokens, end), newHead gets [0, headTokens) (token dim tokenDim).
  void split(SlotId oldSlot, SlotId newHead, std::uint32_t headTokens, int tokenDim);
  // Sum of nbytes() over stored tensors: must equal the engine's usedBytes() (tests check it).
  Bytes storedBytes() const { return m_storedBytes; }
  const std::string& storageDevice() const { return m_storageDevice; }
  bool offloading() const { return m_offload; }  // pinned host storage + side-stream copies
  // Wall ms spent moving K/V, each direction, copies waited for (0 when storage = compute device), and both
  // together (the device tier's transfer time).
  double transferMsToStorage() const { return m_msToStorage; }
  double transferMsToCompute() const { return m_msToCompute; }
  double transferMs() const { return m_msToStorage + m_msToCompute; }

private:
  at::Tensor copyToHost(const at::Tensor& kv);

  bool m_offload = false;
  std::optional<c10::Stream> m_copyStream;  // side stream for offload copies
  bool m_pendingToHost = false;
  double m_msToStorage = 0;
  double m_msToCompute = 0;
  CacheEngine& m_engine;
  std::string m_storageDevice;
  std::string m_computeDevice;
  std::vector<at::Tensor> m_tensors;  // indexed by SlotId
  Bytes m_storedBytes = 0;
};

}  // namespace kvlab
