// SPDX-License-Identifier: MIT
// IdSlotTable against std::unordered_map under random puts and erases: a cache's churn at a fixed size (the
// backward-shift deletion must keep every remaining id reachable, also across the table's wrap-around),
// growth from empty, and ids that collide in the top bits the table hashes to.
#include <QtTest>
#include <random>
#include <unordered_map>

#include "core/cache/id_slot_table.h"

using namespace kvlab;

class TestIdSlotTable : public QObject {
  Q_OBJECT
private slots:
  void matchesReferenceMap_data();
  void matchesReferenceMap();
  void handWorkedBackwardShift();
};

void TestIdSlotTable::matchesReferenceMap_data() {
  QTest::addColumn<uint>("seed");
  QTest::addColumn<uint>("liveTarget");  // churn keeps about this many ids in the table
  QTest::addColumn<quint64>("idRange");  // ids drawn from [0, idRange)
  QTest::newRow("dense ids, small cache") << 1u << 7u << quint64(40);
  QTest::newRow("dense ids, bigger cache") << 2u << 300u << quint64(5000);
  QTest::newRow("sparse 64-bit ids") << 3u << 100u << quint64(0);  // 0 = the full 64-bit range
  QTest::newRow("ids one apart (long probe runs)") << 4u << 64u << quint64(128);
}

void TestIdSlotTable::matchesReferenceMap() {
  QFETCH(uint, seed);
  QFETCH(uint, liveTarget);
  QFETCH(quint64, idRange);
  std::mt19937_64 rng(seed);
  auto drawId = [&] { return idRange ? rng() % idRange : rng(); };
  IdSlotTable table;
  std::unordered_map<std::uint64_t, SlotId> reference;
  std::vector<std::uint64_t> seen;
  for (int op = 0; op < 20000; ++op) {
    const bool insert = reference.size() < liveTarget ? rng() % 4 != 0 : rng() % 4 == 0;
    if (insert) {
      const std::uint64_t id = drawId();
      const SlotId slot = SlotId(rng() % 1000);
      if (rng() % 2) {
        table.put(id, slot);
        reference[id] = slot;
      } else {  // findOrPut: the present slot, or an insert reported as kNoSlot
        const auto it = reference.find(id);
        QCOMPARE(table.findOrPut(id, slot), it == reference.end() ? kNoSlot : it->second);
        reference.try_emplace(id, slot);
      }
      seen.push_back(id);
    } else {
      // Erase a present id most of the time, an absent one sometimes (a no-op).
      const std::uint64_t id = (!seen.empty() && rng() % 5 != 0) ? seen[rng() % seen.size()] : drawId();
      table.erase(id);
      reference.erase(id);
    }
    QCOMPARE(table.size(), reference.size());
    if (op % 97 == 0) {
      for (const auto& [id, slot] : reference) QCOMPARE(table.find(id), slot);
      for (int k = 0; k < 20; ++k) {
        const std::uint64_t id = drawId();
        const auto it = reference.find(id);
        QCOMPARE(table.find(id), it == reference.end() ? kNoSlot : it->second);
      }
    }
  }
  for (const auto& [id, slot] : reference) QCOMPARE(table.find(id), slot);
}

// A probe run across the end of the table: three ids whose home is the last cell of the default 16-cell
// table (Fibonacci hashing: home = (id * 0x9E3779B97F4A7C15) >> 60) sit in cells 15, 0 and 1. Erasing the
// first must shift the other two back (to 15 and 0) so both stay reachable; erasing the one in the middle
// afterwards must not strand the last.
void TestIdSlotTable::handWorkedBackwardShift() {
  std::vector<std::uint64_t> lastCell;
  for (std::uint64_t id = 0; lastCell.size() < 3; ++id)
    if (((id * 0x9E3779B97F4A7C15ull) >> 60) == 15) lastCell.push_back(id);
  IdSlotTable table;
  table.put(lastCell[0], 10);
  table.put(lastCell[1], 11);
  table.put(lastCell[2], 12);
  QCOMPARE(table.size(), std::size_t(3));
  table.erase(lastCell[0]);
  QCOMPARE(table.find(lastCell[0]), kNoSlot);
  QCOMPARE(table.find(lastCell[1]), SlotId(11));
  QCOMPARE(table.find(lastCell[2]), SlotId(12));
  table.erase(lastCell[1]);
  QCOMPARE(table.find(lastCell[2]), SlotId(12));
  table.erase(lastCell[0]);  // absent: no change
  QCOMPARE(table.size(), std::size_t(1));
  table.put(lastCell[2], 21);  // overwrite, not a second entry
  QCOMPARE(table.find(lastCell[2]), SlotId(21));
  QCOMPARE(table.size(), std::size_t(1));
}

QTEST_GUILESS_MAIN(TestIdSlotTable)
#include "tst_id_slot_table.moc"
