// SPDX-License-Identifier: MIT
// BlockCache: chained block keys over full blocks only (xxh3 and sha256), longest leading run, missed blocks
// classified (cold, evicted, expired, orphaned), token accounting with the maxHitTokens cap, commit.
#include "core/cache/block_cache.h"
#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/cache/key_hasher.h"
#include "core/policies/policy_registry.h"

// BlockCache::Match::hitSlots.
static const std::vector<kvlab::SlotId>& matchSlots(const kvlab::BlockCache::Match& m) { return m.hitSlots; }

#include <QtTest>
#include <cstring>
#include <numeric>
#include <vector>

using namespace kvlab;

namespace {

constexpr Bytes kBlockBytes = 32;

CacheConfig config(std::uint64_t capacityBlocks, const std::string& policy = "lru", TimeMs ttl = 0) {
  CacheConfig c;
  c.policy = policy;
  c.capacityBytes = capacityBlocks * kBlockBytes;
  c.ttlMs = ttl;
  c.layers = 4;
  return c;
}

std::vector<std::int32_t> iota(std::size_t n, std::int32_t first = 0) {
  std::vector<std::int32_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

std::uint64_t units(const CacheEngine& e, MissReason r) { return e.counters().missUnits[std::size_t(r)]; }
std::uint64_t tokens(const CacheEngine& e, MissReason r) { return e.counters().missTokens[std::size_t(r)]; }
std::uint64_t allMissTokens(const CacheEngine& e) {
  const auto& m = e.counters().missTokens;
  return std::accumulate(m.begin(), m.end(), std::uint64_t(0));
}

void addHashColumn() { QTest::addColumn<QByteArray>("hash"); }

}  // namespace

class TestBlockCache : public QObject {
  Q_OBJECT

private slots:
  void onlyFullBlocks_data();
  void onlyFullBlocks();
  void chainedKeys_data();
  void chainedKeys();
  void longestLeadingRun_data();
  void longestLeadingRun();
  void tokenAccounting_data();
  void tokenAccounting();
  void expiredBlocks();
  void matchEvents();
  void commitReturnsLiveSlots_data();
  void commitReturnsLiveSlots();
};

void TestBlockCache::onlyFullBlocks_data() {
  QTest::addColumn<int>("tokenCount");
  QTest::addColumn<int>("blockSize");
  QTest::addColumn<int>("keys");
  QTest::newRow("empty") << 0 << 4 << 0;
  QTest::newRow("partial only") << 3 << 4 << 0;
  QTest::newRow("one full") << 4 << 4 << 1;
  QTest::newRow("one full + partial") << 7 << 4 << 1;
  QTest::newRow("two full") << 8 << 4 << 2;
  QTest::newRow("16-token blocks") << 47 << 16 << 2;
  QTest::newRow("1-token blocks") << 5 << 1 << 5;
}

void TestBlockCache::onlyFullBlocks() {
  QFETCH(int, tokenCount);
  QFETCH(int, blockSize);
  QFETCH(int, keys);
  ManualClock clock;
  CacheEngine engine(config(8), clock);
  for (const BlockHash hash : {BlockHash::Xxh3, BlockHash::Sha256}) {
    BlockCache blocks(engine, std::uint32_t(blockSize), hash, kBlockBytes);
    QCOMPARE(int(blocks.blockKeys(iota(std::size_t(tokenCount))).size()), keys);
  }
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, BlockCache(engine, 0, BlockHash::Xxh3, kBlockBytes));
}

void TestBlockCache::chainedKeys_data() {
  addHashColumn();
  QTest::newRow("xxh3") << QByteArray("xxh3");
  QTest::newRow("sha256") << QByteArray("sha256");
}

void TestBlockCache::chainedKeys() {
  QFETCH(QByteArray, hash);
  const BlockHash h = parseBlockHash(hash.toStdString());
  QCOMPARE(QByteArray(toString(h).data(), qsizetype(toString(h).size())), hash);
  ManualClock clock;
  CacheEngine engine(config(8), clock);
  BlockCache blocks(engine, 4, h, kBlockBytes);

  const std::vector<std::int32_t> a = iota(12);
  std::vector<std::int32_t> lastDiffers = a;
  lastDiffers[10] = 999;
  std::vector<std::int32_t> firstDiffers = a;
  firstDiffers[0] = 999;
  const std::vector<CacheKey> ka = blocks.blockKeys(a);
  const std::vector<CacheKey> kSame = blocks.blockKeys(iota(14));  // same 3 full blocks + a partial one
  const std::vector<CacheKey> kLast = blocks.blockKeys(lastDiffers);
  const std::vector<CacheKey> kFirst = blocks.blockKeys(firstDiffers);
  QCOMPARE(ka.size(), std::size_t(3));
  QCOMPARE(kSame.size(), std::size_t(3));
  for (std::size_t i = 0; i < 3; ++i) QVERIFY(ka[i] == kSame[i]);
  QVERIFY(ka[0] == kLast[0] && ka[1] == kLast[1] && !(ka[2] == kLast[2]));
  // Blocks 1 and 2 hold the same tokens, but their prefix differs: every key differs.
  for (std::size_t i = 0; i < 3; ++i) QVERIFY(!(ka[i] == kFirst[i]));
  // Equal blocks at different positions get different keys.
  const std::vector<CacheKey> repeat = blocks.blockKeys(std::vector<std::int32_t>(8, 7));
  QVERIFY(!(repeat[0] == repeat[1]));

  // The chain: key i = hash(key i-1 ‖ tokens of block i), the first parent being the zero key.
  CacheKey parent;
  for (std::size_t i = 0; i < 3; ++i) {
    parent = chainedBlockKey(h, parent, std::span(a).subspan(i * 4, 4));
    QVERIFY(ka[i] == parent);
  }
  if (h == BlockHash::Sha256) {
    std::string bytes(16, '\0');
    for (std::int32_t t = 0; t < 4; ++t) bytes.append(reinterpret_cast<const char*>(&t), 4);
    QVERIFY(ka[0] == sha256Key(bytes));
  }
  // The two hashes disagree (so switching the hash never reuses the other's entries).
  BlockCache other(engine, 4, h == BlockHash::Xxh3 ? BlockHash::Sha256 : BlockHash::Xxh3, kBlockBytes);
  QVERIFY(!(other.blockKeys(a)[0] == ka[0]));
}

void TestBlockCache::longestLeadingRun_data() {
  addHashColumn();
  QTest::addColumn<QList<int>>("removed");  // of 4 committed blocks
  QTest::addColumn<int>("hitBlocks");
  QTest::addColumn<int>("evicted");
  QTest::addColumn<int>("orphaned");
  for (const char* hash : {"xxh3", "sha256"}) {
    QTest::addRow("%s none removed", hash) << QByteArray(hash) << QList<int>{} << 4 << 0 << 0;
    QTest::addRow("%s head removed", hash) << QByteArray(hash) << QList<int>{0} << 0 << 1 << 3;
    QTest::addRow("%s middle removed", hash) << QByteArray(hash) << QList<int>{2} << 2 << 1 << 1;
    QTest::addRow("%s tail removed", hash) << QByteArray(hash) << QList<int>{3} << 3 << 1 << 0;
    QTest::addRow("%s two gaps", hash) << QByteArray(hash) << QList<int>{1, 3} << 1 << 2 << 1;
  }
}

void TestBlockCache::longestLeadingRun() {
  QFETCH(QByteArray, hash);
  QFETCH(QList<int>, removed);
  QFETCH(int, hitBlocks);
  QFETCH(int, evicted);
  QFETCH(int, orphaned);
  ManualClock clock;
  CacheEngine engine(config(8), clock);
  BlockCache blocks(engine, 4, parseBlockHash(hash.toStdString()), kBlockBytes);
  const std::vector<std::int32_t> prompt = iota(19);  // 4 full blocks + 3 tokens
  const std::vector<CacheKey> keys = blocks.blockKeys(prompt);
  const std::vector<SlotId> committed = blocks.commit(keys);
  for (const int b : removed) engine.remove(committed[std::size_t(b)], EvictReason::Capacity);
  engine.resetStats();

  const BlockCache::Match m = blocks.match(keys, prompt.size(), prompt.size());
  QCOMPARE(int(m.hitBlocks), hitBlocks);
  QCOMPARE(m.hitTokens, std::uint64_t(hitBlocks) * 4);
  const std::vector<SlotId>& hitSlots = matchSlots(m);
  QCOMPARE(int(hitSlots.size()), hitBlocks);
  for (int b = 0; b < hitBlocks; ++b) {
    QCOMPARE(hitSlots[std::size_t(b)], committed[std::size_t(b)]);
    QCOMPARE(engine.entry(hitSlots[std::size_t(b)]).reuseCount, 0u);  // match does not touch
  }
  QCOMPARE(int(units(engine, MissReason::Evicted)), evicted);
  QCOMPARE(int(units(engine, MissReason::Orphaned)), orphaned);
  QCOMPARE(int(units(engine, MissReason::Cold)), 0);
  QCOMPARE(tokens(engine, MissReason::Orphaned), std::uint64_t(orphaned) * 4);
  QCOMPARE(tokens(engine, MissReason::Cold), std::uint64_t(3));  // the partial tail block
  const CacheCounters& k = engine.counters();
  QCOMPARE(k.queriedUnits, 4u);
  QCOMPARE(int(k.hitUnits), hitBlocks);
  QCOMPARE(k.hits + k.misses, 1u);
  QCOMPARE(k.hits, hitBlocks > 0 ? 1u : 0u);
  QCOMPARE(allMissTokens(engine), k.queriedTokens - k.hitTokens);
}

void TestBlockCache::tokenAccounting_data() {
  QTest::addColumn<int>("committed");  // leading blocks of the 3 queried ones that are stored
  QTest::addColumn<int>("promptTokens");
  QTest::addColumn<int>("maxHit");
  QTest::addColumn<int>("hitTokens");
  QTest::addColumn<int>("cold");
  QTest::newRow("all hit") << 3 << 12 << 12 << 12 << 0;
  QTest::newRow("capped one short") << 3 << 12 << 11 << 11 << 1;
  QTest::newRow("partial tail") << 3 << 14 << 100 << 12 << 2;
  QTest::newRow("cap inside tail") << 3 << 14 << 13 << 12 << 2;
  QTest::newRow("cap inside run") << 2 << 14 << 5 << 5 << 9;
  QTest::newRow("cap zero") << 3 << 12 << 0 << 0 << 12;
  QTest::newRow("nothing stored") << 0 << 14 << 100 << 0 << 14;
  QTest::newRow("fewer tokens than blocks") << 3 << 10 << 100 << 10 << 0;  // replay rounding
  QTest::newRow("prompt shorter than run") << 3 << 6 << 100 << 6 << 0;
}

void TestBlockCache::tokenAccounting() {
  QFETCH(int, committed);
  QFETCH(int, promptTokens);
  QFETCH(int, maxHit);
  QFETCH(int, hitTokens);
  QFETCH(int, cold);
  ManualClock clock;
  CacheEngine engine(config(8), clock);
  BlockCache blocks(engine, 4, BlockHash::Xxh3, kBlockBytes);
  const std::vector<CacheKey> keys = blocks.blockKeys(iota(12));
  blocks.commit(std::span(keys).first(std::size_t(committed)));
  const BlockCache::Match m = blocks.match(keys, std::uint64_t(promptTokens), std::uint64_t(maxHit));
  QCOMPARE(int(m.hitTokens), hitTokens);
  QCOMPARE(int(m.hitBlocks), committed);
  const CacheCounters& k = engine.counters();
  QCOMPARE(int(k.queriedTokens), promptTokens);
  QCOMPARE(int(k.hitTokens), hitTokens);
  QCOMPARE(int(tokens(engine, MissReason::Cold)), cold);
  QCOMPARE(allMissTokens(engine), k.queriedTokens - k.hitTokens);
}

void TestBlockCache::expiredBlocks() {
  ManualClock clock;
  CacheEngine engine(config(8, "lru", /*ttl=*/100), clock);
  BlockCache blocks(engine, 4, BlockHash::Sha256, kBlockBytes);
  const std::vector<CacheKey> keys = blocks.blockKeys(iota(12));
  blocks.commit(keys);
  clock.setMs(100);
  QCOMPARE(blocks.match(keys, 12, 12).hitBlocks, 3u);  // idle == TTL: still valid
  clock.setMs(101);
  const BlockCache::Match m = blocks.match(keys, 12, 12);
  QCOMPARE(m.hitBlocks, 0u);
  QCOMPARE(units(engine, MissReason::Expired), 3u);
  QCOMPARE(tokens(engine, MissReason::Expired), 12u);
  QCOMPARE(engine.counters().expirations(), 3u);
}

void TestBlockCache::matchEvents() {
  struct Recorder final : CacheObserver {
    void onCacheEvent(const CacheEvent& e) override { events.push_back(e); }
    std::vector<CacheEvent> events;
  } recorder;
  ManualClock clock;
  CacheEngine engine(config(8), clock);
  BlockCache blocks(engine, 4, BlockHash::Xxh3, kBlockBytes);
  const std::vector<CacheKey> keys = blocks.blockKeys(iota(12));
  const std::vector<SlotId> committed = blocks.commit(keys);
  engine.remove(committed[1], EvictReason::Capacity);
  engine.addObserver(&recorder);
  blocks.match(keys, 12, 12);
  QCOMPARE(recorder.events.size(), std::size_t(3));
  QVERIFY(recorder.events[0].type == CacheEventType::Hit && recorder.events[0].block == 0);
  QCOMPARE(recorder.events[0].entryId, engine.entry(committed[0]).id);
  QVERIFY(recorder.events[1].type == CacheEventType::Miss && recorder.events[1].block == 1);
  QVERIFY(recorder.events[1].missReason == MissReason::Evicted);
  QCOMPARE(recorder.events[1].entryId, 0u);
  QVERIFY(recorder.events[2].type == CacheEventType::Miss && recorder.events[2].block == 2);
  QVERIFY(recorder.events[2].missReason == MissReason::Orphaned);
  QCOMPARE(recorder.events[2].entryId, engine.entry(committed[2]).id);
  engine.removeObserver(&recorder);
}

void TestBlockCache::commitReturnsLiveSlots_data() {
  QTest::addColumn<QByteArray>("policy");
  QTest::addColumn<int>("capacityBlocks");
  for (const std::string& p : policyNames()) {
    for (const int capacity : {1, 2, 3, 5}) {
      QTest::addRow("%s cap %d", p.c_str(), capacity) << QByteArray::fromStdString(p) << capacity;
    }
  }
}

void TestBlockCache::commitReturnsLiveSlots() {
  // A commit of more new blocks than fit evicts some of its own earlier-inserted blocks; the slots it returns
  // must still name live entries holding the right key (or kNoSlot), never a slot reused by another block.
  QFETCH(QByteArray, policy);
  QFETCH(int, capacityBlocks);
  ManualClock clock;
  CacheEngine engine(config(std::uint64_t(capacityBlocks), policy.toStdString()), clock);
  BlockCache blocks(engine, 4, BlockHash::Xxh3, kBlockBytes);
  const std::vector<CacheKey> keys = blocks.blockKeys(iota(16));  // 4 blocks
  for (int round = 0; round < 2; ++round) {
    std::vector<bool> inserted;
    const std::vector<SlotId> got = blocks.commit(keys, &inserted);
    QCOMPARE(got.size(), keys.size());
    QCOMPARE(inserted.size(), keys.size());
    std::size_t live = 0;
    for (std::size_t b = 0; b < keys.size(); ++b) {
      const QByteArray where =
          "round " + QByteArray::number(round) + " block " + QByteArray::number(qulonglong(b));
      if (got[b] == kNoSlot) {
        QVERIFY2(!inserted[b], where);
        continue;
      }
      QVERIFY2(engine.entry(got[b]).live, where);
      QVERIFY2(engine.entry(got[b]).key == keys[b], where);
      QVERIFY2(engine.find(keys[b]) == got[b], where);
      ++live;
    }
    QCOMPARE(live, std::min<std::size_t>(keys.size(), std::size_t(capacityBlocks)));
    QCOMPARE(engine.entryCount(), live);
    QVERIFY(engine.usedBytes() <= Bytes(capacityBlocks) * kBlockBytes);
    // When everything fits, the whole prompt is reusable and the head was touched last.
    if (capacityBlocks >= int(keys.size())) {
      QCOMPARE(std::count(inserted.begin(), inserted.end(), true), round == 0 ? 4 : 0);
      QCOMPARE(blocks.match(keys, 16, 16).hitBlocks, 4u);
    }
    clock.advanceMs(1);
  }
}

QTEST_GUILESS_MAIN(TestBlockCache)
#include "tst_block_cache.moc"
