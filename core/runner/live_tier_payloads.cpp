// SPDX-License-Identifier: MIT
#include "core/runner/live_tier_payloads.h"

#include <ATen/ATen.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <stdexcept>

#include "core/tiers/model_blob_layout.h"
#include "core/tiers/tier_hierarchy.h"

namespace kvlab {

namespace {
// The stored dtype, as the blob layout names it (the codec checks every blob's header against it): bf16
// and fp16 have the same size, so the element size cannot tell them apart.
at::ScalarType storedDtype(const ModelConfig& model, std::uint32_t blockSize) {
  switch (modelBlobLayout(model, blockSize).dtype) {
    case BlobDtype::F16:
      return at::kHalf;
    case BlobDtype::BF16:
      return at::kBFloat16;
    case BlobDtype::F32:
      break;
  }
  return at::kFloat;
}
}  // namespace

LiveTierPayloads::LiveTierPayloads(const ModelConfig& model, std::uint32_t blockSize, KvPayloadStore& device,
                                   HostKvTier* host, RemoteKvStore* remote)
    : m_model(model),
      m_blockSize(blockSize),
      m_dtype(storedDtype(model, blockSize)),
      m_device(device),
      m_host(host),
      m_remote(remote) {}

void LiveTierPayloads::deviceToHost(const CacheKey& key, SlotId deviceSlot, SlotId hostSlot) {
  if (m_device.has(deviceSlot))
    m_host->store(hostSlot, m_device.get(deviceSlot));
  else
    m_unfilledHost.emplace_back(hostSlot, key);
}

void LiveTierPayloads::deviceToRemote(const CacheKey& key, SlotId deviceSlot) {
  if (deviceSlot != kNoSlot && m_device.has(deviceSlot))
    m_pending.emplace_back(key, m_device.get(deviceSlot));
  else
    m_unfilledRemote.push_back(key);
}

void LiveTierPayloads::hostRemoved(const CacheKey& key, SlotId hostSlot, bool toRemote) {
  const auto unfilled = std::find_if(m_unfilledHost.begin(), m_unfilledHost.end(),
                                     [&](const auto& entry) { return entry.first == hostSlot; });
  const bool hasKv = unfilled == m_unfilledHost.end() && m_host->has(hostSlot);
  if (unfilled != m_unfilledHost.end()) m_unfilledHost.erase(unfilled);
  if (toRemote) {
    if (hasKv)
      m_pending.emplace_back(key, m_host->get(hostSlot));
    else
      m_unfilledRemote.push_back(key);
  }
  m_host->free(hostSlot);
}

void LiveTierPayloads::promoteFromHost(const CacheKey&, SlotId hostSlot) {
  m_staged = m_host->toDevice(hostSlot, m_device.storageDevice());
}

void LiveTierPayloads::promotedToDevice(SlotId deviceSlot) {
  m_device.put(deviceSlot, m_staged);
  m_staged = at::Tensor();
}

void LiveTierPayloads::copyFromHost(const CacheKey&, SlotId hostSlot) {
  m_walkBlocks.push_back(m_host->toDevice(hostSlot, m_device.storageDevice()));
}

TierPayloads::RemoteFetch LiveTierPayloads::fetchRemote(std::span<const CacheKey> keys) {
  RemoteFetch out;
  std::vector<std::uint64_t> hashes;
  hashes.reserve(keys.size());
  for (const CacheKey& key : keys) hashes.push_back(key.lo);
  // Probe first (no payload bytes): fetch only the leading run the store holds, never past its first gap.
  out.held = m_remote->contains(hashes);
  std::size_t run = 0;
  while (run < out.held.size() && out.held[run]) ++run;
  if (run == 0) return out;
  const std::vector<std::optional<std::string>> fetched =
      m_remote->get(std::span<const std::uint64_t>(hashes).first(run));
  std::size_t i = 0;
  for (; i < run && i < fetched.size() && fetched[i]; ++i) m_walkBlocks.push_back(decodeBlock(*fetched[i]));
  out.served = i;
  // Gone between the probe and the fetch (expired, evicted, corrupt, a fault): not held after all. What
  // arrived after it is not reachable without it: fetched for nothing, counted apart.
  for (std::size_t j = i; j < run; ++j) {
    if (j >= fetched.size() || !fetched[j])
      out.held[j] = false;
    else
      m_unusedBytes += fetched[j]->size();
  }
  return out;
}

void LiveTierPayloads::fillFromRequest(const std::function<at::Tensor(const CacheKey&)>& kvOf) {
  for (const auto& [hostSlot, key] : m_unfilledHost) {
    const at::Tensor kv = kvOf(key);
    if (!kv.defined()) throw std::logic_error("LiveTierPayloads: a demoted block has no K/V in its request");
    m_host->store(hostSlot, kv);
  }
  m_unfilledHost.clear();
  for (const CacheKey& key : m_unfilledRemote) {
    const at::Tensor kv = kvOf(key);
    if (!kv.defined()) throw std::logic_error("LiveTierPayloads: a block to write has no K/V in its request");
    m_pending.emplace_back(key, kv);
  }
  m_unfilledRemote.clear();
}

void LiveTierPayloads::flush() {
  if (m_pending.empty() || m_remote == nullptr) return;
  std::vector<std::string> payloads;
  std::vector<TierItem> items;
  std::vector<CacheKey> keys;
  absl::flat_hash_set<std::uint64_t> batch;
  for (const auto& [key, kv] : m_pending) {
    if (!batch.insert(key.lo).second) continue;
    payloads.push_back(encodeBlock(kv));
    keys.push_back(key);
  }
  m_pending.clear();
  for (std::size_t i = 0; i < keys.size(); ++i) items.push_back(TierItem{keys[i].lo, payloads[i]});
  if (m_remote->put(items) < items.size() && m_tiers) m_tiers->remoteWritesFailed(keys);
}

std::string LiveTierPayloads::encodeBlock(const at::Tensor& stored) const {
  const at::Tensor kv = stored.transpose(0, 1).contiguous().to(at::kCPU);  // (2, L, H, T, D)
  return std::string(static_cast<const char*>(kv.data_ptr()), std::size_t(kv.nbytes()));
}

at::Tensor LiveTierPayloads::decodeBlock(const std::string& payload) const {
  const std::vector<std::int64_t> shape{2, m_model.layers, m_model.kvHeads, std::int64_t(m_blockSize),
                                        m_model.headDim};
  // from_blob does not own the bytes: the transpose + contiguous() copy does, before payload goes.
  const at::Tensor kv =
      at::from_blob(const_cast<char*>(payload.data()), shape, at::TensorOptions().dtype(m_dtype));
  return kv.transpose(0, 1).contiguous().to(at::Device(m_device.storageDevice()));  // (L, 2, H, T, D)
}

}  // namespace kvlab
