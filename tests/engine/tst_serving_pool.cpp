// SPDX-License-Identifier: MIT
// KvBlockPool (core/serving) on hand-worked sequences: the three block states, allocation order (free before
// cached-free), eviction of cached-free blocks by each policy, shared references, duplicate keys and private
// keys as vLLM v1's BlockPool keeps them (vllm/v1/core/block_pool.py, BlockHashToBlockMap: no
// de-duplication), the stored/removed events, and the bookkeeping that checkInvariants() recounts.
#include <QtTest>

#include "core/policies/policy_registry.h"
#include "core/serving/kv_block_pool.h"

using namespace kvlab;

namespace {
// Records the pool's stored/removed events in order.
struct EventLog final : KvPoolObserver {
  QStringList events;
  void onBlockStored(std::uint64_t hash) override { events << QStringLiteral("stored %1").arg(hash); }
  void onBlockRemoved(std::uint64_t hash) override { events << QStringLiteral("removed %1").arg(hash); }
};
}  // namespace

class TestServingPool : public QObject {
  Q_OBJECT
private slots:
  void statesAndCounts();
  void allocatesFreeBeforeCachedFree();
  void evictionOrder_data();
  void evictionOrder();
  void inUseBlockIsNeverEvicted_data();
  void inUseBlockIsNeverEvicted();
  void sharedBlockNeedsEveryRelease();
  void duplicateKeyKeepsBothCopies();
  void laterCopyFoundAfterFirstEvicted();
  void privateKeyIsCachedWithoutEvents();
  void cacheBlockNeedsAnUnkeyedBlockInUse();
  void releaseOfFreeBlockThrows();
};

void TestServingPool::statesAndCounts() {
  KvBlockPool pool(4, createPolicy("lru"));
  QCOMPARE(pool.availableBlocks(), 4u);
  const BlockId a = pool.allocate(), b = pool.allocate();
  QCOMPARE(pool.usedBlocks(), 2u);
  QCOMPARE(pool.plainFreeBlocks(), 2u);
  pool.cacheBlock(a, sharedBlockKey(100));
  pool.release(a);  // hashed -> cached-free
  pool.release(b);  // no hash -> free
  QCOMPARE(pool.usedBlocks(), 0u);
  QCOMPARE(pool.cachedFreeBlocks(), 1u);
  QCOMPARE(pool.plainFreeBlocks(), 3u);
  QCOMPARE(pool.availableBlocks(), 4u);
  QCOMPARE(pool.findCached(100), a);
  QCOMPARE(pool.findCached(200), kNoBlock);
  QCOMPARE(pool.peakUsedBlocks(), 2u);
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
}

void TestServingPool::allocatesFreeBeforeCachedFree() {
  // 2 blocks: one cached-free (hash 7), one free. The next allocation takes the free one and keeps hash 7;
  // the one after must evict it.
  KvBlockPool pool(2, createPolicy("lru"));
  const BlockId a = pool.allocate();
  pool.cacheBlock(a, sharedBlockKey(7));
  pool.release(a);
  const BlockId b = pool.allocate();
  QVERIFY(b != a);
  QCOMPARE(pool.findCached(7), a);
  QCOMPARE(pool.evictions(), 0u);
  const BlockId c = pool.allocate();
  QCOMPARE(c, a);
  QCOMPARE(pool.findCached(7), kNoBlock);
  QCOMPARE(pool.evictions(), 1u);
  QCOMPARE(pool.allocate(), kNoBlock);  // everything in use
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
}

void TestServingPool::evictionOrder_data() {
  QTest::addColumn<QString>("policy");
  QTest::addColumn<quint64>("victim");  // hash evicted by the next allocation
  // Three blocks hashed 1, 2, 3. Block 1 is freed first and then hit twice while cached (acquire and
  // release, twice); then blocks 2 and 3 are freed. Evictable set, oldest first: 1, 2, 3.
  //   lru:   1 was freed (last used) before 2 and 3 -> victim 1
  //   fifo:  order of (re-)insertion 1, 2, 3 -> victim 1
  //   lfu:   uses 1:3 (insert + 2 replayed hits), 2:1, 3:1; tie 2 vs 3 -> older tick -> victim 2
  //   sieve: queue 1 (visited), 2, 3; the hand clears 1's bit and evicts 2
  QTest::newRow("lru") << "lru" << quint64(1);
  QTest::newRow("fifo") << "fifo" << quint64(1);
  QTest::newRow("lfu") << "lfu" << quint64(2);
  QTest::newRow("sieve") << "sieve" << quint64(2);
}

void TestServingPool::evictionOrder() {
  QFETCH(QString, policy);
  QFETCH(quint64, victim);
  KvBlockPool pool(3, createPolicy(policy.toStdString()));
  BlockId blocks[3];
  for (int i = 0; i < 3; ++i) {
    blocks[i] = pool.allocate();
    pool.cacheBlock(blocks[i], sharedBlockKey(std::uint64_t(i + 1)));
  }
  pool.release(blocks[0]);
  for (int hit = 0; hit < 2; ++hit) {
    pool.acquireCached(pool.findCached(1));
    pool.release(pool.findCached(1));
  }
  pool.release(blocks[1]);
  pool.release(blocks[2]);
  QCOMPARE(pool.cachedFreeBlocks(), 3u);
  const BlockId fresh = pool.allocate();
  QCOMPARE(fresh, blocks[victim - 1]);
  for (std::uint64_t h = 1; h <= 3; ++h) QCOMPARE(pool.findCached(h) == kNoBlock, h == victim);
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
}

void TestServingPool::inUseBlockIsNeverEvicted_data() {
  QTest::addColumn<QString>("policy");
  for (const std::string& name : policyNames()) QTest::newRow(name.c_str()) << QString::fromStdString(name);
}

void TestServingPool::inUseBlockIsNeverEvicted() {
  // Two cached-free blocks; one is taken back into use by a hit. Allocating twice must evict only the
  // other one and then report no block, whatever the policy.
  QFETCH(QString, policy);
  KvBlockPool pool(2, createPolicy(policy.toStdString()));
  const BlockId a = pool.allocate(), b = pool.allocate();
  pool.cacheBlock(a, sharedBlockKey(1));
  pool.cacheBlock(b, sharedBlockKey(2));
  pool.release(a);
  pool.release(b);
  pool.acquireCached(a);  // hit: a is in use again
  QCOMPARE(pool.allocate(), b);
  QCOMPARE(pool.allocate(), kNoBlock);
  QCOMPARE(pool.findCached(1), a);
  QCOMPARE(pool.refCount(a), 1u);
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
}

void TestServingPool::sharedBlockNeedsEveryRelease() {
  KvBlockPool pool(1, createPolicy("lru"));
  const BlockId a = pool.allocate();
  pool.cacheBlock(a, sharedBlockKey(5));
  pool.acquireCached(a);  // a second sequence shares it
  QCOMPARE(pool.refCount(a), 2u);
  pool.release(a);
  QCOMPARE(pool.usedBlocks(), 1u);
  QCOMPARE(pool.cachedFreeBlocks(), 0u);
  pool.release(a);
  QCOMPARE(pool.usedBlocks(), 0u);
  QCOMPARE(pool.cachedFreeBlocks(), 1u);
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
}

void TestServingPool::duplicateKeyKeepsBothCopies() {
  // Two sequences computed the same block (key 9) into blocks a and b. vLLM files both under the one key
  // ("NOTE #1: We currently don't de-duplicate the blocks in the cache"), and a lookup returns the copy
  // filed first that is still there. Both become cached-free when released (b first, then a), so under LRU
  // b is evicted first and key 9 survives in a; the next allocation evicts a and the key is gone.
  KvBlockPool pool(2, createPolicy("lru"));
  EventLog log;
  pool.setObserver(&log);
  const BlockId a = pool.allocate(), b = pool.allocate();
  pool.cacheBlock(a, sharedBlockKey(9));
  pool.cacheBlock(b, sharedBlockKey(9));
  QCOMPARE(pool.findCached(9), a);
  QCOMPARE(pool.keyedBlocks(), 2u);
  QCOMPARE(pool.sharedKeys(), 1u);
  QCOMPARE(log.events, QStringList({"stored 9"}));  // one key now held, whatever the copies
  pool.release(b);
  QCOMPARE(pool.cachedFreeBlocks(), 1u);  // b keeps its copy of the key: cached-free, not plain free
  QCOMPARE(pool.plainFreeBlocks(), 0u);
  pool.release(a);
  QCOMPARE(pool.cachedFreeBlocks(), 2u);
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
  QCOMPARE(pool.allocate(), b);
  QCOMPARE(pool.findCached(9), a);
  QCOMPARE(pool.sharedKeys(), 1u);
  QCOMPARE(log.events, QStringList({"stored 9"}));  // a still holds it: not removed
  QCOMPARE(pool.allocate(), a);
  QCOMPARE(pool.findCached(9), kNoBlock);
  QCOMPARE(pool.sharedKeys(), 0u);
  QCOMPARE(pool.evictions(), 2u);
  QCOMPARE(log.events, QStringList({"stored 9", "removed 9"}));
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
}

void TestServingPool::laterCopyFoundAfterFirstEvicted() {
  // Copies a (filed first) and b of key 4; a is released first and evicted first: the lookup then finds b.
  KvBlockPool pool(3, createPolicy("lru"));
  const BlockId a = pool.allocate(), b = pool.allocate(), c = pool.allocate();
  pool.cacheBlock(a, sharedBlockKey(4));
  pool.cacheBlock(b, sharedBlockKey(4));
  pool.release(a);
  pool.release(c);  // plain free: allocated before any cached-free block
  QCOMPARE(pool.allocate(), c);
  QCOMPARE(pool.allocate(), a);  // the only cached-free block
  QCOMPARE(pool.findCached(4), b);
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
}

void TestServingPool::privateKeyIsCachedWithoutEvents() {
  // A block that generated tokens fill gets a key private to its request (vLLM hashes it like any full
  // block; no other request has its tokens). Released, it is cached-free (evicted after plain free blocks,
  // hit-able by its owner), and no router event is sent for it.
  KvBlockPool pool(2, createPolicy("lru"));
  EventLog log;
  pool.setObserver(&log);
  const BlockId a = pool.allocate();
  pool.cacheBlock(a, privateBlockKey(/*owner=*/3, /*blockIndex=*/0));
  pool.release(a);
  QCOMPARE(pool.cachedFreeBlocks(), 1u);
  QCOMPARE(pool.plainFreeBlocks(), 1u);
  QCOMPARE(pool.findCached(privateBlockKey(3, 0)), a);
  QCOMPARE(pool.findCached(privateBlockKey(4, 0)), kNoBlock);
  QCOMPARE(pool.findCached(0), kNoBlock);  // not the shared key with the same number
  QCOMPARE(pool.sharedKeys(), 0u);
  QVERIFY(pool.allocate() != a);  // the plain free block goes first
  QCOMPARE(pool.allocate(), a);
  QCOMPARE(pool.evictions(), 1u);
  QVERIFY(log.events.isEmpty());
}

void TestServingPool::cacheBlockNeedsAnUnkeyedBlockInUse() {
  KvBlockPool pool(2, createPolicy("lru"));
  const BlockId a = pool.allocate();
  pool.cacheBlock(a, sharedBlockKey(1));
  QVERIFY_THROWS_EXCEPTION(std::logic_error, pool.cacheBlock(a, sharedBlockKey(2)));
  QVERIFY_THROWS_EXCEPTION(std::logic_error, pool.cacheBlock(1, sharedBlockKey(2)));  // block 1 is free
}

void TestServingPool::releaseOfFreeBlockThrows() {
  KvBlockPool pool(1, createPolicy("lru"));
  QVERIFY_THROWS_EXCEPTION(std::logic_error, pool.release(0));
}

QTEST_GUILESS_MAIN(TestServingPool)
#include "tst_serving_pool.moc"
