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
// blocks' hashes (kept per block so the reference stays valid while the policy uses it).
class KvBlockPool::Context final : public PolicyContext {
public:
  explicit Context(const KvBlockPool& pool) : m_pool(pool), m_keys(pool.m_hash.size()) {}
  const CacheKey& key(SlotId slot) const override {
    m_keys[slot] = CacheKey{m_pool.m_hash[slot], 0};
    return m_keys[slot];
  }
  Bytes bytes(SlotId) const override { return 1; }
  std::uint32_t tokens(SlotId) const override { return 1; }
  Bytes capacityBytes() const override { return m_pool.m_hash.size(); }
  const CacheKey* incoming(Bytes*) const override { return nullptr; }

private:
  const KvBlockPool& m_pool;
  mutable std::vector<CacheKey> m_keys;
};

KvBlockPool::~KvBlockPool() = default;

KvBlockPool::KvBlockPool(std::uint32_t numBlocks, std::unique_ptr<EvictionPolicy> policy)
    : m_policy(std::move(policy)),
      m_refCount(numBlocks, 0),
      m_hash(numBlocks, 0),
      m_hasHash(numBlocks, 0),
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

BlockId KvBlockPool::findCached(std::uint64_t hash) const {
  const auto it = m_byHash.find(hash);
  return it == m_byHash.end() ? kNoBlock : it->second;
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
    m_byHash.erase(m_hash[block]);
    m_hasHash[block] = 0;
    if (m_observer) m_observer->onBlockRemoved(m_hash[block]);
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

bool KvBlockPool::setHash(BlockId block, std::uint64_t hash) {
  if (m_hasHash[block]) return m_hash[block] == hash;
  if (!m_byHash.try_emplace(hash, block).second) return false;
  m_hash[block] = hash;
  m_hasHash[block] = 1;
  m_hitsWhileCached[block] = 0;
  if (m_observer) m_observer->onBlockStored(hash);
  return true;
}

void KvBlockPool::release(BlockId block) {
  if (m_refCount[block] == 0) throw std::logic_error("KvBlockPool: release of a free block");
  if (--m_refCount[block] > 0) return;
  --m_usedBlocks;
  if (m_hasHash[block]) {
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
  std::uint32_t used = 0, cached = 0, plain = 0;
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
    } else if (m_hasHash[b]) {
      ++cached;
      if (!m_inPolicy[b]) return id + " is cached-free but unknown to the policy";
      if (inPlain[b]) return id + " is cached-free and in the plain free stack";
    } else {
      ++plain;
      if (!inPlain[b]) return id + " is free but not in the free stack";
      if (m_inPolicy[b]) return id + " is plain free but known to the policy";
    }
    if (m_hasHash[b]) {
      const auto it = m_byHash.find(m_hash[b]);
      if (it == m_byHash.end() || it->second != b) return id + " holds a hash the map does not point to it";
    }
  }
  std::size_t hashed = 0;
  for (BlockId b = 0; b < m_refCount.size(); ++b) hashed += m_hasHash[b];
  if (m_byHash.size() != hashed) return "the hash map has entries for blocks that do not hold them";
  if (used != m_usedBlocks)
    return "used count " + std::to_string(m_usedBlocks) + " != " + std::to_string(used);
  if (cached != m_cachedFree)
    return "cached-free count " + std::to_string(m_cachedFree) + " != " + std::to_string(cached);
  if (plain != m_plainFree.size()) return "free stack size mismatch";
  if (used + cached + plain != numBlocks()) return "states do not add up to the pool";
  return {};
}

}  // namespace kvlab
