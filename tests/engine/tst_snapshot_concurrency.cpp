// SPDX-License-Identifier: MIT
// CacheEngine::snapshot() from other threads while one thread drives the engine: every snapshot a reader
// sees is internally consistent and its counters never go backwards. Run under ThreadSanitizer
// (KVLAB_SANITIZE=thread). Synchronisation is atomics and joins only; nothing sleeps.
#include <QtTest>
#include <atomic>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/policies/policy_registry.h"

using namespace kvlab;

namespace {

constexpr int kLayers = 4;
constexpr Bytes kPinnedBudget = 64;

// Checks one snapshot on its own and against the previous one this reader saw; returns the first problem.
std::string checkSnapshot(const CacheSnapshot& s, const CacheSnapshot* previous) {
  if (s.layerBytes.size() != std::size_t(kLayers) || s.layerEntries.size() != std::size_t(kLayers))
    return "per-layer vectors have the wrong size";
  if (std::accumulate(s.layerBytes.begin(), s.layerBytes.end(), Bytes(0)) != s.usedBytes)
    return "usedBytes != sum of layerBytes";
  if (s.usedBytes > s.capacityBytes) return "usedBytes > capacityBytes";
  if (s.usedBytes > s.peakBytes) return "usedBytes > peakBytes";
  if (s.pinnedBytes > s.pinnedBudgetBytes || s.pinnedBytes > s.usedBytes) return "pinned bytes out of range";
  // Only all-layer entries are stored, so each layer counts every entry.
  if (std::accumulate(s.layerEntries.begin(), s.layerEntries.end(), std::uint64_t(0)) / kLayers != s.entries)
    return "entries != sum of layerEntries / layers";
  for (const std::uint64_t n : s.layerEntries)
    if (n != s.entries) return "a layer's entry count differs from entries";
  if (s.counters.inserts - s.counters.totalEvictions() != s.entries) return "inserts - removals != entries";
  if (s.counters.hits + s.counters.misses != s.counters.lookups) return "hits + misses != lookups";
  if (findPolicy(s.policy) == nullptr) return "unknown policy name '" + s.policy + "'";
  if (!previous) return {};
  const CacheCounters& a = previous->counters;
  const CacheCounters& b = s.counters;
  if (s.timeMs < previous->timeMs) return "time went backwards";
  if (s.peakBytes < previous->peakBytes) return "peak went backwards";
  if (b.inserts < a.inserts || b.lookups < a.lookups || b.hits < a.hits ||
      b.queriedTokens < a.queriedTokens || b.rejectedInserts < a.rejectedInserts)
    return "a counter went backwards";
  for (std::size_t r = 0; r < b.evictions.size(); ++r)
    if (b.evictions[r] < a.evictions[r]) return "an eviction counter went backwards";
  return {};
}

struct ReaderResult {
  std::uint64_t snapshots = 0;
  std::string error;
};

}  // namespace

class TestSnapshotConcurrency : public QObject {
  Q_OBJECT

private slots:
  void readersSeeConsistentSnapshots_data();
  void readersSeeConsistentSnapshots();
};

void TestSnapshotConcurrency::readersSeeConsistentSnapshots_data() {
  QTest::addColumn<QByteArray>("policy");
  QTest::addColumn<int>("readers");
  QTest::addColumn<int>("operations");
  const std::vector<std::string> names = policyNames();
  for (std::size_t i = 0; i < names.size(); ++i) {
    const int readers = 1 + int(i % 3);
    QTest::addRow("%s, %d readers", names[i].c_str(), readers)
        << QByteArray::fromStdString(names[i]) << readers << 20000;
  }
}

void TestSnapshotConcurrency::readersSeeConsistentSnapshots() {
  QFETCH(QByteArray, policy);
  QFETCH(int, readers);
  QFETCH(int, operations);

  ManualClock clock;
  CacheConfig config;
  config.policy = policy.toStdString();
  config.capacityBytes = 512;
  config.pinnedBudgetBytes = kPinnedBudget;
  config.ttlMs = 0;
  config.layers = kLayers;
  CacheEngine engine(config, clock);  // driven by the writer thread only, between start and join

  std::atomic<int> readersStarted{0};
  std::atomic<bool> writerDone{false};
  std::vector<ReaderResult> results(static_cast<std::size_t>(readers));
  std::vector<std::thread> threads;

  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&engine, &readersStarted, &writerDone, &result = results[std::size_t(r)]] {
      readersStarted.fetch_add(1, std::memory_order_release);
      CacheSnapshot previous = engine.snapshot();
      bool havePrevious = false;
      bool last = false;
      do {
        last = writerDone.load(std::memory_order_acquire);  // one more read after the writer finished
        CacheSnapshot s = engine.snapshot();
        ++result.snapshots;
        if (result.error.empty()) result.error = checkSnapshot(s, havePrevious ? &previous : nullptr);
        previous = std::move(s);
        havePrevious = true;
      } while (!last);
    });
  }

  std::thread writer([&, readers, operations] {
    while (readersStarted.load(std::memory_order_acquire) < readers) std::this_thread::yield();
    std::mt19937_64 rng(std::hash<std::string>{}(config.policy));
    auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const std::vector<std::string> names = policyNames();
    for (int i = 0; i < operations; ++i) {
      clock.advanceMs(pick(0, 3));
      const CacheKey key{std::uint64_t(pick(0, 255)), 7};
      const int op = pick(0, 99);
      if (op < 70) {
        const SlotId slot = engine.find(key);
        engine.recordQuery(16, slot != kNoSlot ? 16 : 0, 1, slot != kNoSlot ? 1 : 0);
        if (slot != kNoSlot) {
          engine.touch(slot);
          engine.publish();
        } else {
          engine.insert(key, EntryInit{Bytes(kLayers * pick(1, 24)), 16, kAllLayers});
        }
      } else if (op < 78) {
        engine.setCapacity(Bytes(pick(int(kPinnedBudget), 1024)));
      } else if (op < 84) {
        if (const SlotId slot = engine.find(key); slot != kNoSlot) engine.pin(slot);
      } else if (op < 90) {
        if (const SlotId slot = engine.find(key); slot != kNoSlot) engine.unpin(slot);
      } else if (op < 94) {
        engine.setTtlMs(pick(0, 1) ? 0 : pick(5, 50));
      } else if (op < 97) {
        engine.setPolicy(names[std::size_t(pick(0, int(names.size()) - 1))]);
      } else if (op < 98) {
        engine.clear();
      } else {
        engine.expireNow();
      }
    }
    writerDone.store(true, std::memory_order_release);
  });

  writer.join();
  for (std::thread& t : threads) t.join();

  for (int r = 0; r < readers; ++r) {
    const ReaderResult& result = results[std::size_t(r)];
    QVERIFY2(result.error.empty(),
             qPrintable(QStringLiteral("reader %1: %2").arg(r).arg(QString::fromStdString(result.error))));
    QVERIFY(result.snapshots >= 1);
  }
  // After the join the last published snapshot is the engine's final state.
  const CacheSnapshot last = engine.snapshot();
  QCOMPARE(last.usedBytes, engine.usedBytes());
  QCOMPARE(last.entries, std::uint64_t(engine.entryCount()));
  QCOMPARE(last.counters.inserts, engine.counters().inserts);
  QCOMPARE(last.counters.lookups, engine.counters().lookups);
  QVERIFY(engine.counters().totalEvictions() > 0);
}

QTEST_GUILESS_MAIN(TestSnapshotConcurrency)
#include "tst_snapshot_concurrency.moc"
