// SPDX-License-Identifier: MIT
// LiveKvCache with real tensors on the "small" preset, block granularity (B = 4 tokens, XXH3 keys):
// a fully cached prompt reuses whole blocks only (hit = floor((n - 1) / B) * B, as vLLM), a request's
// matched blocks are in use until it is stored (its own inserts evict other blocks, never them), and the
// own-prefix re-insert path (hit blocks gone between lookup and store, stored again from the reused K/V)
// runs and stores the right K/V. Times in ms on a ManualClock; expected values worked by hand in comments.
#include <ATen/ATen.h>

#include <QtTest>
#include <string>
#include <vector>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/model/byte_tokenizer.h"
#include "core/model/llama_model.h"
#include "core/policies/policy_registry.h"
#include "core/runner/live_kv_cache.h"

using namespace kvlab;

namespace {

constexpr std::uint32_t kBlock = 4;

const ModelConfig& smallModel() { return *findModelPreset("small"); }

Bytes blockBytes() { return kvBytesPerToken(smallModel()) * kBlock; }

// One request as the runner serves it: lookup, cached prefill, store. Returns the hit tokens.
struct Served {
  std::uint64_t hit = 0;
  double logitDiff = 0;     // last-position logits, cached vs uncached prefill
  double prefixKvDiff = 0;  // reused K/V vs the uncached prefill's K/V of the same positions
};

// clock (optional) is set to storeMs between the prefill and the store: time passing during the prefill.
Served serve(LiveKvCache& cache, const LlamaModel& llama, const std::string& text,
             ManualClock* clock = nullptr, TimeMs storeMs = 0) {
  const std::vector<std::int32_t> tokens = ByteTokenizer::encode(text);
  const std::vector<std::uint32_t> boundaries{std::uint32_t(text.size())};
  const LiveKvCache::Lookup lookup = cache.lookup(tokens, text, boundaries);
  const PrefillResult cached = llama.prefill(tokens, lookup.prefix);
  const PrefillResult full = llama.prefill(tokens, {});
  Served s;
  s.hit = lookup.hitTokens;
  s.logitDiff = (cached.lastLogits - full.lastLogits).abs().max().item<double>();
  for (std::size_t l = 0; l < lookup.prefix.size(); ++l) {
    const std::int64_t p = std::int64_t(lookup.hitTokens);
    s.prefixKvDiff = std::max(
        s.prefixKvDiff,
        (lookup.prefix[l].k.cpu() - full.newKv[l].k.narrow(1, 0, p).cpu()).abs().max().item<double>());
    s.prefixKvDiff = std::max(
        s.prefixKvDiff,
        (lookup.prefix[l].v.cpu() - full.newKv[l].v.narrow(1, 0, p).cpu()).abs().max().item<double>());
  }
  if (clock) clock->setMs(storeMs);
  cache.store(tokens, text, boundaries, lookup, cached.newKv, 0);
  return s;
}

CacheConfig blockConfig(const std::string& policy, Bytes capacity, TimeMs ttlMs = 0) {
  CacheConfig c;
  c.policy = policy;
  c.capacityBytes = capacity;
  c.ttlMs = ttlMs;
  return c;
}

}  // namespace

class TestLiveKvCache : public QObject {
  Q_OBJECT

private slots:
  void fullyCachedPromptReusesWholeBlocks_data();
  void fullyCachedPromptReusesWholeBlocks();
  void ownHitBlocksAreInUse_data();
  void ownHitBlocksAreInUse();
  void ownPrefixReinsertStoresReusedKv();
};

void TestLiveKvCache::fullyCachedPromptReusesWholeBlocks_data() {
  QTest::addColumn<int>("stored");  // a prompt of this many tokens is stored first (all its full blocks)
  QTest::addColumn<int>("query");   // then a prefix or extension of it is looked up
  QTest::addColumn<quint64>("hit");
  // Stored 16 tokens = 4 blocks. hit = min(cached run, floor((n - 1) / 4) * 4):
  QTest::newRow("same 16") << 16 << 16 << quint64(12);    // floor(15/4)*4 = 12 (before the fix: 15)
  QTest::newRow("prefix 8") << 16 << 8 << quint64(4);     // floor(7/4)*4 = 4 (before: 7)
  QTest::newRow("prefix 14") << 16 << 14 << quint64(12);  // floor(13/4)*4 = 12, 3 blocks cached
  QTest::newRow("plus 1") << 16 << 17 << quint64(16);     // floor(16/4)*4 = 16: all 4 blocks
  QTest::newRow("plus 3") << 16 << 19 << quint64(16);     // floor(18/4)*4 = 16
  QTest::newRow("one token") << 16 << 1 << quint64(0);    // floor(0/4)*4 = 0
}

void TestLiveKvCache::fullyCachedPromptReusesWholeBlocks() {
  QFETCH(int, stored);
  QFETCH(int, query);
  QFETCH(quint64, hit);
  const std::string base = "the quick brown fox jumps";  // 25 bytes = 25 tokens
  ManualClock clock;
  const LlamaModel llama(smallModel(), "cpu");
  LiveKvCache cache(smallModel(), Granularity::Block, kBlock, blockConfig("lru", Bytes(1) << 30), clock,
                    "cpu", "cpu");
  serve(cache, llama, base.substr(0, std::size_t(stored)));
  clock.setMs(1);
  const Served s = serve(cache, llama, base.substr(0, std::size_t(query)));
  QCOMPARE(s.hit, hit);
  QVERIFY(s.logitDiff <= 1e-4);
  QVERIFY(s.prefixKvDiff <= 1e-5);
  QCOMPARE(cache.storedBytes(), cache.engine().usedBytes());
}

void TestLiveKvCache::ownHitBlocksAreInUse_data() {
  QTest::addColumn<QByteArray>("policy");
  for (const std::string& p : policyNames()) QTest::newRow(p.c_str()) << QByteArray::fromStdString(p);
}

void TestLiveKvCache::ownHitBlocksAreInUse() {
  QFETCH(QByteArray, policy);
  // Capacity 3 blocks. t=0 "abcdefghi" stores b0 "abcd", b1 "efgh". t=1 "abcdefghijklmnop" (4 blocks)
  // hits b0, b1 (8 tokens) and stores b3, then b2 (last to first). b3 fits (3 blocks); b2 needs a victim:
  // b0 and b1 are in use, so only b3 can go, whatever the policy. Without the protection LRU would have
  // evicted b1 (least recently used) and stored it again: an own-prefix re-insert.
  // t=2 the same 16 tokens hit b0, b1, b2: 12 tokens (= floor(15/4)*4, too).
  ManualClock clock;
  const LlamaModel llama(smallModel(), "cpu");
  LiveKvCache cache(smallModel(), Granularity::Block, kBlock,
                    blockConfig(policy.toStdString(), 3 * blockBytes()), clock, "cpu", "cpu");
  QCOMPARE(serve(cache, llama, "abcdefghi").hit, std::uint64_t(0));
  clock.setMs(1);
  QCOMPARE(serve(cache, llama, "abcdefghijklmnop").hit, std::uint64_t(8));
  QCOMPARE(cache.engine().counters().capacityEvictions(), 1u);
  QCOMPARE(cache.engine().counters().evictedNeverReused, 1u);  // b3, stored and evicted in one request
  QCOMPARE(cache.prefixReinserts(), 0u);
  QCOMPARE(cache.engine().counters().inserts, 4u);              // b0, b1, b3, b2
  QCOMPARE(cache.engine().evictableBytes(), 3 * blockBytes());  // released after the store
  clock.setMs(2);
  const Served s = serve(cache, llama, "abcdefghijklmnop");
  QCOMPARE(s.hit, std::uint64_t(12));
  QVERIFY(s.logitDiff <= 1e-4);
  QVERIFY(s.prefixKvDiff <= 1e-5);
  QCOMPARE(cache.storedBytes(), cache.engine().usedBytes());
}

void TestLiveKvCache::ownPrefixReinsertStoresReusedKv() {
  // TTL 10 ms (idle), a clock that moves during the prefill. t=0 "abcdefghi" stores b0, b1 (last use 0).
  // t=5 "abcdefghijklmnop" hits b0, b1 (8 tokens); the prefill ends at t=16, when b0 and b1 are 16 idle:
  // the first insert (b3) expires them (in use protects from eviction, not from the TTL). b2 is stored,
  // then b1 and b0 are stored again from the reused K/V: 2 own-prefix re-inserts, 6 inserts, 2 expirations.
  // t=17 the same prompt hits 12 tokens whose K/V must equal an uncached prefill's.
  ManualClock clock;
  const LlamaModel llama(smallModel(), "cpu");
  LiveKvCache cache(smallModel(), Granularity::Block, kBlock,
                    blockConfig("lru", Bytes(1) << 30, /*ttlMs=*/10), clock, "cpu", "cpu");
  serve(cache, llama, "abcdefghi");
  clock.setMs(5);
  QCOMPARE(serve(cache, llama, "abcdefghijklmnop", &clock, /*storeMs=*/16).hit, std::uint64_t(8));
  QCOMPARE(cache.prefixReinserts(), 2u);
  QCOMPARE(cache.engine().counters().inserts, 6u);
  QCOMPARE(cache.engine().counters().expirations(), 2u);
  QCOMPARE(cache.engine().entryCount(), std::size_t(4));
  clock.setMs(17);
  const Served s = serve(cache, llama, "abcdefghijklmnop");
  QCOMPARE(s.hit, std::uint64_t(12));
  QVERIFY(s.logitDiff <= 1e-4);
  QVERIFY(s.prefixKvDiff <= 1e-5);
  QCOMPARE(cache.storedBytes(), cache.engine().usedBytes());
}

QTEST_GUILESS_MAIN(TestLiveKvCache)
#include "tst_live_kv_cache.moc"
