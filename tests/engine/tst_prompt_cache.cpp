// SPDX-License-Identifier: MIT
// PromptCache: SimpleKVCache compatibility (cacheKv/getCachedKv and their counters), one entry per
// (prefix, layer), orphaned bytes when a layer of a prefix goes, and matchLongest over boundary prefixes.
#include <QtTest>
#include <numeric>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/cache/key_hasher.h"
#include "core/cache/prompt_cache.h"

using namespace kvlab;

namespace {

CacheConfig config(Bytes capacity, int layers, TimeMs ttl = 0) {
  CacheConfig c;
  c.policy = "lru";
  c.capacityBytes = capacity;
  c.layers = layers;
  c.ttlMs = ttl;
  return c;
}

std::uint64_t missTokens(const CacheEngine& engine, MissReason reason) {
  return engine.counters().missTokens[std::size_t(reason)];
}

std::uint64_t allMissTokens(const CacheEngine& engine) {
  const auto& m = engine.counters().missTokens;
  return std::accumulate(m.begin(), m.end(), std::uint64_t(0));
}

}  // namespace

class TestPromptCache : public QObject {
  Q_OBJECT

private slots:
  void keyFor_data();
  void keyFor();
  void compatSemantics();
  void missReason_data();
  void missReason();
  void matchMissEventNamesTheReason();
  void perLayerEntries();
  void orphanedBytes_data();
  void orphanedBytes();
  void matchLongest_data();
  void matchLongest();
  void missingBoundaries();
};

void TestPromptCache::keyFor_data() {
  QTest::addColumn<QByteArray>("prefix");
  QTest::addColumn<int>("layer");
  QTest::newRow("empty prefix") << QByteArray() << 0;
  QTest::newRow("layer 0") << QByteArray("The cat sat") << 0;
  QTest::newRow("layer 11") << QByteArray("The cat sat") << 11;
  QTest::newRow("non-ASCII") << QByteArray("caf\xc3\xa9 \x01") << 3;
}

void TestPromptCache::keyFor() {
  QFETCH(QByteArray, prefix);
  QFETCH(int, layer);
  const std::string p = prefix.toStdString();
  // SimpleKVCache: sha256(f"{prefix}\x1f{layer}"), first 128 bits.
  QVERIFY(PromptCache::keyFor(p, layer) == sha256Key(p + "\x1f" + std::to_string(layer)));
  QVERIFY(!(PromptCache::keyFor(p, layer) == PromptCache::keyFor(p, layer + 1)));
  QVERIFY(!(PromptCache::keyFor(p, layer) == PromptCache::keyFor(p + "x", layer)));
}

void TestPromptCache::compatSemantics() {
  ManualClock clock;
  CacheEngine engine(config(1000, 3), clock);
  PromptCache cache(engine, 3);

  QCOMPARE(cache.getCachedKv("abc", 0), kNoSlot);
  const SlotId s0 = cache.cacheKv("abc", 0, 30);
  const SlotId s1 = cache.cacheKv("abc", 1, 30);
  QVERIFY(s0 != kNoSlot && s1 != kNoSlot && s0 != s1);
  clock.setMs(5);
  QCOMPARE(cache.getCachedKv("abc", 0), s0);
  QCOMPARE(engine.entry(s0).reuseCount, 1u);  // a hit touches
  QCOMPARE(engine.entry(s0).lastAccessMs, TimeMs(5));
  QCOMPARE(cache.getCachedKv("abd", 0), kNoSlot);
  QCOMPARE(cache.getCachedKv("abc", 1), s1);
  QCOMPARE(cache.getCachedKv("abc", 2), kNoSlot);  // layer 2 never stored

  const CacheCounters& k = engine.counters();
  QCOMPARE(k.lookups, 5u);
  QCOMPARE(k.hits, 2u);
  QCOMPARE(k.misses, 3u);
  QCOMPARE(k.queriedTokens, 15u);
  QCOMPARE(k.hitTokens, 6u);
  QCOMPARE(k.tokenHitRate(), 0.4);
  QCOMPARE(k.unitHitRate(), 0.4);
  QCOMPARE(allMissTokens(engine), k.queriedTokens - k.hitTokens);
  QCOMPARE(engine.snapshot().counters.hits, 2u);  // getCachedKv publishes

  // Caching the same (prefix, layer) again replaces it: one entry, the new size, no eviction counted.
  const SlotId again = cache.cacheKv("abc", 0, 50);
  QVERIFY(again != kNoSlot);
  QCOMPARE(engine.entryCount(), std::size_t(2));
  QCOMPARE(engine.usedBytes(), Bytes(80));
  QCOMPARE(engine.entry(again).bytes, Bytes(50));
  QCOMPARE(engine.counters().capacityEvictions(), 0u);
  QCOMPARE(cache.getCachedKv("abc", 0), again);
  QCOMPARE(cache.orphanedBytes(), Bytes(0));

  // Too large for the cache at all.
  QCOMPARE(cache.cacheKv("huge", 0, 1001), kNoSlot);
  QCOMPARE(engine.counters().rejectedInserts, 1u);
}

void TestPromptCache::missReason_data() {
  QTest::addColumn<int>("scenario");
  QTest::addColumn<int>("reason");  // MissReason
  QTest::newRow("other prefix") << 0 << int(MissReason::Cold);
  QTest::newRow("whole prefix evicted") << 1 << int(MissReason::Evicted);
  QTest::newRow("whole prefix expired") << 2 << int(MissReason::Expired);
  QTest::newRow("whole prefix cleared") << 3 << int(MissReason::Evicted);
}

void TestPromptCache::missReason() {
  QFETCH(int, scenario);
  QFETCH(int, reason);
  ManualClock clock;
  CacheEngine engine(config(1000, 2, /*ttl=*/10), clock);
  PromptCache cache(engine, 2);
  cache.cacheKv("abc", 0, 10);
  cache.cacheKv("abc", 1, 10);
  std::string query = "abc";
  switch (scenario) {
    case 0:
      query = "abd";
      break;
    case 1:
      engine.setCapacity(0);
      break;
    case 2:
      clock.advanceMs(11);
      engine.expireNow();
      break;
    case 3:
      engine.clear();
      break;
  }
  QCOMPARE(cache.getCachedKv(query, 0), kNoSlot);
  QCOMPARE(missTokens(engine, MissReason(reason)), std::uint64_t(3));
  QCOMPARE(allMissTokens(engine), std::uint64_t(3));
  QCOMPARE(engine.counters().missUnits[std::size_t(reason)], 1u);
}

// The prefix "abc" was stored for both layers, then evicted by a max-size cut. A later prompt "abcdef"
// (boundary at 3) misses it: the Miss event must say "evicted", not the default "cold".
void TestPromptCache::matchMissEventNamesTheReason() {
  struct Recorder final : CacheObserver {
    void onCacheEvent(const CacheEvent& e) override {
      if (e.type == CacheEventType::Miss) misses.push_back(e);
    }
    std::vector<CacheEvent> misses;
  } recorder;
  ManualClock clock;
  CacheEngine engine(config(1000, 2), clock);
  PromptCache cache(engine, 2);
  cache.cacheKv("abc", 0, 10);
  cache.cacheKv("abc", 1, 10);
  engine.setCapacity(0);
  engine.addObserver(&recorder);
  const std::vector<std::uint32_t> boundaries = {3, 6};
  const PromptCache::Match match = cache.matchLongest("abcdef", boundaries, 5);
  engine.removeObserver(&recorder);
  QCOMPARE(match.prefixLength, std::size_t(0));
  QCOMPARE(recorder.misses.size(), std::size_t(1));
  QCOMPARE(int(recorder.misses.front().missReason), int(MissReason::Evicted));
}

void TestPromptCache::perLayerEntries() {
  ManualClock clock;
  CacheEngine engine(config(1000, 3), clock);
  PromptCache cache(engine, 3);
  for (int layer = 0; layer < 3; ++layer)
    QVERIFY(cache.cacheKv("prefix", layer, Bytes(10 * (layer + 1))) != kNoSlot);
  QCOMPARE(engine.entryCount(), std::size_t(3));
  QCOMPARE(engine.layerBytes(), (std::vector<Bytes>{10, 20, 30}));
  const CacheSnapshot snap = engine.snapshot();
  QCOMPARE(snap.layerEntries, (std::vector<std::uint64_t>{1, 1, 1}));
  QCOMPARE(snap.usedBytes, Bytes(60));
  for (int layer = 0; layer < 3; ++layer) {
    const SlotId s = cache.getCachedKv("prefix", layer);
    QVERIFY(s != kNoSlot);
    QCOMPARE(engine.entry(s).layer, layer);
    QCOMPARE(engine.entry(s).tokens, 6u);
    QVERIFY(engine.entry(s).key == PromptCache::keyFor("prefix", layer));
  }
}

void TestPromptCache::orphanedBytes_data() {
  QTest::addColumn<bool>("byTtl");  // how layer 0 of "aaaa" goes: TTL, or LRU capacity pressure
  QTest::newRow("capacity") << false;
  QTest::newRow("ttl") << true;
}

void TestPromptCache::orphanedBytes() {
  QFETCH(bool, byTtl);
  ManualClock clock;
  CacheEngine engine(config(40, 2, byTtl ? 5 : 0), clock);
  PromptCache cache(engine, 2);
  const std::uint32_t boundaries[] = {4};
  cache.cacheKv("aaaa", 0, 10);
  cache.cacheKv("aaaa", 1, 12);
  clock.setMs(4);
  QVERIFY(cache.getCachedKv("aaaa", 1) != kNoSlot);  // layer 1 is now the more recent
  if (byTtl) {
    clock.setMs(7);  // layer 0 idle 7 > 5, layer 1 idle 3
    QCOMPARE(engine.expireNow(), std::size_t(1));
  } else {
    cache.cacheKv("bbbb", 0, 9);
    cache.cacheKv("bbbb", 1, 9);  // 40 bytes: full
    cache.cacheKv("cccc", 0, 1);  // LRU: layer 0 of "aaaa" goes
    QCOMPARE(engine.counters().capacityEvictions(), 1u);
  }
  QVERIFY(engine.find(PromptCache::keyFor("aaaa", 0)) == kNoSlot);
  QVERIFY(engine.find(PromptCache::keyFor("aaaa", 1)) != kNoSlot);
  QCOMPARE(cache.orphanedBytes(), Bytes(12));
  QCOMPARE(engine.snapshot().orphanedBytes, Bytes(12));

  // The orphaned prefix no longer matches; its tokens are classified Orphaned.
  const PromptCache::Match miss = cache.matchLongest("aaaa", boundaries, 100);
  QCOMPARE(miss.prefixLength, std::size_t(0));
  QVERIFY(miss.layerSlots.empty());
  QCOMPARE(missTokens(engine, MissReason::Orphaned), std::uint64_t(4));

  // Storing the missing layer makes the prefix whole again (with room, so nothing else is evicted).
  engine.setCapacity(1000);
  QVERIFY(cache.cacheKv("aaaa", 0, 10) != kNoSlot);
  QCOMPARE(cache.orphanedBytes(), Bytes(0));
  QCOMPARE(cache.matchLongest("aaaa", boundaries, 100).prefixLength, std::size_t(4));

  // Losing a layer again orphans the other; losing the last one leaves nothing orphaned.
  engine.remove(engine.find(PromptCache::keyFor("aaaa", 1)), EvictReason::Capacity);
  QCOMPARE(cache.orphanedBytes(), Bytes(10));
  engine.remove(engine.find(PromptCache::keyFor("aaaa", 0)), EvictReason::Capacity);
  QCOMPARE(cache.orphanedBytes(), Bytes(0));
  QCOMPARE(engine.snapshot().orphanedBytes, Bytes(0));
}

void TestPromptCache::matchLongest_data() {
  QTest::addColumn<QList<int>>("full");     // boundaries stored on every layer
  QTest::addColumn<QList<int>>("partial");  // boundaries stored on layer 0 only
  QTest::addColumn<QList<int>>("evicted");  // boundaries stored on every layer, then evicted
  QTest::addColumn<int>("maxHit");
  QTest::addColumn<int>("prefix");  // expected match length
  QTest::addColumn<int>("cold");
  QTest::addColumn<int>("evictedTokens");
  QTest::addColumn<int>("orphaned");
  // Prompt "abcdefgh", boundaries 2 4 6 8, two layers.
  QTest::newRow("longest stored") << QList<int>{2, 4, 6} << QList<int>{} << QList<int>{} << 8 << 6 << 2 << 0
                                  << 0;
  QTest::newRow("all stored") << QList<int>{2, 4, 6, 8} << QList<int>{} << QList<int>{} << 100 << 8 << 0 << 0
                              << 0;
  QTest::newRow("cap between boundaries")
      << QList<int>{2, 4, 6} << QList<int>{} << QList<int>{} << 5 << 4 << 4 << 0 << 0;
  QTest::newRow("cap at a boundary") << QList<int>{2, 4, 6} << QList<int>{} << QList<int>{} << 4 << 4 << 4
                                     << 0 << 0;
  QTest::newRow("cap below first") << QList<int>{2, 4, 6} << QList<int>{} << QList<int>{} << 1 << 0 << 8 << 0
                                   << 0;
  QTest::newRow("nothing stored") << QList<int>{} << QList<int>{} << QList<int>{} << 8 << 0 << 8 << 0 << 0;
  // Each boundary is its own entry: a complete longer prefix matches past an incomplete shorter one.
  QTest::newRow("complete past partial")
      << QList<int>{2, 8} << QList<int>{4} << QList<int>{} << 8 << 8 << 0 << 0 << 0;
  QTest::newRow("partial is orphaned")
      << QList<int>{2, 4} << QList<int>{6} << QList<int>{} << 8 << 4 << 2 << 0 << 2;
  QTest::newRow("evicted tail") << QList<int>{2, 4} << QList<int>{} << QList<int>{6, 8} << 8 << 4 << 0 << 4
                                << 0;
  QTest::newRow("evicted head, cold tail")
      << QList<int>{} << QList<int>{} << QList<int>{2} << 8 << 0 << 6 << 2 << 0;
}

void TestPromptCache::matchLongest() {
  QFETCH(QList<int>, full);
  QFETCH(QList<int>, partial);
  QFETCH(QList<int>, evicted);
  QFETCH(int, maxHit);
  QFETCH(int, prefix);
  QFETCH(int, cold);
  QFETCH(int, evictedTokens);
  QFETCH(int, orphaned);
  const std::string prompt = "abcdefgh";
  const std::uint32_t boundaries[] = {2, 4, 6, 8};
  ManualClock clock;
  CacheEngine engine(config(10000, 2), clock);
  PromptCache cache(engine, 2);
  auto store = [&](int b, int layers) {
    for (int layer = 0; layer < layers; ++layer)
      QVERIFY(cache.cacheKv(prompt.substr(0, std::size_t(b)), layer, Bytes(b)) != kNoSlot);
  };
  for (const int b : full) store(b, 2);
  for (const int b : partial) store(b, 1);
  for (const int b : evicted) {
    store(b, 2);
    for (int layer = 0; layer < 2; ++layer)
      engine.remove(engine.find(PromptCache::keyFor(prompt.substr(0, std::size_t(b)), layer)),
                    EvictReason::Capacity);
  }

  const PromptCache::Match m = cache.matchLongest(prompt, boundaries, std::size_t(maxHit));
  QCOMPARE(int(m.prefixLength), prefix);
  if (prefix > 0) {
    QCOMPARE(m.layerSlots.size(), std::size_t(2));
    for (std::size_t layer = 0; layer < 2; ++layer) {
      const EntryMeta& e = engine.entry(m.layerSlots[layer]);
      QCOMPARE(int(e.tokens), prefix);
      QCOMPARE(e.layer, int(layer));
      QCOMPARE(e.reuseCount, 1u);  // hit entries are touched
    }
  }
  const CacheCounters& k = engine.counters();
  QCOMPARE(k.lookups, 1u);
  QCOMPARE(k.queriedTokens, std::uint64_t(prompt.size()));
  QCOMPARE(k.hitTokens, std::uint64_t(prefix));
  QCOMPARE(k.hits, prefix > 0 ? 1u : 0u);
  QCOMPARE(int(missTokens(engine, MissReason::Cold)), cold);
  QCOMPARE(int(missTokens(engine, MissReason::Evicted)), evictedTokens);
  QCOMPARE(int(missTokens(engine, MissReason::Orphaned)), orphaned);
  QCOMPARE(allMissTokens(engine), k.queriedTokens - k.hitTokens);
}

void TestPromptCache::missingBoundaries() {
  ManualClock clock;
  CacheEngine engine(config(10000, 2), clock);
  PromptCache cache(engine, 2);
  const std::string prompt = "abcdefgh";
  const std::uint32_t boundaries[] = {0, 2, 4, 4, 6, 9};  // 0, repeats and past-the-end are skipped
  cache.cacheKv("ab", 0, 2);
  cache.cacheKv("ab", 1, 2);
  cache.cacheKv("abcd", 0, 4);
  QCOMPARE(cache.missingBoundaries(prompt, boundaries), (std::vector<std::size_t>{4, 6}));
}

QTEST_GUILESS_MAIN(TestPromptCache)
#include "tst_prompt_cache.moc"
