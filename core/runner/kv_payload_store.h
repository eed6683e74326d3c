// SPDX-License-Identifier: MIT
#pragma once
// The tensor layer on top of the size-only engine: the K/V of every cached entry, by engine slot, on the
// storage device. Freed when the engine removes the entry (removal listener), so stored bytes always equal
// the engine's accounted bytes. With a block pool (block granularity, storage = compute device) each
// whole block lives in the pool (PagedKvPool) and is read in place by prefills; other entries (radix
// nodes, prompt entries, offloaded blocks) are one compact tensor each. Internal to core/runner (exposes
// tensors).
#include <ATen/core/Tensor.h>
#include <c10/core/Stream.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/runner/paged_kv_pool.h"

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

  // Keeps whole blocks of blockTokens tokens in a block pool from now on (before the first put): only when
  // storage and compute device are the same (offload keeps its pinned per-block tensors). initialBlocks:
  // the pool's first size (it doubles when full). Returns whether the pool is used.
  bool usePool(std::uint32_t blockTokens, std::int64_t initialBlocks);
  // Room for at least `blocks` blocks in the pool, made now or when it is created (no-op without a pool).
  void reservePool(std::int64_t blocks);
  // The pool (null without one, or before the first block). Shared: a CachedPrefix keeps it alive while it
  // reads blocks.
  const std::shared_ptr<PagedKvPool>& pool() const { return m_pool; }
  // The pool if `block` ((L, 2, H, B, D)) is a whole block it takes, creating it if need be; else null.
  std::shared_ptr<PagedKvPool> poolFor(const at::Tensor& block);

  // Stores kv for slot, moving it to the storage device (bytes counted as compute -> storage). kv may be a
  // view; the store keeps a compact copy of just its elements (a pool block for a whole block).
  void put(SlotId slot, const at::Tensor& kv);
  bool has(SlotId slot) const {
    return slot < m_tensors.size() && (m_tensors[slot].defined() || m_blocks[slot] >= 0);
  }
  // The stored K/V on the storage device: the tensor itself (valid while the slot holds it: copy it, or
  // take(), to keep it), or a copy of the slot's pool block (whose keys the pool keeps transposed).
  at::Tensor get(SlotId slot) const;
  // The slot's pool block, or -1 when it is stored as a tensor.
  std::int64_t poolBlock(SlotId slot) const { return slot < m_blocks.size() ? m_blocks[slot] : -1; }
  // The stored K/V as a tensor of its own, to outlive the slot (demotion, write-back): the stored tensor
  // itself, or a compact copy of the pool block.
  at::Tensor take(SlotId slot) const;
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
  void drop(SlotId slot);  // frees what slot holds (tensor or pool block)

  bool m_offload = false;
  std::optional<c10::Stream> m_copyStream;  // side stream for offload copies
  bool m_pendingToHost = false;
  double m_msToStorage = 0;
  double m_msToCompute = 0;
  CacheEngine& m_engine;
  std::string m_storageDevice;
  std::string m_computeDevice;
  std::vector<at::Tensor> m_tensors;    // indexed by SlotId
  std::vector<std::int64_t> m_blocks;   // indexed by SlotId: the pool block, -1 = none
  std::shared_ptr<PagedKvPool> m_pool;  // created by the first whole block put after usePool()
  std::uint32_t m_poolBlockTokens = 0;  // 0: no pool
  std::int64_t m_poolInitialBlocks = 0;
  Bytes m_storedBytes = 0;
};

}  // namespace kvlab
