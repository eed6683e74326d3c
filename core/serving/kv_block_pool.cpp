// SPDX-License-Identifier: MIT
#include "core/serving/kv_block_pool.h"

#include <algorithm>
#include <stdexcept>

namespace kvlab {

namespace {
struct AcceptAll final : VictimFilter {
  bool accept(SlotId) const override { return true; }
};
}  // namespace

// Blocks are equal: each counts as 1 byte and 1 token, the capacity is the block count. Keys are the
// blocks' keys (kept per block, so the reference stays valid while the policy uses it).
class KvBlockPool::Context final : public PolicyContext {
public:
  explicit Context(const KvBlockPool& pool) : m_pool(pool) {}
  const CacheKey& key(SlotId slot) const override { return m_pool.m_key[slot]; }
  Bytes bytes(SlotId) const override { return 1; }
  std::uint32_t tokens(SlotId) const override { return 1; }
  Bytes capacityBytes() const override { return m_pool.m_key.size(); }
  const CacheKey* incoming(Bytes*) const override { return nullptr; }

private:
  const KvBlockPool& m_pool;
};

KvBlockPool::~KvBlockPool() = default;

KvBlockPool::KvBlockPool(std::uint32_t numBlocks, std::unique_ptr<EvictionPolicy> policy)
    : m_policy(std::move(policy)),
      m_refCount(numBlocks, 0),
      m_key(numBlocks),
      m_hasKey(numBlocks, 0),
      m_inPolicy(numBlocks, 0),
      m_hitsWhileCached(numBlocks, 0) {
  if (numBlocks == 0) throw std::invalid_argument("KvBlockPool: at least one block");
  if (!m_policy) throw std::invalid_argument("KvBlockPool: no eviction policy");
  m_context = std::make_unique<Context>(*this);
  m_policy->attach(*m_context);
  m_plainFree.reserve(numBlocks);
  // Stack: block 0 is handed out first.
  for (std::uint32_t b = numBlocks; b-- > 0;) m_plainFree.push_back(b);
}

BlockId KvBlockPool::findCached(const CacheKey& key) const {
  const auto it = m_byKey.find(key);
  return it == m_byKey.end() ? kNoBlock : it->second.front();
}

void KvBlockPool::acquireCached(BlockId block) {
  if (m_refCount[block]++ == 0) {
    // Cached-free -> in use: no longer evictable.
    m_policy->onRemove(block);
    m_inPolicy[block] = 0;
    --m_cachedFree;
    ++m_usedBlocks;
    m_peakUsed = std::max(m_peakUsed, m_usedBlocks);
  }
  ++m_hitsWhileCached[block];
}

void KvBlockPool::forgetKey(BlockId block) {
  const CacheKey key = m_key[block];
  const auto it = m_byKey.find(key);
  auto& holders = it->second;
  holders.erase(std::find(holders.begin(), holders.end(), block));  // the others keep their order
  if (holders.empty()) {
    m_byKey.erase(it);
    if (isSharedBlockKey(key)) {
      --m_sharedKeys;
      if (m_observer) m_observer->onBlockRemoved(key.lo);
    }
  }
  m_hasKey[block] = 0;
  --m_keyedBlocks;
}

BlockId KvBlockPool::allocate() {
  BlockId block = kNoBlock;
  if (!m_plainFree.empty()) {
    block = m_plainFree.back();
    m_plainFree.pop_back();
  } else if (m_cachedFree > 0) {
    block = m_policy->pickVictim(AcceptAll{});
    if (block == kNoBlock) throw std::logic_error("KvBlockPool: policy found no victim among cached-free");
    m_policy->onRemove(block);
    m_inPolicy[block] = 0;
    forgetKey(block);
    m_hitsWhileCached[block] = 0;
    --m_cachedFree;
    ++m_evictions;
  } else {
    return kNoBlock;
  }
  m_refCount[block] = 1;
  ++m_usedBlocks;
  m_peakUsed = std::max(m_peakUsed, m_usedBlocks);
  return block;
}

void KvBlockPool::cacheBlock(BlockId block, const CacheKey& key) {
  if (m_refCount[block] == 0) throw std::logic_error("KvBlockPool: cacheBlock on a free block");
  if (m_hasKey[block]) throw std::logic_error("KvBlockPool: cacheBlock on a block that already has a key");
  auto [it, first] = m_byKey.try_emplace(key);
  it->second.push_back(block);
  m_key[block] = key;
  m_hasKey[block] = 1;
  m_hitsWhileCached[block] = 0;
  ++m_keyedBlocks;
  if (first && isSharedBlockKey(key)) {
    ++m_sharedKeys;
    if (m_observer) m_observer->onBlockStored(key.lo);
  }
}

void KvBlockPool::release(BlockId block) {
  if (m_refCount[block] == 0) throw std::logic_error("KvBlockPool: release of a free block");
  if (--m_refCount[block] > 0) return;
  --m_usedBlocks;
  if (m_hasKey[block]) {
    m_policy->onInsert(block);
    for (std::uint32_t i = 0; i < std::min(m_hitsWhileCached[block], kMaxReplayedAccesses); ++i)
      m_policy->onAccess(block);
    m_inPolicy[block] = 1;
    ++m_cachedFree;
  } else {
    m_plainFree.push_back(block);
  }
}

std::string KvBlockPool::checkInvariants() const {
  std::uint32_t used = 0, cached = 0, plain = 0, keyed = 0;
  std::vector<unsigned char> inPlain(m_refCount.size(), 0);
  for (BlockId b : m_plainFree) {
    if (inPlain[b]) return "block " + std::to_string(b) + " twice in the free stack";
    inPlain[b] = 1;
  }
  for (BlockId b = 0; b < m_refCount.size(); ++b) {
    const std::string id = "block " + std::to_string(b);
    if (m_refCount[b] > 0) {
      ++used;
      if (m_inPolicy[b]) return id + " is in use and evictable";
      if (inPlain[b]) return id + " is in use and in the free stack";
    } else if (m_hasKey[b]) {
      ++cached;
      if (!m_inPolicy[b]) return id + " is cached-free but unknown to the policy";
      if (inPlain[b]) return id + " is cached-free and in the plain free stack";
    } else {
      ++plain;
      if (!inPlain[b]) return id + " is free but not in the free stack";
      if (m_inPolicy[b]) return id + " is plain free but known to the policy";
    }
    if (m_hasKey[b]) {
      ++keyed;
      const auto it = m_byKey.find(m_key[b]);
      if (it == m_byKey.end() || std::count(it->second.begin(), it->second.end(), b) != 1)
        return id + " holds a key the map does not list it under once";
    }
  }
  std::size_t listed = 0, shared = 0;
  for (const auto& [key, holders] : m_byKey) {
    if (holders.empty()) return "a key with no blocks in the map";
    for (const BlockId b : holders)
      if (!m_hasKey[b] || !(m_key[b] == key)) return "the map lists a block under a key it does not hold";
    listed += holders.size();
    shared += isSharedBlockKey(key);
  }
  if (listed != keyed || keyed != m_keyedBlocks) return "keyed block count mismatch";
  if (shared != m_sharedKeys) return "shared key count mismatch";
  if (used != m_usedBlocks)
    return "used count " + std::to_string(m_usedBlocks) + " != " + std::to_string(used);
  if (cached != m_cachedFree)
    return "cached-free count " + std::to_string(m_cachedFree) + " != " + std::to_string(cached);
  if (plain != m_plainFree.size()) return "free stack size mismatch";
  if (used + cached + plain != numBlocks()) return "states do not add up to the pool";
  return {};
}

}  // namespace kvlab
