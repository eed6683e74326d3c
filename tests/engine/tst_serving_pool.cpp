// SPDX-License-Identifier: MIT
// KvBlockPool (core/serving) on hand-worked sequences: the three block states, allocation order (free before
// cached-free), eviction of cached-free blocks by each policy, shared references, and the bookkeeping that
// checkInvariants() recounts from scratch.
#include <QtTest>

#include "core/policies/policy_registry.h"
#include "core/serving/kv_block_pool.h"

using namespace kvlab;

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
  void duplicateHashKeepsFirstBlock();
  void releaseOfFreeBlockThrows();
};

void TestServingPool::statesAndCounts() {
  KvBlockPool pool(4, createPolicy("lru"));
  QCOMPARE(pool.availableBlocks(), 4u);
  const BlockId a = pool.allocate(), b = pool.allocate();
  QCOMPARE(pool.usedBlocks(), 2u);
  QCOMPARE(pool.plainFreeBlocks(), 2u);
  QVERIFY(pool.setHash(a, 100));
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
  pool.setHash(a, 7);
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
    pool.setHash(blocks[i], std::uint64_t(i + 1));
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
  pool.setHash(a, 1);
  pool.setHash(b, 2);
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
  pool.setHash(a, 5);
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

void TestServingPool::duplicateHashKeepsFirstBlock() {
  KvBlockPool pool(2, createPolicy("lru"));
  const BlockId a = pool.allocate(), b = pool.allocate();
  QVERIFY(pool.setHash(a, 9));
  QVERIFY(!pool.setHash(b, 9));  // computed the same prefix concurrently: not recorded twice
  QCOMPARE(pool.findCached(9), a);
  pool.release(b);
  QCOMPARE(pool.plainFreeBlocks(), 1u);  // b went back as a plain free block
  QCOMPARE(QString::fromStdString(pool.checkInvariants()), QString());
}

void TestServingPool::releaseOfFreeBlockThrows() {
  KvBlockPool pool(1, createPolicy("lru"));
  QVERIFY_THROWS_EXCEPTION(std::logic_error, pool.release(0));
}

QTEST_GUILESS_MAIN(TestServingPool)
#include "tst_serving_pool.moc"
