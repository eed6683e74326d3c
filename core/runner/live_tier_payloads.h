// SPDX-License-Identifier: MIT
#pragma once
// The K/V bytes behind a live run's tiers: TierHierarchy decides (the same rules as trace replay) and this
// moves tensors where it is told, between the device cache's payload store, the host tier's tensors and the
// remote store (blobs). Remote writes are queued and put in one batch per request (flush()); blocks the
// tiers took before the request's K/V were filed get them from the request (fillFromRequest()). The
// remote walk probes the store first (one EXISTS round trip) and fetches only the leading run it holds, so
// no block past a gap is fetched; a block fetched after one that failed anyway is counted unused. Internal
// to core/runner; the run thread drives it.
#include <ATen/core/Tensor.h>

#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/arch/model_config.h"
#include "core/runner/host_kv_tier.h"
#include "core/runner/kv_payload_store.h"
#include "core/tiers/remote_kv_store.h"
#include "core/tiers/tier_payloads.h"

namespace kvlab {

class TierHierarchy;

class LiveTierPayloads final : public TierPayloads {
public:
  // device: the cache's payload store; host / remote: null when that tier is absent (not owned; all must
  // outlive this). blockSize: tokens per block.
  LiveTierPayloads(const ModelConfig& model, std::uint32_t blockSize, KvPayloadStore& device,
                   HostKvTier* host, RemoteKvStore* remote);
  void setHierarchy(TierHierarchy* tiers) { m_tiers = tiers; }

  void deviceToHost(const CacheKey& key, SlotId deviceSlot, SlotId hostSlot) override;
  void deviceToRemote(const CacheKey& key, SlotId deviceSlot) override;
  void hostRemoved(const CacheKey& key, SlotId hostSlot, bool toRemote) override;
  void promoteFromHost(const CacheKey& key, SlotId hostSlot) override;
  void promotedToDevice(SlotId deviceSlot) override;
  void copyFromHost(const CacheKey& key, SlotId hostSlot) override;
  RemoteFetch fetchRemote(std::span<const CacheKey> keys) override;

  // The blocks the last walk served by copy (host) and fetch (remote), in prefix order, on the storage
  // device, (L, 2, H, T, D) each; the list is emptied.
  std::vector<at::Tensor> takeWalkBlocks() { return std::exchange(m_walkBlocks, {}); }
  // K/V for blocks the tiers took before they were filed, from the request: kvOf(key) returns the block's
  // (L, 2, H, T, D) tensor (the request's own or reused K/V). Throws std::logic_error if it has none.
  void fillFromRequest(const std::function<at::Tensor(const CacheKey&)>& kvOf);
  // Puts the queued remote writes in one batch; a batch the store did not take whole is no longer believed
  // there (TierHierarchy::remoteWritesFailed), so its blocks are written again when the rules next say so.
  void flush();
  // Payload bytes fetched from the remote store but not used (after a block of the run failed to arrive).
  std::uint64_t unusedBytes() const { return m_unusedBytes; }

private:
  std::string encodeBlock(const at::Tensor& stored) const;   // (L, 2, H, T, D) -> payload {2, L, H, T, D}
  at::Tensor decodeBlock(const std::string& payload) const;  // inverse, on the storage device

  ModelConfig m_model;
  std::uint32_t m_blockSize = 0;
  at::ScalarType m_dtype;  // of a stored block, as its blob layout names it
  KvPayloadStore& m_device;
  HostKvTier* m_host = nullptr;
  RemoteKvStore* m_remote = nullptr;
  TierHierarchy* m_tiers = nullptr;
  at::Tensor m_staged;                                      // a promotion between its two steps
  std::vector<at::Tensor> m_walkBlocks;                     // the current walk's copies and fetches
  std::vector<std::pair<CacheKey, at::Tensor>> m_pending;   // remote writes of this request
  std::vector<CacheKey> m_unfilledRemote;                   // remote writes still without K/V
  std::vector<std::pair<SlotId, CacheKey>> m_unfilledHost;  // host slots still without K/V
  std::uint64_t m_unusedBytes = 0;
};

}  // namespace kvlab
