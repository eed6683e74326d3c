// SPDX-License-Identifier: MIT
// CacheEngine contracts: find/touch/insert, capacity, exact byte accounting, pinning, live parameter changes,
// events and eviction records, absent-key reasons. Sizes in bytes, times in ms on a ManualClock.
#include <QtTest>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/policies/policy_registry.h"
#include "enum_names.h"

using namespace kvlab;

namespace {

CacheKey key(std::uint64_t n) { return CacheKey{n, 0xC0FFEEu}; }

class RecordingObserver final : public CacheObserver {
public:
  void onCacheEvent(const CacheEvent& event) override { events.push_back(event); }
  std::vector<CacheEvent> events;
};

CacheConfig config(const QByteArray& policy, Bytes capacity, int layers = 1) {
  CacheConfig c;
  c.policy = policy.toStdString();
  c.capacityBytes = capacity;
  c.layers = layers;
  return c;
}

// One row per registered policy, so a new policy is covered without touching this file.
void addPolicyColumn() { QTest::addColumn<QByteArray>("policy"); }

std::size_t idx(EvictReason r) { return std::size_t(r); }

}  // namespace

class TestCacheEngine : public QObject {
  Q_OBJECT

private slots:
  void insertFindTouch();
  void capacityNeverExceeded_data();
  void capacityNeverExceeded();
  void oversizedInsertRejected_data();
  void oversizedInsertRejected();
  void exactAccounting_data();
  void exactAccounting();
  void pinnedBudget_data();
  void pinnedBudget();
  void shrinkCapacityEvictsAtOnce_data();
  void shrinkCapacityEvictsAtOnce();
  void setPolicyKeepsEntries_data();
  void setPolicyKeepsEntries();
  void clearRemovesEverything();
  void eventsInOrder();
  void absentReason_data();
  void absentReason();
  void resetStats();
  void occupancyByReuseAndEvictedTokens();
};

void TestCacheEngine::insertFindTouch() {
  ManualClock clock;
  CacheEngine engine(config("lru", 1000), clock);
  clock.setMs(10);
  const SlotId slot = engine.insert(key(1), EntryInit{100, 16, kAllLayers});
  QVERIFY(slot != kNoSlot);
  QCOMPARE(engine.find(key(1)), slot);
  QCOMPARE(engine.find(key(2)), kNoSlot);

  const EntryMeta& e = engine.entry(slot);
  QVERIFY(e.live);
  QVERIFY(e.key == key(1));
  QCOMPARE(e.bytes, Bytes(100));
  QCOMPARE(e.tokens, 16u);
  QCOMPARE(e.insertedMs, TimeMs(10));
  QCOMPARE(e.lastAccessMs, TimeMs(10));
  QCOMPARE(e.reuseCount, 0u);

  // find() is not a use; touch() is.
  clock.setMs(25);
  QCOMPARE(engine.find(key(1)), slot);
  QCOMPARE(engine.entry(slot).lastAccessMs, TimeMs(10));
  engine.touch(slot);
  QCOMPARE(engine.entry(slot).lastAccessMs, TimeMs(25));
  QCOMPARE(engine.entry(slot).reuseCount, 1u);
  QCOMPARE(engine.entry(slot).insertedMs, TimeMs(10));

  const SlotId other = engine.insert(key(2), EntryInit{50, 8, kAllLayers});
  QVERIFY(other != kNoSlot && other != slot);
  QVERIFY(engine.entry(other).id > engine.entry(slot).id);
  QCOMPARE(engine.entryCount(), std::size_t(2));
  QCOMPARE(engine.usedBytes(), Bytes(150));
  QCOMPARE(engine.counters().inserts, 2u);

  engine.remove(slot, EvictReason::Capacity);
  QCOMPARE(engine.find(key(1)), kNoSlot);
  QCOMPARE(engine.usedBytes(), Bytes(50));
  QCOMPARE(engine.counters().evictions[idx(EvictReason::Capacity)], 1u);
}

void TestCacheEngine::capacityNeverExceeded_data() {
  addPolicyColumn();
  QTest::addColumn<quint64>("capacity");
  QTest::addColumn<quint64>("entryBytes");
  QTest::addColumn<int>("count");
  for (const std::string& p : policyNames()) {
    const QByteArray name = QByteArray::fromStdString(p);
    QTest::addRow("%s 100/10", name.constData()) << name << quint64(100) << quint64(10) << 50;
    QTest::addRow("%s 100/30", name.constData()) << name << quint64(100) << quint64(30) << 20;
    QTest::addRow("%s 64/64", name.constData()) << name << quint64(64) << quint64(64) << 5;
  }
}

void TestCacheEngine::capacityNeverExceeded() {
  QFETCH(QByteArray, policy);
  QFETCH(quint64, capacity);
  QFETCH(quint64, entryBytes);
  QFETCH(int, count);
  ManualClock clock;
  CacheEngine engine(config(policy, capacity), clock);
  for (int i = 0; i < count; ++i) {
    QVERIFY(engine.insert(key(std::uint64_t(i)), EntryInit{entryBytes, 1, kAllLayers}) != kNoSlot);
    QVERIFY2(engine.usedBytes() <= capacity, qPrintable(QString::number(engine.usedBytes())));
    if (i % 3 == 0) {  // some reuse, so LFU/SIEVE/LRU take different paths
      const SlotId s = engine.find(key(std::uint64_t(i)));
      QVERIFY(s != kNoSlot);
      engine.touch(s);
    }
  }
  const std::uint64_t fit = capacity / entryBytes;
  QCOMPARE(std::uint64_t(engine.entryCount()), std::min<std::uint64_t>(fit, std::uint64_t(count)));
  QCOMPARE(engine.counters().evictions[idx(EvictReason::Capacity)], std::uint64_t(count) - fit);
  // The newest entry is always stored: eviction happens before the insert, never of the incoming entry.
  QVERIFY(engine.find(key(std::uint64_t(count - 1))) != kNoSlot);
}

void TestCacheEngine::oversizedInsertRejected_data() {
  QTest::addColumn<quint64>("capacity");
  QTest::addColumn<quint64>("pinned");  // bytes pinned before the insert (budget = this)
  QTest::addColumn<quint64>("incoming");
  QTest::addColumn<bool>("fits");
  QTest::newRow("larger than max size") << quint64(100) << quint64(0) << quint64(101) << false;
  QTest::newRow("exactly max size") << quint64(100) << quint64(0) << quint64(100) << true;
  QTest::newRow("larger than max minus pinned") << quint64(100) << quint64(40) << quint64(61) << false;
  QTest::newRow("exactly max minus pinned") << quint64(100) << quint64(40) << quint64(60) << true;
}

void TestCacheEngine::oversizedInsertRejected() {
  QFETCH(quint64, capacity);
  QFETCH(quint64, pinned);
  QFETCH(quint64, incoming);
  QFETCH(bool, fits);
  ManualClock clock;
  CacheConfig c = config("lru", capacity);
  c.pinnedBudgetBytes = pinned;
  CacheEngine engine(c, clock);
  if (pinned > 0) QVERIFY(engine.pin(engine.insert(key(100), EntryInit{pinned, 1, kAllLayers})));
  for (std::uint64_t i = 0; i < 3; ++i) engine.insert(key(i), EntryInit{10, 1, kAllLayers});
  const std::size_t before = engine.entryCount();
  const Bytes usedBefore = engine.usedBytes();

  const SlotId slot = engine.insert(key(50), EntryInit{incoming, 1, kAllLayers});
  if (fits) {
    QVERIFY(slot != kNoSlot);
    QVERIFY(engine.usedBytes() <= capacity);
    QCOMPARE(engine.counters().rejectedInserts, 0u);
  } else {
    QCOMPARE(slot, kNoSlot);
    QCOMPARE(engine.entryCount(), before);  // nothing evicted for an entry that could never fit
    QCOMPARE(engine.usedBytes(), usedBefore);
    QCOMPARE(engine.counters().totalEvictions(), 0u);
    QCOMPARE(engine.counters().rejectedInserts, 1u);
    QCOMPARE(name(engine.absentReason(key(50))), name(MissReason::Cold));
  }
}

void TestCacheEngine::exactAccounting_data() {
  QTest::addColumn<int>("layers");
  QTest::addColumn<QList<int>>("entryLayers");  // kAllLayers = -1
  QTest::addColumn<QList<int>>("entryBytes");
  QTest::addColumn<QList<int>>("expectedLayerBytes");
  QTest::newRow("one layer") << 1 << QList<int>{-1, -1} << QList<int>{30, 12} << QList<int>{42};
  QTest::newRow("single-layer entries")
      << 3 << QList<int>{0, 1, 1, 2} << QList<int>{5, 7, 8, 9} << QList<int>{5, 15, 9};
  QTest::newRow("all-layer split evenly")
      << 4 << QList<int>{-1, -1} << QList<int>{400, 40} << QList<int>{110, 110, 110, 110};
  QTest::newRow("mixed") << 2 << QList<int>{-1, 0, 1, 0} << QList<int>{20, 3, 4, 5} << QList<int>{18, 14};
}

void TestCacheEngine::exactAccounting() {
  QFETCH(int, layers);
  QFETCH(QList<int>, entryLayers);
  QFETCH(QList<int>, entryBytes);
  QFETCH(QList<int>, expectedLayerBytes);
  ManualClock clock;
  CacheEngine engine(config("lru", 1 << 20, layers), clock);
  std::vector<SlotId> stored;
  Bytes sum = 0;
  for (qsizetype i = 0; i < entryLayers.size(); ++i) {
    stored.push_back(
        engine.insert(key(std::uint64_t(i)), EntryInit{Bytes(entryBytes[i]), 1, entryLayers[i]}));
    QVERIFY(stored.back() != kNoSlot);
    sum += Bytes(entryBytes[i]);
    QCOMPARE(engine.usedBytes(), sum);
  }
  const std::vector<Bytes> perLayer = engine.layerBytes();
  QCOMPARE(perLayer.size(), std::size_t(layers));
  for (int l = 0; l < layers; ++l) QCOMPARE(perLayer[std::size_t(l)], Bytes(expectedLayerBytes[l]));
  QCOMPARE(std::accumulate(perLayer.begin(), perLayer.end(), Bytes(0)), sum);

  const CacheSnapshot snap = engine.snapshot();
  QCOMPARE(snap.usedBytes, sum);
  QCOMPARE(snap.entries, std::uint64_t(entryLayers.size()));
  QCOMPARE(snap.layerBytes, perLayer);
  const auto allLayer = std::uint64_t(std::count(entryLayers.begin(), entryLayers.end(), kAllLayers));
  for (int l = 0; l < layers; ++l)
    QCOMPARE(snap.layerEntries[std::size_t(l)],
             allLayer + std::uint64_t(std::count(entryLayers.begin(), entryLayers.end(), l)));

  // Removing everything returns every counter to zero (no drift from the even split).
  for (const SlotId s : stored) engine.remove(s, EvictReason::Capacity);
  QCOMPARE(engine.usedBytes(), Bytes(0));
  for (const Bytes b : engine.layerBytes()) QCOMPARE(b, Bytes(0));
  for (const std::uint64_t n : engine.snapshot().layerEntries) QCOMPARE(n, std::uint64_t(0));
}

void TestCacheEngine::pinnedBudget_data() {
  addPolicyColumn();
  for (const std::string& p : policyNames()) QTest::newRow(p.c_str()) << QByteArray::fromStdString(p);
}

void TestCacheEngine::pinnedBudget() {
  QFETCH(QByteArray, policy);
  ManualClock clock;
  CacheConfig c = config(policy, 100);
  c.pinnedBudgetBytes = 50;
  c.ttlMs = 10;
  CacheEngine engine(c, clock);
  const SlotId a = engine.insert(key(1), EntryInit{30, 1, kAllLayers});
  const SlotId b = engine.insert(key(2), EntryInit{30, 1, kAllLayers});
  QVERIFY(engine.pin(a));
  QVERIFY(engine.pin(a));   // pinning twice is a no-op
  QVERIFY(!engine.pin(b));  // 60 > budget 50
  QVERIFY(!engine.entry(b).pinned);
  QCOMPARE(engine.pinnedBytes(), Bytes(30));
  QCOMPARE(engine.snapshot().pinnedBytes, Bytes(30));
  QCOMPARE(engine.snapshot().pinnedBudgetBytes, Bytes(50));
  QCOMPARE(engine.snapshot().usedBytes, Bytes(60));  // pinned bytes count inside the occupancy

  // Capacity pressure: many inserts, the pinned entry always stays.
  for (std::uint64_t i = 10; i < 30; ++i) {
    clock.advanceMs(1);
    QVERIFY(engine.insert(key(i), EntryInit{20, 1, kAllLayers}) != kNoSlot);
    QCOMPARE(engine.find(key(1)), a);
    QVERIFY(engine.usedBytes() <= 100);
  }
  QCOMPARE(engine.find(key(2)), kNoSlot);
  // An entry that cannot fit beside the pinned bytes is rejected.
  QCOMPARE(engine.insert(key(99), EntryInit{71, 1, kAllLayers}), kNoSlot);

  // TTL: idle far past the TTL, still there.
  clock.advanceMs(1000);
  engine.expireNow();
  QCOMPARE(engine.find(key(1)), a);
  QCOMPARE(engine.entryCount(), std::size_t(1));

  // Unpinned: ordinary again, expires and can be evicted.
  engine.unpin(a);
  QCOMPARE(engine.pinnedBytes(), Bytes(0));
  QCOMPARE(engine.find(key(1)), a);  // unpin counts as a fresh start for the TTL
  clock.advanceMs(11);
  QCOMPARE(engine.find(key(1)), kNoSlot);
  QCOMPARE(name(engine.absentReason(key(1))), name(MissReason::Expired));

  // Lowering the budget unpins what no longer fits.
  engine.setTtlMs(0);
  const SlotId d = engine.insert(key(200), EntryInit{40, 1, kAllLayers});
  QVERIFY(engine.pin(d));
  engine.setPinnedBudget(30);
  QVERIFY(!engine.entry(d).pinned);
  QCOMPARE(engine.pinnedBytes(), Bytes(0));
}

void TestCacheEngine::shrinkCapacityEvictsAtOnce_data() {
  addPolicyColumn();
  QTest::addColumn<quint64>("newCapacity");
  QTest::addColumn<int>("expectedEvictions");
  for (const std::string& p : policyNames()) {
    const QByteArray name = QByteArray::fromStdString(p);
    QTest::addRow("%s to 35", name.constData()) << name << quint64(35) << 7;
    QTest::addRow("%s to 0", name.constData()) << name << quint64(0) << 10;
    QTest::addRow("%s to 100", name.constData()) << name << quint64(100) << 0;
  }
}

void TestCacheEngine::shrinkCapacityEvictsAtOnce() {
  QFETCH(QByteArray, policy);
  QFETCH(quint64, newCapacity);
  QFETCH(int, expectedEvictions);
  ManualClock clock;
  CacheEngine engine(config(policy, 100), clock);
  for (std::uint64_t i = 0; i < 10; ++i) engine.insert(key(i), EntryInit{10, 1, kAllLayers});
  RecordingObserver observer;
  engine.addObserver(&observer);
  engine.setCapacity(newCapacity);
  QVERIFY(engine.usedBytes() <= newCapacity);
  QCOMPARE(engine.snapshot().capacityBytes, Bytes(newCapacity));
  QCOMPARE(engine.snapshot().usedBytes, engine.usedBytes());
  QCOMPARE(int(engine.counters().evictions[idx(EvictReason::PolicyChange)]), expectedEvictions);
  QCOMPARE(engine.counters().evictions[idx(EvictReason::Capacity)], 0u);
  QCOMPARE(int(observer.events.size()), expectedEvictions);
  for (const CacheEvent& ev : observer.events) {
    QCOMPARE(name(ev.type), name(CacheEventType::Eviction));
    QCOMPARE(name(ev.evictReason), name(EvictReason::PolicyChange));
  }
  engine.removeObserver(&observer);
}

void TestCacheEngine::setPolicyKeepsEntries_data() {
  QTest::addColumn<QByteArray>("from");
  QTest::addColumn<QByteArray>("to");
  for (const std::string& from : policyNames())
    for (const std::string& to : policyNames())
      QTest::addRow("%s -> %s", from.c_str(), to.c_str())
          << QByteArray::fromStdString(from) << QByteArray::fromStdString(to);
}

void TestCacheEngine::setPolicyKeepsEntries() {
  QFETCH(QByteArray, from);
  QFETCH(QByteArray, to);
  ManualClock clock;
  CacheEngine engine(config(from, 50), clock);
  for (std::uint64_t i = 0; i < 5; ++i) engine.insert(key(i), EntryInit{10, 1, kAllLayers});
  engine.touch(engine.find(key(0)));
  engine.touch(engine.find(key(3)));

  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, engine.setPolicy("no-such-policy"));
  QCOMPARE(engine.config().policy, from.toStdString());

  engine.setPolicy(to.toStdString());
  QCOMPARE(engine.config().policy, to.toStdString());
  QCOMPARE(engine.snapshot().policy, to.toStdString());
  QCOMPARE(engine.entryCount(), std::size_t(5));
  QCOMPARE(engine.usedBytes(), Bytes(50));
  for (std::uint64_t i = 0; i < 5; ++i) QVERIFY(engine.find(key(i)) != kNoSlot);

  // The new policy knows every old entry: it can evict all of them, one per insert.
  for (std::uint64_t i = 100; i < 105; ++i) {
    QVERIFY(engine.insert(key(i), EntryInit{10, 1, kAllLayers}) != kNoSlot);
    QVERIFY(engine.usedBytes() <= 50);
  }
  for (std::uint64_t i = 0; i < 5; ++i) QCOMPARE(engine.find(key(i)), kNoSlot);
  QCOMPARE(engine.counters().evictions[idx(EvictReason::Capacity)], 5u);
}

void TestCacheEngine::clearRemovesEverything() {
  ManualClock clock;
  CacheConfig c = config("lru", 100, 2);
  c.pinnedBudgetBytes = 20;
  CacheEngine engine(c, clock);
  QVERIFY(engine.pin(engine.insert(key(1), EntryInit{20, 1, kAllLayers})));
  engine.insert(key(2), EntryInit{10, 1, 0});
  engine.insert(key(3), EntryInit{10, 1, 1});
  RecordingObserver observer;
  engine.addObserver(&observer);
  engine.clear();
  QCOMPARE(engine.entryCount(), std::size_t(0));
  QCOMPARE(engine.usedBytes(), Bytes(0));
  QCOMPARE(engine.pinnedBytes(), Bytes(0));
  QCOMPARE(engine.layerBytes(), (std::vector<Bytes>{0, 0}));
  QCOMPARE(engine.counters().evictions[idx(EvictReason::Clear)], 3u);
  QCOMPARE(engine.counters().evictedNeverReused, 0u);  // Clear is not an eviction record
  QCOMPARE(observer.events.size(), std::size_t(3));
  for (const CacheEvent& ev : observer.events) QCOMPARE(name(ev.evictReason), name(EvictReason::Clear));
  for (std::uint64_t k = 1; k <= 3; ++k) {
    QCOMPARE(engine.find(key(k)), kNoSlot);
    QCOMPARE(name(engine.absentReason(key(k))), name(MissReason::Evicted));
  }
  const CacheSnapshot snap = engine.snapshot();
  QCOMPARE(snap.entries, 0u);
  QCOMPARE(snap.usedBytes, Bytes(0));
  QCOMPARE(snap.layerEntries, (std::vector<std::uint64_t>{0, 0}));
  engine.removeObserver(&observer);
}

void TestCacheEngine::eventsInOrder() {
  ManualClock clock;
  CacheEngine engine(config("lru", 20), clock);
  RecordingObserver observer;
  engine.addObserver(&observer);

  clock.setMs(0);
  engine.insert(key(1), EntryInit{10, 4, kAllLayers});  // A, id 1
  clock.setMs(5);
  engine.insert(key(2), EntryInit{10, 6, kAllLayers});  // B, id 2
  clock.setMs(7);
  engine.touch(engine.find(key(1)));
  clock.setMs(8);
  engine.touch(engine.find(key(1)));
  clock.setMs(9);
  engine.touch(engine.find(key(2)));
  clock.setMs(10);
  engine.insert(key(3), EntryInit{10, 8, kAllLayers});  // C, id 3: LRU order A(8) B(9) -> evicts A
  clock.setMs(16);
  engine.setCapacity(10);  // evicts B (touched at 9) before C (10)
  clock.setMs(20);
  engine.setTtlMs(3);                                   // C idle 10 > 3: expires at once
  engine.insert(key(4), EntryInit{10, 2, kAllLayers});  // D, id 4
  clock.setMs(21);
  engine.clear();

  struct Expected {
    CacheEventType type;
    EvictReason reason;
    TimeMs time;
    std::uint64_t id;
    std::uint32_t tokens;
    TimeMs age, idle;
    std::uint32_t reuse;
  };
  using T = CacheEventType;
  using R = EvictReason;
  const std::vector<Expected> expected = {
      {T::Insert, R::Capacity, 0, 1, 4, 0, 0, 0},         {T::Insert, R::Capacity, 5, 2, 6, 0, 0, 0},
      {T::Eviction, R::Capacity, 10, 1, 4, 10, 2, 2},     {T::Insert, R::Capacity, 10, 3, 8, 0, 0, 0},
      {T::Eviction, R::PolicyChange, 16, 2, 6, 11, 7, 1}, {T::Eviction, R::Ttl, 20, 3, 8, 10, 10, 0},
      {T::Insert, R::Capacity, 20, 4, 2, 0, 0, 0},        {T::Eviction, R::Clear, 21, 4, 2, 1, 1, 0},
  };
  QCOMPARE(observer.events.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const CacheEvent& ev = observer.events[i];
    const Expected& x = expected[i];
    const QByteArray where = "event " + QByteArray::number(qulonglong(i));
    QVERIFY2(ev.type == x.type, where);
    QVERIFY2(ev.timeMs == x.time, where);
    QVERIFY2(ev.entryId == x.id, where);
    QVERIFY2(ev.bytes == 10, where);
    QVERIFY2(ev.tokens == x.tokens, where);
    QVERIFY2(ev.layer == kAllLayers, where);
    if (ev.type == T::Eviction) {
      QVERIFY2(ev.evictReason == x.reason, where);
      QVERIFY2(ev.ageMs == x.age, where);
      QVERIFY2(ev.idleMs == x.idle, where);
      QVERIFY2(ev.reuseCount == x.reuse, where);
    }
  }
  // Eviction records exclude Clear: A (age 10, idle 2, reuse 2), B (11, 7, 1), C (10, 10, 0).
  const CacheCounters& k = engine.counters();
  QCOMPARE(k.evictedNeverReused, 1u);
  QCOMPARE(k.sumEvictedAgeMs, 31.0);
  QCOMPARE(k.sumEvictedIdleMs, 19.0);
  QCOMPARE(k.sumEvictedReuse, 3.0);
  QCOMPARE(k.totalEvictions(), 4u);
  QCOMPARE(k.expirations(), 1u);
  QCOMPARE(k.capacityEvictions(), 2u);
  engine.removeObserver(&observer);
  QVERIFY(!engine.hasObservers());
}

void TestCacheEngine::absentReason_data() {
  QTest::addColumn<int>("scenario");
  QTest::addColumn<MissReason>("expected");
  QTest::newRow("never stored") << 0 << MissReason::Cold;
  QTest::newRow("evicted for room") << 1 << MissReason::Evicted;
  QTest::newRow("expired by TTL") << 2 << MissReason::Expired;
  QTest::newRow("removed by clear") << 3 << MissReason::Evicted;
  QTest::newRow("evicted by shrink") << 4 << MissReason::Evicted;
  QTest::newRow("expired then re-evicted") << 5 << MissReason::Evicted;
}

void TestCacheEngine::absentReason() {
  QFETCH(int, scenario);
  QFETCH(MissReason, expected);
  ManualClock clock;
  CacheConfig c = config("lru", 20);
  c.ttlMs = 100;
  CacheEngine engine(c, clock);
  const CacheKey k = key(7);
  switch (scenario) {
    case 0:
      break;
    case 1:
      engine.insert(k, EntryInit{10, 1, kAllLayers});
      engine.insert(key(8), EntryInit{10, 1, kAllLayers});
      engine.insert(key(9), EntryInit{10, 1, kAllLayers});
      break;
    case 2:
      engine.insert(k, EntryInit{10, 1, kAllLayers});
      clock.advanceMs(101);
      break;
    case 3:
      engine.insert(k, EntryInit{10, 1, kAllLayers});
      engine.clear();
      break;
    case 4:
      engine.insert(k, EntryInit{10, 1, kAllLayers});
      engine.setCapacity(0);
      break;
    case 5:  // the latest removal decides
      engine.insert(k, EntryInit{10, 1, kAllLayers});
      clock.advanceMs(101);
      QCOMPARE(engine.find(k), kNoSlot);
      engine.insert(k, EntryInit{20, 1, kAllLayers});
      engine.insert(key(8), EntryInit{10, 1, kAllLayers});
      break;
  }
  QCOMPARE(engine.find(k), kNoSlot);
  QCOMPARE(name(engine.absentReason(k)), name(expected));
}

void TestCacheEngine::resetStats() {
  ManualClock clock;
  CacheEngine engine(config("lru", 30), clock);
  for (std::uint64_t i = 0; i < 5; ++i) engine.insert(key(i), EntryInit{10, 1, kAllLayers});
  engine.recordQuery(10, 4, 2, 1);
  engine.recordMiss(MissReason::Cold, 6, 1);
  engine.recordTransfer(5, 7);
  engine.insert(key(99), EntryInit{31, 1, kAllLayers});
  QVERIFY(engine.counters().inserts > 0);
  QCOMPARE(engine.snapshot().peakBytes, Bytes(30));

  engine.remove(engine.find(key(4)), EvictReason::Capacity);
  engine.resetStats();
  const CacheCounters& k = engine.counters();
  QCOMPARE(k.lookups, 0u);
  QCOMPARE(k.queriedTokens, 0u);
  QCOMPARE(k.hitTokens, 0u);
  QCOMPARE(k.inserts, 0u);
  QCOMPARE(k.rejectedInserts, 0u);
  QCOMPARE(k.totalEvictions(), 0u);
  QCOMPARE(k.missTokens[std::size_t(MissReason::Cold)], 0u);
  QCOMPARE(k.bytesToCompute, Bytes(0));
  QCOMPARE(k.sumEvictedAgeMs, 0.0);
  QCOMPARE(k.tokenHitRate(), 0.0);
  // Stored entries stay; the peak restarts from the current occupancy.
  QCOMPARE(engine.entryCount(), std::size_t(2));
  QCOMPARE(engine.usedBytes(), Bytes(20));
  const CacheSnapshot snap = engine.snapshot();
  QCOMPARE(snap.peakBytes, Bytes(20));
  QCOMPARE(snap.counters.inserts, 0u);
  QCOMPARE(snap.entries, 2u);
}

// Hand-worked: three entries of 100, 200, 300 bytes (10, 20, 30 tokens) in a 600-byte LRU cache. Entry 1 is
// touched once, entry 2 six times, entry 3 once: buckets once = 400, 4-7 = 200. A 150-byte insert needs
// used <= 450: LRU order is 1, 3, 2, so entries 1 (100 B, 10 tokens) and 3 (300 B, 30 tokens) go: 40 evicted
// tokens. A 700-byte insert is larger than the cache: rejected, its 70 tokens counted as too large.
void TestCacheEngine::occupancyByReuseAndEvictedTokens() {
  ManualClock clock;
  CacheEngine engine(config("lru", 600), clock);
  const SlotId a = engine.insert(key(1), EntryInit{100, 10});
  const SlotId b = engine.insert(key(2), EntryInit{200, 20});
  engine.insert(key(3), EntryInit{300, 30});
  engine.touch(a);
  for (int i = 0; i < 5; ++i) engine.touch(b);
  engine.touch(engine.find(key(3)));  // refresh 3 so that 1 is the least recently used...
  engine.touch(b);                    // ...but 2 stays in 4-7 (6 touches) and 3 moves to "once"
  engine.publish();
  CacheSnapshot snap = engine.snapshot();
  QCOMPARE(snap.bytesByReuse[0], Bytes(0));
  QCOMPARE(snap.bytesByReuse[1], Bytes(400));  // entries 1 (100) and 3 (300)
  QCOMPARE(snap.bytesByReuse[3], Bytes(200));  // entry 2, 6 reuses
  QCOMPARE(snap.bytesByReuse[0] + snap.bytesByReuse[1] + snap.bytesByReuse[2] + snap.bytesByReuse[3] +
               snap.bytesByReuse[4],
           snap.usedBytes);
  engine.insert(key(4), EntryInit{150, 15});
  QCOMPARE(engine.counters().evictedTokens[idx(EvictReason::Capacity)], std::uint64_t(40));
  QCOMPARE(engine.insert(key(5), EntryInit{700, 70}), kNoSlot);
  QCOMPARE(engine.counters().tooLargeTokens, std::uint64_t(70));
  engine.publish();
  snap = engine.snapshot();
  QCOMPARE(snap.bytesByReuse[0], Bytes(150));  // the new entry 4
  QCOMPARE(snap.bytesByReuse[1], Bytes(0));
  QCOMPARE(snap.bytesByReuse[3], Bytes(200));
}

QTEST_GUILESS_MAIN(TestCacheEngine)
#include "tst_cache_engine.moc"
