// SPDX-License-Identifier: MIT
#include "core/tiers/tier_hierarchy.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

struct TierHierarchy::Tier {
  std::string name;
  bool remote = false;
  std::unique_ptr<CacheEngine> owned;  // null for a shared remote engine
  CacheEngine* engine = nullptr;
  TierReport report;
  std::uint64_t pendingRead = 0;   // bytes read out of it for the current request (one batch)
  std::uint64_t pendingWrite = 0;  // bytes written into it for the current request (one batch)
};

namespace {
bool forRoom(EvictReason reason) {
  return reason == EvictReason::Capacity || reason == EvictReason::PolicyChange;
}
}  // namespace

TierHierarchy::TierHierarchy(CacheEngine& device, Bytes bytesPerBlock, std::uint32_t blockTokens,
                             std::vector<LowerTierSpec> lower, bool remoteWriteThrough, TierCostModel cost)
    : TierHierarchy(device, TierHierarchyConfig{bytesPerBlock, blockTokens, std::move(lower),
                                                remoteWriteThrough, /*protectInUse=*/false, cost}) {}

TierHierarchy::TierHierarchy(CacheEngine& device, TierHierarchyConfig config)
    : m_device(&device), m_config(std::move(config)) {
  buildTiers(device.clock(), device.config().denseKeys);
  if (!m_config.forwardDeviceRemovals)
    m_device->addRemovalListener([this](SlotId slot, const EntryMeta& meta, EvictReason reason) {
      deviceRemoved(slot, meta, reason);
    });
}

TierHierarchy::TierHierarchy(TierHierarchyConfig config, const Clock& clock, bool denseKeys)
    : m_device(nullptr), m_config(std::move(config)) {
  if (m_config.payloads) throw std::invalid_argument("a tier hierarchy without a device moves sizes only");
  buildTiers(clock, denseKeys);
}

void TierHierarchy::buildTiers(const Clock& clock, bool denseKeys) {
  const std::vector<LowerTierSpec>& lower = m_config.lower;
  if (lower.empty()) throw std::invalid_argument("a tier hierarchy needs a host or remote tier");
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const LowerTierSpec& spec = lower[i];
    const bool known = (spec.name == "host" && i == 0) || (spec.name == "remote" && i + 1 == lower.size());
    if (!known) throw std::invalid_argument("tiers must be host, remote or host then remote");
    auto tier = std::make_unique<Tier>();
    tier->name = spec.name;
    tier->remote = spec.name == "remote";
    if (tier->remote && m_config.sharedRemote) {
      tier->engine = m_config.sharedRemote;
    } else {
      CacheConfig engineConfig;
      engineConfig.capacityBytes = saturatingMul(spec.capacityBlocks, m_config.bytesPerBlock);
      engineConfig.policy = spec.policy;
      engineConfig.denseKeys = denseKeys;
      tier->owned = std::make_unique<CacheEngine>(engineConfig, clock);  // refuses replay-only policies
      tier->owned->setAutoPublish(false);
      tier->engine = tier->owned.get();
    }
    tier->report.name = spec.name;
    tier->report.remote = tier->remote;
    tier->report.transferCostModel = true;
    m_tiers.push_back(std::move(tier));
  }
  if (Tier* h = host())
    h->engine->addRemovalListener(
        [this](SlotId slot, const EntryMeta& meta, EvictReason reason) { hostRemoved(slot, meta, reason); });
}

TierHierarchy::~TierHierarchy() = default;

TierHierarchy::Tier* TierHierarchy::host() const {
  return !m_tiers.front()->remote ? m_tiers.front().get() : nullptr;
}

TierHierarchy::Tier* TierHierarchy::remote() const {
  return m_tiers.back()->remote ? m_tiers.back().get() : nullptr;
}

const CacheEngine* TierHierarchy::hostEngine() const {
  const Tier* h = host();
  return h ? h->engine : nullptr;
}

bool TierHierarchy::hostHolds(const CacheKey& key) {
  Tier* h = host();
  return h && h->engine->find(key) != kNoSlot;
}

bool TierHierarchy::remoteBelieved(const CacheKey& key) {
  Tier* r = remote();
  return r && r->engine->find(key) != kNoSlot;
}

bool TierHierarchy::writeRemote(const CacheKey& key) {
  Tier& r = *remote();
  if (r.engine->find(key) != kNoSlot) return false;  // believed there already: nothing moves
  const EntryInit init{m_config.bytesPerBlock, m_config.blockTokens, kAllLayers};
  if (r.engine->insert(key, init) == kNoSlot) return false;  // larger than the tier: dropped
  r.report.bytesIn += m_config.bytesPerBlock;
  r.pendingWrite += m_config.bytesPerBlock;
  return true;
}

void TierHierarchy::deviceRemoved(SlotId slot, const EntryMeta& meta, EvictReason reason) {
  if (!forRoom(reason)) return;  // expiry, clear, promotion: not a demotion
  m_deviceDemotedBytes += m_config.bytesPerBlock;
  if (Tier* h = host()) {
    if (h->engine->find(meta.key) != kNoSlot) return;  // already there: nothing moves
    const SlotId hostSlot =
        h->engine->insert(meta.key, EntryInit{m_config.bytesPerBlock, m_config.blockTokens, kAllLayers});
    if (hostSlot != kNoSlot) {
      h->report.bytesIn += m_config.bytesPerBlock;
      h->pendingWrite += m_config.bytesPerBlock;
      if (m_config.payloads) m_config.payloads->deviceToHost(meta.key, slot, hostSlot);
      return;
    }
    // Larger than the host tier can ever hold: on to the remote tier, as if dropped at once.
  }
  if (remote() && writeRemote(meta.key) && m_config.payloads)
    m_config.payloads->deviceToRemote(meta.key, slot);
}

void TierHierarchy::deviceRemoved(const CacheKey& key) {
  EntryMeta meta;
  meta.key = key;
  deviceRemoved(kNoSlot, meta, EvictReason::Capacity);
}

void TierHierarchy::hostRemoved(SlotId slot, const EntryMeta& meta, EvictReason reason) {
  const bool toRemote = forRoom(reason) && remote() && writeRemote(meta.key);
  if (m_config.payloads) m_config.payloads->hostRemoved(meta.key, slot, toRemote);
}

void TierHierarchy::countServed(Tier& tier, std::uint64_t tokens, MissReason reason) {
  ++tier.report.hits;
  tier.report.hitTokens += tokens;
  tier.report.bytesOut += m_config.bytesPerBlock;
  tier.pendingRead += m_config.bytesPerBlock;
  m_devicePromotedBytes += m_config.bytesPerBlock;
  if (m_device) m_device->recordServedBelow(reason, tokens, 1);  // counted missed there; not computed
}

TierHierarchy::Walk TierHierarchy::walk(std::span<const CacheKey> keys, std::uint32_t from,
                                        std::uint64_t maxTokens) {
  releasePromoted();  // a walk whose request never reached finishRequest() leaves nothing in use
  Walk walk;
  const std::uint64_t B = m_config.blockTokens;
  std::size_t end = from;
  while (end < keys.size() && std::uint64_t(end) * B < maxTokens) ++end;
  if (end <= from) return walk;
  const auto tokensOf = [&](std::size_t b) {
    return std::min<std::uint64_t>(maxTokens, (b + 1) * B) - std::uint64_t(b) * B;
  };
  // Why the device missed each block, as its match recorded it, before any promotion moves blocks.
  m_reasons.resize(end - from);
  for (std::size_t b = from; b < end; ++b)
    m_reasons[b - from] = !m_device                            ? MissReason::Cold
                          : m_device->find(keys[b]) != kNoSlot ? MissReason::Orphaned
                                                               : m_device->absentReason(keys[b]);
  const Bytes perBlock = m_config.bytesPerBlock;
  const EntryInit init{perBlock, m_config.blockTokens, kAllLayers};
  TierPayloads* payloads = m_config.payloads;
  std::size_t b = from;
  if (Tier* h = host()) {
    bool copying = false;
    for (; b < end; ++b) {
      const SlotId hostSlot = h->engine->find(keys[b]);
      if (hostSlot == kNoSlot) {
        ++h->report.misses;
        break;
      }
      // Promoted while the device can take it without evicting a block in use; from the first one it
      // cannot, the rest is copied (the prefix order stays: device run, promoted, copied, remote).
      if (!copying && m_device && m_device->insertableBytes() >= perBlock) {
        if (payloads) payloads->promoteFromHost(keys[b], hostSlot);
        h->engine->remove(hostSlot, EvictReason::Clear);  // moved up: not an eviction of the host tier
        const SlotId slot = m_device->insert(keys[b], init);
        if (slot == kNoSlot) throw std::logic_error("TierHierarchy: a promoted block did not fit");
        if (m_config.protectInUse) {
          m_device->protect(slot);
          m_promoted.emplace_back(slot, m_device->entry(slot).id);
        }
        if (payloads) payloads->promotedToDevice(slot);
        walk.promoted.push_back(Promotion{std::uint32_t(b), slot});
      } else {
        copying = true;
        if (payloads) payloads->copyFromHost(keys[b], hostSlot);
        h->engine->touch(hostSlot);
        walk.hostCopiedTokens += tokensOf(b);
      }
      walk.hostTokens += tokensOf(b);
      ++walk.hostBlocks;
      countServed(*h, tokensOf(b), m_reasons[b - from]);
    }
  }
  Tier* r = remote();
  if (r && b < end) {
    std::size_t served = 0;
    if (payloads) {
      // The store is the truth: what it says it holds is believed (another lab may have written it), what
      // it lacks is forgotten (evicted, expired, cleared), so the rules write it again when they can.
      const TierPayloads::RemoteFetch fetched = payloads->fetchRemote(keys.subspan(b, end - b));
      for (std::size_t i = 0; i < fetched.held.size() && b + i < end; ++i) {
        const SlotId slot = r->engine->find(keys[b + i]);
        if (fetched.held[i] && slot == kNoSlot)
          r->engine->insert(keys[b + i], init);
        else if (!fetched.held[i] && slot != kNoSlot)
          r->engine->remove(slot, EvictReason::Clear);
      }
      while (served < fetched.served && served < fetched.held.size() && fetched.held[served]) ++served;
      for (std::size_t i = 0; i < served; ++i)
        if (const SlotId slot = r->engine->find(keys[b + i]); slot != kNoSlot) r->engine->touch(slot);
    } else {
      for (; b + served < end; ++served) {
        const SlotId slot = r->engine->find(keys[b + served]);
        if (slot == kNoSlot) break;
        r->engine->touch(slot);  // copied up: the shared copy stays, and was just used
      }
    }
    for (std::size_t i = 0; i < served; ++i) {
      walk.remoteTokens += tokensOf(b + i);
      ++walk.remoteBlocks;
      countServed(*r, tokensOf(b + i), m_reasons[b + i - from]);
    }
    if (b + served < end) ++r->report.misses;
    b += served;
  }
  walk.blocks = std::uint32_t(b - from);
  walk.tokens = walk.hostTokens + walk.remoteTokens;
  return walk;
}

std::uint32_t TierHierarchy::heldRun(const Tier& tier, std::span<const CacheKey> keys, std::size_t from,
                                     std::size_t end) const {
  std::size_t b = from;
  while (b < end && tier.engine->find(keys[b]) != kNoSlot) ++b;
  return std::uint32_t(b - from);
}

std::uint32_t TierHierarchy::peek(std::span<const CacheKey> keys, std::uint32_t from,
                                  std::uint64_t maxTokens) const {
  if (m_device) throw std::logic_error("TierHierarchy::peek is for a hierarchy without a device engine");
  std::size_t end = from;
  while (end < keys.size() && std::uint64_t(end) * m_config.blockTokens < maxTokens) ++end;
  std::size_t b = from;
  if (const Tier* h = host()) b += heldRun(*h, keys, b, end);
  if (const Tier* r = remote()) b += heldRun(*r, keys, b, end);
  return std::uint32_t(b - from);
}

double TierHierarchy::loadMs(const Walk& walk) const {
  return m_config.cost.pcieMs(std::uint64_t(walk.hostBlocks) * m_config.bytesPerBlock) +
         m_config.cost.networkMs(std::uint64_t(walk.remoteBlocks) * m_config.bytesPerBlock);
}

std::uint32_t TierHierarchy::extend(std::span<const CacheKey> keys, std::uint32_t from,
                                    std::uint64_t maxTokens, std::uint64_t* tokens) {
  const Walk w = walk(keys, from, maxTokens);
  *tokens = w.tokens;
  return w.blocks;
}

void TierHierarchy::releasePromoted() {
  for (const auto& [slot, id] : m_promoted) m_device->release(slot, id);
  m_promoted.clear();
}

double TierHierarchy::batchMs(const Tier& tier, std::uint64_t bytes) const {
  return tier.remote ? m_config.cost.networkMs(bytes) : m_config.cost.pcieMs(bytes);
}

void TierHierarchy::finishRequest(std::span<const CacheKey> keys, std::span<const SlotId> slots,
                                  const std::vector<bool>& inserted) {
  const std::size_t n = std::min({keys.size(), slots.size(), inserted.size()});
  if (Tier* h = host()) {  // exclusive: a block the device holds now leaves the host tier
    for (std::size_t b = 0; b < n; ++b) {
      if (!inserted[b]) continue;
      if (const SlotId hostSlot = h->engine->find(keys[b]); hostSlot != kNoSlot)
        h->engine->remove(hostSlot, EvictReason::Clear);
    }
  }
  if (m_config.remoteWriteThrough && remote())
    for (std::size_t b = 0; b < n; ++b)
      if (inserted[b] && writeRemote(keys[b]) && m_config.payloads)
        m_config.payloads->deviceToRemote(keys[b], slots[b]);
  releasePromoted();
  for (const auto& tier : m_tiers) {
    tier->report.transferMs += batchMs(*tier, tier->pendingRead) + batchMs(*tier, tier->pendingWrite);
    tier->pendingRead = tier->pendingWrite = 0;
  }
}

void TierHierarchy::finishRequest(std::span<const CacheKey> keys, const std::vector<bool>& inserted) {
  std::vector<SlotId> slots(keys.size(), kNoSlot);
  if (m_config.payloads)
    for (std::size_t b = 0; b < keys.size() && b < inserted.size(); ++b)
      if (inserted[b] && m_device) slots[b] = m_device->find(keys[b]);
  finishRequest(keys, slots, inserted);
}

void TierHierarchy::remoteWritesFailed(std::span<const CacheKey> keys) {
  Tier* r = remote();
  if (!r) return;
  for (const CacheKey& key : keys)
    if (const SlotId slot = r->engine->find(key); slot != kNoSlot)
      r->engine->remove(slot, EvictReason::Clear);
}

std::vector<TierReport> TierHierarchy::reports() const {
  std::vector<TierReport> out;
  if (m_device) {
    TierReport device = deviceTierReport(m_device->counters(), m_device->entryCount(), 0, /*costModel=*/true);
    device.bytesIn = m_devicePromotedBytes;
    device.bytesOut = m_deviceDemotedBytes;
    out.push_back(device);
  }
  for (const auto& tier : m_tiers) {
    TierReport r = tier->report;
    r.entries = tier->engine->entryCount();
    r.evictions = tier->engine->counters().capacityEvictions();
    out.push_back(r);
  }
  return out;
}

std::uint64_t TierHierarchy::walkHitTokens() const {
  std::uint64_t total = 0;
  for (const auto& tier : m_tiers) total += tier->report.hitTokens;
  return total;
}

std::uint64_t TierHierarchy::walkHitBlocks() const {
  std::uint64_t total = 0;
  for (const auto& tier : m_tiers) total += tier->report.hits;
  return total;
}

}  // namespace kvlab
