// SPDX-License-Identifier: MIT
#include "core/tiers/tier_hierarchy.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

struct TierHierarchy::Tier {
  std::string name;
  bool remote = false;
  std::unique_ptr<CacheEngine> engine;
  TierReport report;
  std::uint64_t pendingRead = 0;   // bytes read out of it for the current request (one batch)
  std::uint64_t pendingWrite = 0;  // bytes written into it for the current request (one batch)
};

TierHierarchy::TierHierarchy(CacheEngine& device, Bytes bytesPerBlock, std::uint32_t blockTokens,
                             std::vector<LowerTierSpec> lower, bool remoteWriteThrough, TierCostModel cost)
    : m_device(device),
      m_bytesPerBlock(bytesPerBlock),
      m_blockTokens(blockTokens),
      m_writeThrough(remoteWriteThrough),
      m_cost(cost) {
  if (lower.empty()) throw std::invalid_argument("a tier hierarchy needs a host or remote tier");
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const LowerTierSpec& spec = lower[i];
    const bool known = (spec.name == "host" && i == 0) || (spec.name == "remote" && i + 1 == lower.size());
    if (!known) throw std::invalid_argument("tiers must be host, remote or host then remote");
    auto tier = std::make_unique<Tier>();
    tier->name = spec.name;
    tier->remote = spec.name == "remote";
    CacheConfig config;
    config.capacityBytes = saturatingMul(spec.capacityBlocks, bytesPerBlock);
    config.policy = spec.policy;
    config.denseKeys = device.config().denseKeys;
    tier->engine = std::make_unique<CacheEngine>(config, device.clock());  // refuses replay-only policies
    tier->engine->setAutoPublish(false);
    tier->report.name = spec.name;
    tier->report.remote = tier->remote;
    tier->report.transferCostModel = true;
    m_tiers.push_back(std::move(tier));
  }
  // Demotion: what a tier evicts for room goes one tier down (a promotion's removal is not an eviction).
  m_device.addRemovalListener([this](SlotId, const EntryMeta& meta, EvictReason reason) {
    if (reason != EvictReason::Capacity && reason != EvictReason::PolicyChange) return;
    m_deviceDemotedBytes += m_bytesPerBlock;
    demote(0, meta.key);
  });
  for (std::size_t i = 0; i + 1 < m_tiers.size(); ++i)
    m_tiers[i]->engine->addRemovalListener([this, i](SlotId, const EntryMeta& meta, EvictReason reason) {
      if (reason != EvictReason::Capacity && reason != EvictReason::PolicyChange) return;
      demote(i + 1, meta.key);
    });
}

TierHierarchy::~TierHierarchy() = default;

void TierHierarchy::demote(std::size_t into, const CacheKey& key) {
  Tier& tier = *m_tiers[into];
  if (tier.engine->find(key) != kNoSlot) return;  // already there (e.g. written through): nothing moves
  const SlotId slot = tier.engine->insert(key, EntryInit{m_bytesPerBlock, m_blockTokens, kAllLayers});
  if (slot == kNoSlot) return;  // larger than the tier: dropped
  tier.report.bytesIn += m_bytesPerBlock;
  tier.pendingWrite += m_bytesPerBlock;
}

std::uint32_t TierHierarchy::extend(std::span<const CacheKey> keys, std::uint32_t from,
                                    std::uint64_t maxTokens, std::uint64_t* tokens) {
  std::uint32_t served = 0;
  *tokens = 0;
  for (std::size_t b = from; b < keys.size() && std::uint64_t(b) * m_blockTokens < maxTokens; ++b) {
    const std::uint64_t blockTokens =
        std::min<std::uint64_t>(maxTokens, std::uint64_t(b + 1) * m_blockTokens) -
        std::uint64_t(b) * m_blockTokens;
    // A later block the device still holds (its own walk stopped at an earlier gap) continues the run
    // from the device: nothing moves (the caller's commit touches it).
    if (b > from) {
      if (m_device.find(keys[b]) != kNoSlot) {
        ++m_deviceWalkHits;
        m_deviceWalkHitTokens += blockTokens;
        *tokens += blockTokens;
        ++served;
        continue;
      }
    }
    Tier* holder = nullptr;
    SlotId slot = kNoSlot;
    for (const auto& tier : m_tiers) {
      slot = tier->engine->find(keys[b]);
      if (slot != kNoSlot) {
        holder = tier.get();
        break;
      }
      ++tier->report.misses;
    }
    if (!holder) break;
    ++holder->report.hits;
    holder->report.hitTokens += blockTokens;
    holder->report.bytesOut += m_bytesPerBlock;
    holder->pendingRead += m_bytesPerBlock;
    m_devicePromotedBytes += m_bytesPerBlock;
    if (holder->remote)
      holder->engine->touch(slot);  // copied up: the shared copy stays, and was just used
    else
      holder->engine->remove(slot, EvictReason::Clear);  // moved up (Clear: not a capacity eviction)
    *tokens += blockTokens;
    ++served;
  }
  return served;
}

double TierHierarchy::batchMs(const Tier& tier, std::uint64_t bytes) const {
  return tier.remote ? m_cost.networkMs(bytes) : m_cost.pcieMs(bytes);
}

void TierHierarchy::finishRequest(std::span<const CacheKey> keys,
                                  const std::vector<bool>& insertedIntoDevice) {
  Tier* remote = m_tiers.back()->remote ? m_tiers.back().get() : nullptr;
  if (m_writeThrough && remote) {
    for (std::size_t b = 0; b < keys.size() && b < insertedIntoDevice.size(); ++b)
      if (insertedIntoDevice[b]) demote(m_tiers.size() - 1, keys[b]);
  }
  for (const auto& tier : m_tiers) {
    tier->report.transferMs += batchMs(*tier, tier->pendingRead) + batchMs(*tier, tier->pendingWrite);
    tier->pendingRead = tier->pendingWrite = 0;
  }
}

std::vector<TierReport> TierHierarchy::reports() const {
  std::vector<TierReport> out;
  TierReport device = deviceTierReport(m_device.counters(), m_device.entryCount(), 0, /*costModel=*/true);
  device.bytesIn = m_devicePromotedBytes;
  device.bytesOut = m_deviceDemotedBytes;
  device.hits += m_deviceWalkHits;
  device.hitTokens += m_deviceWalkHitTokens;
  device.misses -= std::min(device.misses, m_deviceWalkHits);
  out.push_back(device);
  for (const auto& tier : m_tiers) {
    TierReport r = tier->report;
    r.entries = tier->engine->entryCount();
    r.evictions = tier->engine->counters().capacityEvictions();
    out.push_back(r);
  }
  return out;
}

std::uint64_t TierHierarchy::walkHitTokens() const {
  std::uint64_t total = m_deviceWalkHitTokens;
  for (const auto& tier : m_tiers) total += tier->report.hitTokens;
  return total;
}

std::uint64_t TierHierarchy::walkHitBlocks() const {
  std::uint64_t total = m_deviceWalkHits;
  for (const auto& tier : m_tiers) total += tier->report.hits;
  return total;
}

}  // namespace kvlab
