// SPDX-License-Identifier: MIT
#pragma once
// The tensor layer on top of the size-only engine: the K/V of every cached entry, by engine slot, on the
// storage device. Freed when the engine removes the entry (removal listener), so stored bytes always equal
// the engine's accounted bytes. Internal to core/runner (exposes tensors).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/cache/cache_engine.h"

namespace kvlab {

class KvPayloadStore {
public:
  // storageDevice / computeDevice: "cpu" or "cuda".
  KvPayloadStore(CacheEngine& engine, std::string storageDevice, std::string computeDevice);

  // Stores kv for slot, moving it to the storage device (bytes counted as compute -> storage). kv may be a
  // view; the store keeps a compact copy of just its elements.
  void put(SlotId slot, const at::Tensor& kv);
  bool has(SlotId slot) const { return slot < m_tensors.size() && m_tensors[slot].defined(); }
  // The stored tensor, on the storage device.
  const at::Tensor& get(SlotId slot) const { return m_tensors[slot]; }
  // Moves an assembled prefix to the compute device, counting the bytes (storage -> compute).
  at::Tensor toCompute(const at::Tensor& stored);
  // Radix split: oldSlot keeps tokens [headTokens, end), newHead gets [0, headTokens) (token dim tokenDim).
  void split(SlotId oldSlot, SlotId newHead, std::uint32_t headTokens, int tokenDim);
  // Sum of nbytes() over stored tensors: must equal the engine's usedBytes() (tests check it).
  Bytes storedBytes() const { return m_storedBytes; }
  const std::string& storageDevice() const { return m_storageDevice; }
  // Wall time of the storage <-> compute copies put() and toCompute() made, ms (0 on one device).
  double transferMs() const { return double(m_transferNs) / 1e6; }

private:
  CacheEngine& m_engine;
  std::string m_storageDevice;
  std::string m_computeDevice;
  std::vector<at::Tensor> m_tensors;  // indexed by SlotId
  Bytes m_storedBytes = 0;
  std::uint64_t m_transferNs = 0;
};

}  // namespace kvlab
