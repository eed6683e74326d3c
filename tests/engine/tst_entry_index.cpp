// SPDX-License-Identifier: MIT
// EntryIndex in both modes: a key's answer through its life (never stored -> live -> evicted -> live again ->
// expired), neighbouring ids sharing a 64-bit word of dense history, and dense-mode keys that are not small
// ids (hi != 0, or lo >= kDenseLimit) going to the hashed map.
#include <QtTest>

#include "core/cache/entry_index.h"

using namespace kvlab;

class TestEntryIndex : public QObject {
  Q_OBJECT
private slots:
  void lifeOfAKey_data();
  void lifeOfAKey();
  void neighboursStayApart();
};

void TestEntryIndex::lifeOfAKey_data() {
  QTest::addColumn<bool>("dense");
  QTest::addColumn<quint64>("hi");
  QTest::addColumn<quint64>("lo");
  QTest::newRow("hashed: content hash") << false << quint64(0x1234) << quint64(99);
  QTest::newRow("dense: small id") << true << quint64(0) << quint64(7);
  QTest::newRow("dense: id 31, last of the first word") << true << quint64(0) << quint64(31);
  QTest::newRow("dense: id 32, first of the second word") << true << quint64(0) << quint64(32);
  QTest::newRow("dense: large id, history grows") << true << quint64(0) << quint64(5'000'000);
  QTest::newRow("dense mode, id at the limit: hashed")
      << true << quint64(0) << quint64(EntryIndex::kDenseLimit);
  QTest::newRow("dense mode, hi set: hashed") << true << quint64(1) << quint64(3);
}

void TestEntryIndex::lifeOfAKey() {
  QFETCH(bool, dense);
  QFETCH(quint64, hi);
  QFETCH(quint64, lo);
  EntryIndex index;
  index.setDense(dense);
  const CacheKey key{lo, hi};
  QCOMPARE(index.get(key), kNoSlot);  // never stored
  index.put(key, 42);
  QCOMPARE(index.get(key), SlotId(42));
  index.put(key, EntryIndex::kGoneEvicted);
  QCOMPARE(index.get(key), EntryIndex::kGoneEvicted);
  index.put(key, 0);  // stored again, in slot 0
  QCOMPARE(index.get(key), SlotId(0));
  index.put(key, EntryIndex::kGoneExpired);
  QCOMPARE(index.get(key), EntryIndex::kGoneExpired);
}

void TestEntryIndex::neighboursStayApart() {
  // Ids 30..33 straddle the first two 64-bit words of 2-bit states; each keeps its own answer.
  EntryIndex index;
  index.setDense(true);
  index.put(CacheKey{30, 0}, 5);
  index.put(CacheKey{31, 0}, EntryIndex::kGoneExpired);
  index.put(CacheKey{32, 0}, EntryIndex::kGoneEvicted);
  index.put(CacheKey{33, 0}, 6);
  QCOMPARE(index.get(CacheKey{29, 0}), kNoSlot);
  QCOMPARE(index.get(CacheKey{30, 0}), SlotId(5));
  QCOMPARE(index.get(CacheKey{31, 0}), EntryIndex::kGoneExpired);
  QCOMPARE(index.get(CacheKey{32, 0}), EntryIndex::kGoneEvicted);
  QCOMPARE(index.get(CacheKey{33, 0}), SlotId(6));
  QCOMPARE(index.get(CacheKey{34, 0}), kNoSlot);
  QCOMPARE(index.get(CacheKey{1'000'000, 0}), kNoSlot);  // beyond the history: never stored
}

QTEST_GUILESS_MAIN(TestEntryIndex)
#include "tst_entry_index.moc"
