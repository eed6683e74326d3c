// SPDX-License-Identifier: MIT
// CacheEngine's insert decision and in-use protection: an insert that cannot fit evicts nothing (decided from
// the evictable bytes first), protected entries are never capacity victims, release() names the entry by id,
// insertableBytes() is what insert() accepts, and touchOrInsert() on an expired parent ends. Sizes in bytes,
// times in ms on a ManualClock. Every expected value is worked by hand in the comments.
#include <QtTest>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/policies/policy_registry.h"

using namespace kvlab;

namespace {

CacheKey key(std::uint64_t n) { return CacheKey{n, 0x15e}; }

CacheConfig config(const std::string& policy, Bytes capacity, Bytes pinnedBudget = 0, TimeMs ttl = 0) {
  CacheConfig c;
  c.policy = policy;
  c.capacityBytes = capacity;
  c.pinnedBudgetBytes = pinnedBudget;
  c.ttlMs = ttl;
  return c;
}

EntryInit bytes(Bytes n) { return EntryInit{n, 1, kAllLayers}; }

}  // namespace

class TestInUse : public QObject {
  Q_OBJECT

private slots:
  void insertThatCannotFitEvictsNothing_data();
  void insertThatCannotFitEvictsNothing();
  void protectedEntriesAreNotVictims_data();
  void protectedEntriesAreNotVictims();
  void releaseIgnoresAReusedSlot();
  void protectedEntriesStillExpire();
  void unlimitedCapacity();
  void touchOrInsertOnExpiredParentEnds();
};

void TestInUse::insertThatCannotFitEvictsNothing_data() {
  QTest::addColumn<QByteArray>("policy");
  for (const std::string& p : policyNames()) QTest::newRow(p.c_str()) << QByteArray::fromStdString(p);
}

void TestInUse::insertThatCannotFitEvictsNothing() {
  QFETCH(QByteArray, policy);
  // Capacity 10: A 4 bytes pinned, P 3 bytes in use, B 3 bytes evictable.
  // D (4 bytes) can never fit: 10 - 4 pinned - 3 in use = 3 < 4. Before the fix B was evicted first and the
  // insert failed anyway; now nothing goes. E (3 bytes) fits by evicting exactly B.
  ManualClock clock;
  CacheEngine engine(config(policy.toStdString(), 10, /*pinnedBudget=*/4), clock);
  QVERIFY(engine.pin(engine.insert(key(1), bytes(4))));
  const SlotId parent = engine.insert(key(2), bytes(3));
  engine.protect(parent);
  engine.insert(key(3), bytes(3));
  QCOMPARE(engine.evictableBytes(), Bytes(3));
  QCOMPARE(engine.insertableBytes(), Bytes(3));

  QCOMPARE(engine.insert(key(4), bytes(4)), kNoSlot);
  QCOMPARE(engine.counters().rejectedInserts, 1u);
  QCOMPARE(engine.counters().totalEvictions(), 0u);
  QVERIFY(engine.find(key(3)) != kNoSlot);
  QCOMPARE(engine.usedBytes(), Bytes(10));

  QVERIFY(engine.insert(key(5), bytes(3)) != kNoSlot);
  QCOMPARE(engine.counters().capacityEvictions(), 1u);
  QCOMPARE(engine.find(key(3)), kNoSlot);
  QVERIFY(engine.find(key(2)) != kNoSlot);
  engine.release(parent, engine.entry(parent).id);
  QCOMPARE(engine.evictableBytes(), Bytes(6));  // P (3) and E (3)
}

void TestInUse::protectedEntriesAreNotVictims_data() {
  QTest::addColumn<QByteArray>("policy");
  for (const std::string& p : policyNames()) QTest::newRow(p.c_str()) << QByteArray::fromStdString(p);
}

void TestInUse::protectedEntriesAreNotVictims() {
  QFETCH(QByteArray, policy);
  // Capacity 3 entries of 1 byte: A, B, C. A and B in use. D needs one eviction: only C can go, whatever
  // the policy would prefer. E then needs one more: only D can go. After release A is a victim again.
  ManualClock clock;
  CacheEngine engine(config(policy.toStdString(), 3), clock);
  const SlotId a = engine.insert(key(1), bytes(1));
  const SlotId b = engine.insert(key(2), bytes(1));
  engine.insert(key(3), bytes(1));
  engine.protect(a);
  engine.protect(b);
  engine.protect(b);  // counted: one release leaves it protected
  QCOMPARE(engine.insertableBytes(), Bytes(1));
  QVERIFY(engine.insert(key(4), bytes(1)) != kNoSlot);
  QCOMPARE(engine.find(key(3)), kNoSlot);
  QVERIFY(engine.insert(key(5), bytes(1)) != kNoSlot);
  QCOMPARE(engine.find(key(4)), kNoSlot);
  QVERIFY(engine.find(key(1)) != kNoSlot);
  QVERIFY(engine.find(key(2)) != kNoSlot);
  // Two bytes can never fit while A and B are in use: refused, E stays.
  QCOMPARE(engine.insert(key(6), bytes(2)), kNoSlot);
  QVERIFY(engine.find(key(5)) != kNoSlot);

  engine.release(a, engine.entry(a).id);
  engine.release(b, engine.entry(b).id);
  QCOMPARE(engine.entry(b).inUse, 1u);
  QCOMPARE(engine.insertableBytes(), Bytes(2));  // capacity 3 - B (1, still in use)
  QVERIFY(engine.insert(key(6), bytes(2)) != kNoSlot);
  QVERIFY(engine.find(key(2)) != kNoSlot);
  QCOMPARE(engine.find(key(1)), kNoSlot);
  QCOMPARE(engine.find(key(5)), kNoSlot);
}

void TestInUse::releaseIgnoresAReusedSlot() {
  // A protected entry that goes anyway (remove) hands its slot to the next insert; a late release of the old
  // entry must not unprotect the new one.
  ManualClock clock;
  CacheEngine engine(config("lru", 2), clock);
  const SlotId a = engine.insert(key(1), bytes(1));
  const std::uint64_t idA = engine.entry(a).id;
  engine.protect(a);
  engine.remove(a, EvictReason::Clear);
  const SlotId b = engine.insert(key(2), bytes(1));
  QCOMPARE(b, a);  // the freed slot is reused
  engine.protect(b);
  engine.release(a, idA);
  QCOMPARE(engine.entry(b).inUse, 1u);
  QCOMPARE(engine.evictableBytes(), Bytes(0));
}

void TestInUse::protectedEntriesStillExpire() {
  // TTL 10: protection is against capacity eviction only; an entry past its TTL still never hits.
  ManualClock clock;
  CacheEngine engine(config("lru", 10, 0, /*ttl=*/10), clock);
  const SlotId a = engine.insert(key(1), bytes(1));
  engine.protect(a);
  clock.setMs(11);
  QCOMPARE(engine.find(key(1)), kNoSlot);
  QCOMPARE(engine.counters().expirations(), 1u);
  QCOMPARE(engine.evictableBytes(), Bytes(0));
  QCOMPARE(engine.usedBytes(), Bytes(0));
}

void TestInUse::unlimitedCapacity() {
  // kUnlimited: nothing is ever evicted, and the insertable size does not overflow.
  ManualClock clock;
  CacheEngine engine(config("lru", kUnlimited), clock);
  for (std::uint64_t i = 0; i < 100; ++i) QVERIFY(engine.insert(key(i), bytes(Bytes(1) << 40)) != kNoSlot);
  QCOMPARE(engine.counters().totalEvictions(), 0u);
  QCOMPARE(engine.insertableBytes(), kUnlimited);
  QCOMPARE(engine.usedBytes(), Bytes(100) << 40);
}

void TestInUse::touchOrInsertOnExpiredParentEnds() {
  // An expired entry with a child is kept (radix parents go after their children). touchOrInsert() on its
  // key used to recurse for ever on it; now it renews it: stored again at t=20, valid until t=30.
  ManualClock clock;
  CacheEngine engine(config("lru", 10, 0, /*ttl=*/10), clock);
  const SlotId parent = engine.insert(key(1), bytes(1));
  engine.addChild(parent);
  engine.insert(key(2), bytes(1));
  clock.setMs(20);
  QCOMPARE(engine.find(key(1)), kNoSlot);  // expired, kept for its child
  bool inserted = true;
  QCOMPARE(engine.touchOrInsert(key(1), bytes(1), &inserted), parent);
  QVERIFY(!inserted);
  QCOMPARE(engine.entry(parent).insertedMs, TimeMs(20));
  QCOMPARE(engine.entry(parent).reuseCount, 0u);  // a re-store, not a reuse
  clock.setMs(30);
  QCOMPARE(engine.find(key(1)), parent);
}

QTEST_GUILESS_MAIN(TestInUse)
#include "tst_in_use.moc"
