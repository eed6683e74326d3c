// SPDX-License-Identifier: MIT
// TTL contracts of CacheEngine on a ManualClock (ms): an entry idle for longer than the TTL never hits,
// idle == TTL is still valid, a touch refreshes the TTL (without reordering FIFO), 0 = never expire.
// TtlMode::Age counts from insertion instead: touches do not refresh it, and the sweep goes oldest first.
#include <QtTest>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/policies/policy_registry.h"
#include "core/util/input_error.h"
#include "enum_names.h"

using namespace kvlab;

namespace {

CacheKey key(std::uint64_t n) { return CacheKey{n, 0x77u}; }

CacheConfig config(const std::string& policy, Bytes capacity, TimeMs ttl, TtlMode mode = TtlMode::Idle) {
  CacheConfig c;
  c.policy = policy;
  c.capacityBytes = capacity;
  c.ttlMs = ttl;
  c.ttlMode = mode;
  return c;
}

class RecordingObserver final : public CacheObserver {
public:
  void onCacheEvent(const CacheEvent& event) override { events.push_back(event); }
  std::vector<CacheEvent> events;
};

}  // namespace

class TestTtl : public QObject {
  Q_OBJECT

private slots:
  void idleBeyondTtlNeverHits_data();
  void idleBeyondTtlNeverHits();
  void touchRefreshesTtl_data();
  void touchRefreshesTtl();
  void shorterTtlExpiresAtOnce();
  void zeroTtlNeverExpires();
  void touchRefreshesTtlButNotFifoOrder_data();
  void touchRefreshesTtlButNotFifoOrder();
  void insertExpiresBeforeEvicting();
  void ageModeCountsFromInsertion_data();
  void ageModeCountsFromInsertion();
  void ageModeSweepInInsertionOrder_data();
  void ageModeSweepInInsertionOrder();
  void switchingModeExpiresAtOnce();
  void parseTtlModeNamesField();
};

void TestTtl::idleBeyondTtlNeverHits_data() {
  QTest::addColumn<qint64>("ttl");
  QTest::addColumn<qint64>("idle");
  QTest::addColumn<bool>("hit");
  QTest::newRow("well inside") << qint64(100) << qint64(50) << true;
  QTest::newRow("idle == ttl is valid") << qint64(100) << qint64(100) << true;
  QTest::newRow("ttl + 1 expires") << qint64(100) << qint64(101) << false;
  QTest::newRow("far past") << qint64(100) << qint64(1000000) << false;
  QTest::newRow("ttl 1, idle 1") << qint64(1) << qint64(1) << true;
  QTest::newRow("ttl 1, idle 2") << qint64(1) << qint64(2) << false;
  QTest::newRow("ttl 0 = never") << qint64(0) << qint64(1) << true;
  QTest::newRow("ttl 0, a year idle") << qint64(0) << qint64(365LL * 24 * 3600 * 1000) << true;
}

void TestTtl::idleBeyondTtlNeverHits() {
  QFETCH(qint64, ttl);
  QFETCH(qint64, idle);
  QFETCH(bool, hit);
  for (const std::string& policy : policyNames()) {
    ManualClock clock;
    clock.setMs(1000);
    CacheEngine engine(config(policy, 100, ttl), clock);
    RecordingObserver observer;
    engine.addObserver(&observer);
    const SlotId slot = engine.insert(key(1), EntryInit{10, 1, kAllLayers});
    clock.advanceMs(idle);
    const SlotId found = engine.find(key(1));
    if (hit) {
      QCOMPARE(found, slot);
      QCOMPARE(engine.counters().expirations(), 0u);
      continue;
    }
    QCOMPARE(found, kNoSlot);
    QCOMPARE(engine.find(key(1)), kNoSlot);  // and stays gone
    QCOMPARE(engine.entryCount(), std::size_t(0));
    QCOMPARE(engine.usedBytes(), Bytes(0));
    QCOMPARE(engine.counters().expirations(), 1u);
    QCOMPARE(name(engine.absentReason(key(1))), name(MissReason::Expired));
    QCOMPARE(observer.events.size(), std::size_t(2));
    QCOMPARE(name(observer.events[1].type), name(CacheEventType::Eviction));
    QCOMPARE(name(observer.events[1].evictReason), name(EvictReason::Ttl));
    QCOMPARE(observer.events[1].idleMs, TimeMs(idle));
    QCOMPARE(engine.snapshot().entries, 0u);
    engine.removeObserver(&observer);
  }
}

void TestTtl::touchRefreshesTtl_data() {
  QTest::addColumn<QByteArray>("policy");
  for (const std::string& p : policyNames()) QTest::newRow(p.c_str()) << QByteArray::fromStdString(p);
}

void TestTtl::touchRefreshesTtl() {
  QFETCH(QByteArray, policy);
  ManualClock clock;
  CacheEngine engine(config(policy.toStdString(), 100, 100), clock);
  const SlotId slot = engine.insert(key(1), EntryInit{10, 1, kAllLayers});
  clock.setMs(80);
  engine.touch(engine.find(key(1)));
  clock.setMs(180);  // 180 since insert, 100 since the touch: valid
  QCOMPARE(engine.find(key(1)), slot);
  engine.touch(slot);
  clock.setMs(280);
  QCOMPARE(engine.expireNow(), std::size_t(0));
  QCOMPARE(engine.find(key(1)), slot);
  clock.setMs(281);  // 101 since the last touch
  QCOMPARE(engine.expireNow(), std::size_t(1));
  QCOMPARE(engine.find(key(1)), kNoSlot);
  QCOMPARE(name(engine.absentReason(key(1))), name(MissReason::Expired));
}

void TestTtl::shorterTtlExpiresAtOnce() {
  ManualClock clock;
  CacheEngine engine(config("lru", 100, 0), clock);
  RecordingObserver observer;
  engine.addObserver(&observer);
  clock.setMs(0);
  engine.insert(key(1), EntryInit{10, 1, kAllLayers});
  clock.setMs(50);
  engine.insert(key(2), EntryInit{10, 1, kAllLayers});
  clock.setMs(70);
  engine.insert(key(3), EntryInit{10, 1, kAllLayers});
  clock.setMs(100);
  engine.setTtlMs(30);  // idle 100, 50 expire; idle 30 is exactly at the TTL and stays
  QCOMPARE(engine.counters().expirations(), 2u);
  QCOMPARE(engine.entryCount(), std::size_t(1));
  QVERIFY(engine.find(key(3)) != kNoSlot);
  QCOMPARE(engine.snapshot().ttlMs, TimeMs(30));
  QCOMPARE(engine.snapshot().entries, 1u);  // published right away, not at the next insert
  QCOMPARE(observer.events.size(), std::size_t(5));
  QCOMPARE(observer.events[3].entryId, 1u);  // oldest first
  QCOMPARE(observer.events[4].entryId, 2u);
  for (std::size_t i = 3; i < 5; ++i) QCOMPARE(name(observer.events[i].evictReason), name(EvictReason::Ttl));

  engine.setTtlMs(-5);  // negative clamps to 0 = never
  QCOMPARE(engine.config().ttlMs, TimeMs(0));
  engine.removeObserver(&observer);
}

void TestTtl::zeroTtlNeverExpires() {
  ManualClock clock;
  CacheEngine engine(config("lru", 100, 0), clock);
  engine.insert(key(1), EntryInit{10, 1, kAllLayers});
  clock.advanceMs(TimeMs(1) << 40);
  QCOMPARE(engine.expireNow(), std::size_t(0));
  engine.insert(key(2), EntryInit{10, 1, kAllLayers});
  QVERIFY(engine.find(key(1)) != kNoSlot);
  QCOMPARE(engine.counters().expirations(), 0u);
}

void TestTtl::touchRefreshesTtlButNotFifoOrder_data() {
  QTest::addColumn<QByteArray>("policy");
  QTest::addColumn<quint64>("victim");  // evicted by the insert at t=66
  // A(t0) B(t10) C(t20), A touched at t40, B expires at t65 (idle 55 > 50), D inserted at t65 into the
  // freed room, E at t66 needs one eviction: FIFO takes A (inserted first, the touch does not move it),
  // LRU takes C (least recently used: C at 20, A at 40, D at 65).
  QTest::newRow("fifo") << QByteArray("fifo") << quint64(1);
  QTest::newRow("lru") << QByteArray("lru") << quint64(3);
}

void TestTtl::touchRefreshesTtlButNotFifoOrder() {
  QFETCH(QByteArray, policy);
  QFETCH(quint64, victim);
  ManualClock clock;
  CacheEngine engine(config(policy.toStdString(), 30, 50), clock);
  engine.insert(key(1), EntryInit{10, 1, kAllLayers});
  clock.setMs(10);
  engine.insert(key(2), EntryInit{10, 1, kAllLayers});
  clock.setMs(20);
  engine.insert(key(3), EntryInit{10, 1, kAllLayers});
  clock.setMs(40);
  engine.touch(engine.find(key(1)));
  clock.setMs(65);
  QVERIFY(engine.find(key(1)) != kNoSlot);  // age 65 > TTL, idle 25: the touch refreshed it
  QCOMPARE(engine.find(key(2)), kNoSlot);
  QCOMPARE(name(engine.absentReason(key(2))), name(MissReason::Expired));
  QVERIFY(engine.insert(key(4), EntryInit{10, 1, kAllLayers}) != kNoSlot);
  QCOMPARE(engine.counters().capacityEvictions(), 0u);
  clock.setMs(66);
  QVERIFY(engine.insert(key(5), EntryInit{10, 1, kAllLayers}) != kNoSlot);
  QCOMPARE(engine.counters().capacityEvictions(), 1u);
  QCOMPARE(engine.find(key(victim)), kNoSlot);
  QCOMPARE(name(engine.absentReason(key(victim))), name(MissReason::Evicted));
  QCOMPARE(engine.entryCount(), std::size_t(3));
}

void TestTtl::insertExpiresBeforeEvicting() {
  // Expired entries make room first: an insert that fits after expirations evicts nothing for capacity.
  for (const std::string& policy : policyNames()) {
    ManualClock clock;
    CacheEngine engine(config(policy, 30, 10), clock);
    engine.insert(key(1), EntryInit{10, 1, kAllLayers});
    engine.insert(key(2), EntryInit{10, 1, kAllLayers});
    clock.setMs(5);
    engine.insert(key(3), EntryInit{10, 1, kAllLayers});
    clock.setMs(11);  // keys 1 and 2 are idle 11 > 10; key 3 idle 6
    QVERIFY(engine.insert(key(4), EntryInit{20, 1, kAllLayers}) != kNoSlot);
    QCOMPARE(engine.counters().expirations(), 2u);
    QCOMPARE(engine.counters().capacityEvictions(), 0u);
    QVERIFY(engine.find(key(3)) != kNoSlot);
  }
}

void TestTtl::ageModeCountsFromInsertion_data() {
  QTest::addColumn<int>("mode");
  QTest::addColumn<qint64>("checkAt");
  QTest::addColumn<bool>("hit");
  // TTL 100; inserted at t=0, touched at t=60 and t=120 (while still valid in both modes).
  // Idle: at t=200 idle 80 <= 100 -> hit; at t=221 idle 101 -> expired.
  // Age:  the touch at t=120 is already too late (age 120 > 100), so check the touch at 60 only:
  //       at t=100 age 100 -> hit; at t=101 age 101 -> expired, although idle is only 41.
  QTest::newRow("idle, idle 80") << int(TtlMode::Idle) << qint64(200) << true;
  QTest::newRow("idle, idle 101") << int(TtlMode::Idle) << qint64(221) << false;
  QTest::newRow("age, age 100") << int(TtlMode::Age) << qint64(100) << true;
  QTest::newRow("age, age 101 (idle 41)") << int(TtlMode::Age) << qint64(101) << false;
}

void TestTtl::ageModeCountsFromInsertion() {
  QFETCH(int, mode);
  QFETCH(qint64, checkAt);
  QFETCH(bool, hit);
  for (const std::string& policy : policyNames()) {
    ManualClock clock;
    CacheEngine engine(config(policy, 100, 100, TtlMode(mode)), clock);
    const SlotId slot = engine.insert(key(1), EntryInit{10, 1, kAllLayers});
    clock.setMs(60);
    engine.touch(engine.find(key(1)));
    if (TtlMode(mode) == TtlMode::Idle) {
      clock.setMs(120);
      engine.touch(engine.find(key(1)));
    }
    clock.setMs(checkAt);
    QCOMPARE(engine.find(key(1)), hit ? slot : kNoSlot);
    QCOMPARE(engine.counters().expirations(), hit ? 0u : 1u);
    QCOMPARE(name(engine.snapshot().ttlMode), name(TtlMode(mode)));
  }
}

void TestTtl::ageModeSweepInInsertionOrder_data() {
  QTest::addColumn<int>("mode");
  QTest::addColumn<quint64>("expiredCount");
  // TTL 100. A at t=0, B at t=10, C at t=20; A touched at t=90; sweep at t=115.
  // Idle: idle times A 25, B 105, C 95 -> B only (the touch moved A behind C in last-use order).
  // Age:  ages A 115, B 105, C 95 -> A and B.
  QTest::newRow("idle") << int(TtlMode::Idle) << quint64(1);
  QTest::newRow("age") << int(TtlMode::Age) << quint64(2);
}

void TestTtl::ageModeSweepInInsertionOrder() {
  QFETCH(int, mode);
  QFETCH(quint64, expiredCount);
  ManualClock clock;
  CacheEngine engine(config("lru", 100, 100, TtlMode(mode)), clock);
  RecordingObserver observer;
  engine.addObserver(&observer);
  engine.insert(key(1), EntryInit{10, 1, kAllLayers});
  clock.setMs(10);
  engine.insert(key(2), EntryInit{10, 1, kAllLayers});
  clock.setMs(20);
  engine.insert(key(3), EntryInit{10, 1, kAllLayers});
  clock.setMs(90);
  engine.touch(engine.find(key(1)));
  clock.setMs(115);
  QCOMPARE(engine.expireNow(), std::size_t(expiredCount));
  QVERIFY(engine.find(key(3)) != kNoSlot);
  QCOMPARE(engine.find(key(2)), kNoSlot);
  QCOMPARE(engine.find(key(1)) == kNoSlot, TtlMode(mode) == TtlMode::Age);
  if (TtlMode(mode) == TtlMode::Age) {  // oldest insertion first; ages in the events
    QCOMPARE(observer.events.size(), std::size_t(5));
    QCOMPARE(observer.events[3].entryId, 1u);
    QCOMPARE(observer.events[3].ageMs, TimeMs(115));
    QCOMPARE(observer.events[3].idleMs, TimeMs(25));
    QCOMPARE(observer.events[4].entryId, 2u);
  }
  engine.removeObserver(&observer);
}

void TestTtl::switchingModeExpiresAtOnce() {
  // TTL 100, idle mode. A at t=0 touched at t=100; at t=150 A is idle 50 (valid) but 150 old. Switching to
  // age expires it at once; switching back and inserting B shows the idle rule is back.
  ManualClock clock;
  CacheEngine engine(config("lru", 100, 100), clock);
  engine.insert(key(1), EntryInit{10, 1, kAllLayers});
  clock.setMs(100);
  engine.touch(engine.find(key(1)));
  clock.setMs(150);
  QVERIFY(engine.find(key(1)) != kNoSlot);
  engine.setTtlMode(TtlMode::Age);
  QCOMPARE(engine.counters().expirations(), 1u);
  QCOMPARE(engine.entryCount(), std::size_t(0));
  engine.setTtlMode(TtlMode::Idle);
  engine.insert(key(2), EntryInit{10, 1, kAllLayers});
  clock.setMs(240);
  engine.touch(engine.find(key(2)));
  clock.setMs(300);  // age 150, idle 60
  QVERIFY(engine.find(key(2)) != kNoSlot);
}

void TestTtl::parseTtlModeNamesField() {
  QCOMPARE(name(parseTtlMode("idle")), name(TtlMode::Idle));
  QCOMPARE(name(parseTtlMode("age")), name(TtlMode::Age));
  QCOMPARE(QString::fromUtf8(toString(TtlMode::Age).data()), QStringLiteral("age"));
  try {
    parseTtlMode("lifetime", "ttl-mode");
    QFAIL("accepted an unknown mode");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("ttl-mode"));
    QVERIFY(QString::fromStdString(e.what()).contains("lifetime"));
  }
}

QTEST_GUILESS_MAIN(TestTtl)
#include "tst_ttl.moc"
