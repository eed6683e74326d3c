// SPDX-License-Identifier: MIT
#pragma once
// The host-memory tier's K/V in a live run: one tensor per host slot of TierHierarchy's host engine (which
// keeps the bookkeeping: capacity, policy, what is held). Blocks arrive by demotion (a copy into host
// memory) and leave by promotion, copy or drop; every copy is waited for and timed. Pinned (page-locked)
// memory when the compute device is CUDA, so host <-> GPU copies run at DMA bandwidth. Internal to
// core/runner (exposes tensors); one thread drives it (the run thread).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/cache/cache_types.h"

namespace kvlab {

class HostKvTier {
public:
  // bytesPerBlock: one block's K/V bytes (every stored tensor must have them). pinned: page-locked memory.
  HostKvTier(Bytes bytesPerBlock, bool pinned);
  ~HostKvTier();
  HostKvTier(const HostKvTier&) = delete;
  HostKvTier& operator=(const HostKvTier&) = delete;

  // Files kv ((L, 2, H, T, D), any device) at hostSlot: a copy in host memory, waited for and timed (a
  // compact CPU tensor when not pinned is kept as is: moved, not copied). Throws std::logic_error for a
  // tensor of another size.
  void store(SlotId hostSlot, const at::Tensor& kv);
  bool has(SlotId hostSlot) const { return hostSlot < m_tensors.size() && m_tensors[hostSlot].defined(); }
  // hostSlot's K/V in host memory (it must be held).
  const at::Tensor& get(SlotId hostSlot) const { return m_tensors.at(hostSlot); }
  // hostSlot's K/V on `device`: a copy waited for and timed; on "cpu" the host tensor itself (read only, as
  // every cached tensor a prefix is built from).
  at::Tensor toDevice(SlotId hostSlot, const std::string& device);
  void free(SlotId hostSlot);

  double transferMs() const { return m_transferMs; }  // measured wall time of every copy so far
  bool pinned() const { return m_pinned; }

private:
  std::vector<at::Tensor> m_tensors;  // by host SlotId, (L, 2, H, T, D) in host memory
  Bytes m_bytesPerBlock = 0;
  bool m_pinned = false;
  double m_transferMs = 0;
};

}  // namespace kvlab
