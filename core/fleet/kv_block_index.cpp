// SPDX-License-Identifier: MIT
#include "core/fleet/kv_block_index.h"

#include <bit>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace kvlab {

class KvBlockIndex::Feed : public CacheObserver {
public:
  Feed(KvBlockIndex& index, std::size_t replica) : m_index(index), m_replica(replica) {}
  void onCacheEvent(const CacheEvent& event) override {
    if (event.type == CacheEventType::Insert)
      m_index.stored(m_replica, event.key);
    else if (event.type == CacheEventType::Eviction)
      m_index.removed(m_replica, event.key);
  }

private:
  KvBlockIndex& m_index;
  std::size_t m_replica;
};

KvBlockIndex::KvBlockIndex(std::size_t replicas) {
  if (replicas == 0 || replicas > kMaxReplicas)
    throw std::invalid_argument("a fleet has 1 to " + std::to_string(kMaxReplicas) + " replicas, not " +
                                std::to_string(replicas));
  m_blockCounts.assign(replicas, 0);
  for (std::size_t r = 0; r < replicas; ++r) m_feeds.push_back(std::make_unique<Feed>(*this, r));
}

KvBlockIndex::~KvBlockIndex() = default;

void KvBlockIndex::stored(std::size_t replica, const CacheKey& key) {
  if (m_lagMs > 0)
    m_pending.push(Pending{m_eventTimeMs + m_lagMs, m_seq++, replica, key, true});
  else
    apply(replica, key, true);
}

void KvBlockIndex::removed(std::size_t replica, const CacheKey& key) {
  if (m_lagMs > 0)
    m_pending.push(Pending{m_eventTimeMs + m_lagMs, m_seq++, replica, key, false});
  else
    apply(replica, key, false);
}

void KvBlockIndex::advanceTo(double nowMs) {
  while (!m_pending.empty() && m_pending.top().dueMs <= nowMs) {
    const Pending p = m_pending.top();
    m_pending.pop();
    apply(p.replica, p.key, p.stored);
  }
  m_eventTimeMs = nowMs;
}

void KvBlockIndex::apply(std::size_t replica, const CacheKey& key, bool stored) {
  if (!stored) {
    const auto it = m_holders.find(key);
    if (it == m_holders.end()) return;
    const std::uint64_t bit = std::uint64_t(1) << replica;
    if (it->second & bit) --m_blockCounts[replica];
    it->second &= ~bit;
    if (it->second == 0) m_holders.erase(it);
    return;
  }
  std::uint64_t& mask = m_holders[key];
  const std::uint64_t bit = std::uint64_t(1) << replica;
  if (!(mask & bit)) ++m_blockCounts[replica];
  mask |= bit;
}

template <typename Key>
void KvBlockIndex::leadingRun(std::span<const Key> keys, std::vector<std::uint32_t>& out) const {
  const std::size_t n = replicas();
  out.assign(n, 0);
  // Replicas still on their run; when block i drops replica r from it, r's run is i blocks long.
  std::uint64_t alive = n == 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << n) - 1;
  std::uint32_t i = 0;
  for (; i < keys.size() && alive; ++i) {
    CacheKey key;
    if constexpr (std::is_same_v<Key, CacheKey>)
      key = keys[i];
    else
      key = CacheKey{keys[i], 0};
    const auto it = m_holders.find(key);
    const std::uint64_t holders = it == m_holders.end() ? 0 : it->second;
    std::uint64_t dropped = alive & ~holders;
    alive &= holders;
    for (; dropped; dropped &= dropped - 1) out[std::size_t(std::countr_zero(dropped))] = i;
  }
  for (; alive; alive &= alive - 1) out[std::size_t(std::countr_zero(alive))] = i;
}

void KvBlockIndex::leadingBlocks(std::span<const CacheKey> keys, std::vector<std::uint32_t>& out) const {
  leadingRun(keys, out);
}

void KvBlockIndex::leadingBlocks(std::span<const std::uint64_t> hashIds,
                                 std::vector<std::uint32_t>& out) const {
  leadingRun(hashIds, out);
}

CacheObserver& KvBlockIndex::feed(std::size_t replica) { return *m_feeds.at(replica); }

}  // namespace kvlab
