// SPDX-License-Identifier: MIT
// The host tier of a live run (LiveKvCache::attachHost) with real tensors on the "small" preset, block
// granularity (B = 4 byte tokens, XXH3 keys), LRU, ManualClock at 0 (no TTL):
// - a device tier of N blocks over a host tier of M blocks hits exactly the tokens, request by request, of
//   ONE LRU cache of N + M blocks, computed by tools/live_lru_reference.py (plain Python, no shared code);
// - a six-request trace worked by hand: host hits, misses, demotions, evictions and bytes;
// - every cached request's logits match the uncached prefill (<= 1e-4, as tst_live_kv_cache);
// - write-back: a block the host tier drops reaches the remote tier (an in-memory RemoteKvStore here,
// memory_remote_store.h) and is
//   served from there later with the right K/V.
#include <ATen/ATen.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/cache/clock.h"
#include "core/cache/key_hasher.h"
#include "core/model/byte_tokenizer.h"
#include "core/model/llama_model.h"
#include "core/runner/host_kv_tier.h"
#include "core/runner/live_kv_cache.h"
#include "core/tiers/remote_kv_store.h"
#include "core/util/input_error.h"
#include "memory_remote_store.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {

constexpr std::uint32_t kBlock = 4;

const ModelConfig& smallModel() { return *findModelPreset("small"); }
Bytes blockBytes() { return kvBytesPerToken(smallModel()) * kBlock; }

CacheConfig lru(std::uint64_t blocks) {
  CacheConfig c;
  c.policy = "lru";
  c.capacityBytes = blocks * blockBytes();
  return c;
}

struct Served {
  std::uint64_t hit = 0;
  std::uint64_t hostHit = 0;
  std::uint64_t remoteHit = 0;
  double logitDiff = 0;  // last-position logits, cached vs uncached prefill
};

// One request as the runner serves it: lookup, cached prefill, store; plus the uncached prefill.
Served serve(LiveKvCache& cache, const LlamaModel& llama, const std::string& text) {
  const std::vector<std::int32_t> tokens = ByteTokenizer::encode(text);
  const std::vector<std::uint32_t> boundaries{std::uint32_t(text.size())};
  const LiveKvCache::Lookup lookup = cache.lookup(tokens, text, boundaries);
  const PrefillResult cached = llama.prefill(tokens, lookup.prefix);
  const PrefillResult full = llama.prefill(tokens, {});
  cache.store(tokens, text, boundaries, lookup, cached.newKv, 0);
  return Served{lookup.hitTokens, lookup.hostHitTokens, lookup.remoteHitTokens,
                (cached.lastLogits - full.lastLogits).abs().max().item<double>()};
}

// The chained key of the prompt's block b (as BlockCache makes it).
CacheKey blockKey(const std::string& text, std::size_t b) {
  const std::vector<std::int32_t> tokens = ByteTokenizer::encode(text);
  CacheKey key;
  for (std::size_t i = 0; i <= b; ++i)
    key = chainedBlockKey(BlockHash::Xxh3, key, std::span(tokens).subspan(i * kBlock, kBlock));
  return key;
}

TierReport reportOf(const LiveKvCache& cache, const std::string& name) {
  for (const TierReport& t : cache.tierReports())
    if (t.name == name) return t;
  return {};
}

// A deterministic mix of prompts sharing 8-token "system prompts" and 4- or 8-token "user" parts, plus one
// last token (so every full block is reusable: n - 1 = 4k): 3 or 4 blocks each.
std::vector<std::string> mixedPrompts(int count) {
  const std::vector<std::string> systems{"aaaabbbb", "ccccdddd", "eeeeffff",
                                         "gggghhhh", "iiiijjjj", "kkkkllll"};
  const std::vector<std::string> users{"mmmm", "nnnnoooo", "pppp", "qqqqrrrr"};
  std::mt19937 rng(7);
  std::vector<std::string> prompts;
  for (int i = 0; i < count; ++i) {
    const std::string& system = systems[rng() % systems.size()];
    const std::string& user = users[rng() % users.size()];
    prompts.push_back(system + user + char('s' + rng() % 4));
  }
  return prompts;
}

// tools/live_lru_reference.py on these prompts with one LRU cache of `blocks` blocks: hit tokens per prompt.
std::vector<std::uint64_t> referenceHits(const std::vector<std::string>& prompts, std::uint64_t blocks,
                                         QString* error) {
  QTemporaryDir dir;
  const QString path = dir.filePath(QStringLiteral("prompts.txt"));
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return {};
  for (const std::string& p : prompts) f.write((p + "\n").c_str());
  f.close();
  QProcess python;
  python.start(QStringLiteral(KVLAB_PYTHON3), {QStringLiteral(KVLAB_TOOLS_DIR "/live_lru_reference.py"), path,
                                               QStringLiteral("--block-size"), QString::number(kBlock),
                                               QStringLiteral("--blocks"), QString::number(blocks)});
  std::vector<std::uint64_t> hits;
  if (!python.waitForFinished(60000) || python.exitCode() != 0) {
    *error =
        QStringLiteral("live_lru_reference.py failed: ") + QString::fromUtf8(python.readAllStandardError());
    return hits;
  }
  for (const QByteArray& line : python.readAllStandardOutput().split('\n'))
    if (!line.trimmed().isEmpty()) hits.push_back(line.trimmed().toULongLong());
  return hits;
}

}  // namespace

class TestLiveHostTier : public QObject {
  Q_OBJECT

private slots:
  void handWorkedTrace();
  void sameHitsAsOneLruOfTheCombinedSize_data();
  void sameHitsAsOneLruOfTheCombinedSize();
  void copiesWhenTheCacheHasNoRoom();
  void hostDropsGoToWriteBackRemote();
  void refusesOtherGranularitiesAndTinySizes();
};

// Device 3 blocks, host 2 blocks, LRU both (lists most recent first). A1 = "aaaa", A2 = "aaaabbbb", etc.
// Every prompt has 9 tokens: 2 full blocks, both reusable (floor(8 / 4) * 4 = 8).
//  r0 "aaaabbbbc": hit 0 (host asked for A1: miss 1). Store A2, A1.      device [A1 A2]     host []
//  r1 "xxxxyyyyz": hit 0 (miss 2). Insert X2: fits; X1 evicts A2 -> host (demotion 1).
//                                                                        device [X1 X2 A1]  host [A2]
//  r2 "ppppqqqqr": hit 0 (miss 3). P2 evicts A1 -> host [A1 A2] (demotion 2); P1 evicts X2 -> the full
//      host tier drops A2 (eviction 1), takes X2 (demotion 3).           device [P1 P2 X1]  host [X2 A1]
//  r3 "aaaabbbbd": no A1 in the device; the host has it: promoted (host hit 1; host [X2]), its insert
//      evicts X1 -> host [X1 X2] (demotion 4); A2 is not in the host (dropped in r2): miss 4, the walk
//      ends. hit 4, host hit 4. Store: A2 inserted, evicts P2 (A1 is in use) -> the full host drops X2
//      (eviction 2), takes P2 (demotion 5).                              device [A1 A2 P1]  host [P2 X1]
//  r4 "aaaabbbbd": the device's run A1 A2 = 8 tokens = the limit: hit 8, the host is not asked.
//  r5 "xxxxyyyyz": the host has X1: promoted (host hit 2; host [P2]), its insert evicts P1 -> host
//      [P1 P2] (demotion 6); X2 absent: miss 5. hit 4, host hit 4. Store: X2 inserted, evicts A2 -> the
//      full host drops P2 (eviction 3), takes A2 (demotion 7).           device [X1 X2 A1]  host [A2 P1]
// One LRU of 5 blocks gives the same hits: after r2 it holds P1 P2 X1 X2 A1 (A2 evicted); r3 hits A1 only
// and its store evicts X2 (A1 in use); r4 hits 8; r5 finds X1 but not X2: 4.
// Host totals: hits 2 (8 tokens), misses 5, bytes in 7 blocks, out 2 blocks, evictions 3, entries 2.
void TestLiveHostTier::handWorkedTrace() {
  ManualClock clock;
  LiveKvCache cache(smallModel(), Granularity::Block, kBlock, lru(3), clock, "cpu", "cpu");
  cache.attachHost(lru(2));
  const LlamaModel llama(smallModel(), "cpu");
  const std::vector<std::string> prompts{"aaaabbbbc", "xxxxyyyyz", "ppppqqqqr",
                                         "aaaabbbbd", "aaaabbbbd", "xxxxyyyyz"};
  const std::vector<std::uint64_t> hits{0, 0, 0, 4, 8, 4};
  const std::vector<std::uint64_t> hostHits{0, 0, 0, 4, 0, 4};
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const Served s = serve(cache, llama, prompts[i]);
    QCOMPARE(s.hit, hits[i]);
    QCOMPARE(s.hostHit, hostHits[i]);
    QVERIFY2(s.logitDiff <= 1e-4, qPrintable(QString::number(s.logitDiff)));
    QCOMPARE(cache.storedBytes(), cache.engine().usedBytes());
  }
  TierHierarchy& host = *cache.tiers();
  QVERIFY(host.hostHolds(blockKey("aaaabbbbc", 1)));   // A2
  QVERIFY(host.hostHolds(blockKey("ppppqqqqr", 0)));   // P1
  QVERIFY(!host.hostHolds(blockKey("ppppqqqqr", 1)));  // P2: dropped
  QVERIFY(!host.hostHolds(blockKey("xxxxyyyyz", 0)));  // X1: in the device tier (moved, not copied)
  QVERIFY(cache.engine().find(blockKey("xxxxyyyyz", 0)) != kNoSlot);
  const TierReport r = reportOf(cache, "host");
  QCOMPARE(r.hits, std::uint64_t(2));
  QCOMPARE(r.hitTokens, std::uint64_t(8));
  QCOMPARE(r.misses, std::uint64_t(5));
  QCOMPARE(r.bytesIn, 7 * blockBytes());
  QCOMPARE(r.bytesOut, 2 * blockBytes());
  QCOMPARE(r.evictions, std::uint64_t(3));
  QCOMPARE(r.entries, std::uint64_t(2));
  // Tier order in the reports: device, host.
  const std::vector<TierReport> tiers = cache.tierReports();
  QCOMPARE(tiers.size(), std::size_t(2));
  QCOMPARE(tiers[0].name, std::string("device"));
  QCOMPARE(tiers[1].name, std::string("host"));
  QCOMPARE(tiers[0].hitTokens, std::uint64_t(8));  // r4's device hit only: host hits are not device hits
}

void TestLiveHostTier::sameHitsAsOneLruOfTheCombinedSize_data() {
  // Device N >= 5 blocks > the 4 blocks of the longest prompt: the device tier can always take a promoted
  // or a new block without evicting one the request uses (else it would refuse where one LRU of N + M
  // evicts from the host part).
  QTest::addColumn<int>("deviceBlocks");
  QTest::addColumn<int>("hostBlocks");
  QTest::newRow("5 + 1") << 5 << 1;
  QTest::newRow("5 + 4") << 5 << 4;
  QTest::newRow("6 + 9") << 6 << 9;
  QTest::newRow("8 + 30 (nothing dropped)") << 8 << 30;
}

void TestLiveHostTier::sameHitsAsOneLruOfTheCombinedSize() {
  QFETCH(int, deviceBlocks);
  QFETCH(int, hostBlocks);
  KVLAB_REQUIRE_PYTHON3(kvlab::test::executableOrEmpty(QStringLiteral(KVLAB_PYTHON3)));
  const std::vector<std::string> prompts = mixedPrompts(60);
  QString error;
  const std::vector<std::uint64_t> expected = referenceHits(prompts, deviceBlocks + hostBlocks, &error);
  QVERIFY2(error.isEmpty(), qPrintable(error));
  QCOMPARE(expected.size(), prompts.size());
  ManualClock clock;
  LiveKvCache tiered(smallModel(), Granularity::Block, kBlock, lru(deviceBlocks), clock, "cpu", "cpu");
  tiered.attachHost(lru(hostBlocks));
  LiveKvCache single(smallModel(), Granularity::Block, kBlock, lru(deviceBlocks + hostBlocks), clock, "cpu",
                     "cpu");
  const LlamaModel llama(smallModel(), "cpu");
  std::uint64_t hostHits = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const Served t = serve(tiered, llama, prompts[i]);
    const Served s = serve(single, llama, prompts[i]);
    QVERIFY2(t.hit == expected[i] && s.hit == expected[i],
             qPrintable(QString("request %1 (%2): tiered %3, one tier %4, reference %5")
                            .arg(i)
                            .arg(QString::fromStdString(prompts[i]))
                            .arg(t.hit)
                            .arg(s.hit)
                            .arg(expected[i])));
    QVERIFY2(t.logitDiff <= 1e-4, qPrintable(QString::number(t.logitDiff)));
    hostHits += t.hostHit;
    // Exclusive: no block in both tiers; together within N + M blocks; device bytes = its tensors.
    for (std::size_t b = 0; b < prompts[i].size() / kBlock; ++b) {
      const CacheKey key = blockKey(prompts[i], b);
      QVERIFY(!(tiered.engine().find(key) != kNoSlot && tiered.tiers()->hostHolds(key)));
    }
    QVERIFY(tiered.engine().entryCount() + tiered.tiers()->hostEngine()->entryCount() <=
            std::size_t(deviceBlocks + hostBlocks));
    QCOMPARE(tiered.storedBytes(), tiered.engine().usedBytes());
  }
  QVERIFY2(hostHits > 0, "the trace exercises promotions");
  QCOMPARE(reportOf(tiered, "host").hitTokens, hostHits);
}

// Device 2 blocks, host 4 blocks; "aaaabbbbccccd" = A1 A2 A3 (13 tokens, limit 12).
//  r0: hit 0. Store A3, A2 (device full), A1 evicts A3 -> host.        device [A1 A2]  host [A3]
//  r1: device run A1 A2, both in use: the cache cannot take A3, so the host tier serves a copy and keeps
//      it. hit 12, host hit 4. Store: A3's insert is refused (nothing evictable).  host [A3]
//  r2: the same again. (One LRU of 6 blocks hits 12 from r1 on as well.)
void TestLiveHostTier::copiesWhenTheCacheHasNoRoom() {
  ManualClock clock;
  LiveKvCache cache(smallModel(), Granularity::Block, kBlock, lru(2), clock, "cpu", "cpu");
  cache.attachHost(lru(4));
  const LlamaModel llama(smallModel(), "cpu");
  const std::string prompt = "aaaabbbbccccd";
  QCOMPARE(serve(cache, llama, prompt).hit, std::uint64_t(0));
  for (int i = 0; i < 2; ++i) {
    const Served s = serve(cache, llama, prompt);
    QCOMPARE(s.hit, std::uint64_t(12));
    QCOMPARE(s.hostHit, std::uint64_t(4));
    QVERIFY2(s.logitDiff <= 1e-4, qPrintable(QString::number(s.logitDiff)));
    QVERIFY(cache.tiers()->hostHolds(blockKey(prompt, 2)));
    QVERIFY(cache.engine().find(blockKey(prompt, 2)) == kNoSlot);
  }
  const TierReport r = reportOf(cache, "host");
  QCOMPARE(r.hits, std::uint64_t(2));
  QCOMPARE(r.bytesIn, blockBytes());
  QCOMPARE(r.bytesOut, 2 * blockBytes());
  QCOMPARE(r.entries, std::uint64_t(1));
}

// Device 3 + host 2 blocks over a write-back remote tier, the first three requests of handWorkedTrace:
// the host tier drops A2 in r2, so A2 (only) is put to the remote tier. r3 "aaaabbbbd": A1 promoted from
// the host tier (4), A2 fetched from the remote tier (4): hit 8, logits still exact (the right K/V went
// there). Its store inserts A2 (from the remote), evicting P2 into the full host tier, which drops X2
// (X1 came in from the promotion's eviction): X2 is written back too.
void TestLiveHostTier::hostDropsGoToWriteBackRemote() {
  ManualClock clock;
  LiveKvCache cache(smallModel(), Granularity::Block, kBlock, lru(3), clock, "cpu", "cpu");
  cache.attachHost(lru(2));
  auto remote = std::make_unique<test::MemoryRemoteStore>();
  test::MemoryRemoteStore* tier = remote.get();
  cache.attachRemote(std::move(remote), /*writeBack=*/true);
  const LlamaModel llama(smallModel(), "cpu");
  for (const char* p : {"aaaabbbbc", "xxxxyyyyz"}) QCOMPARE(serve(cache, llama, p).hit, std::uint64_t(0));
  QVERIFY(tier->blocks().empty());  // demoted into the host tier, nothing dropped yet
  QCOMPARE(serve(cache, llama, "ppppqqqqr").hit, std::uint64_t(0));
  QCOMPARE(tier->blocks().size(), std::size_t(1));
  QVERIFY(tier->blocks().count(blockKey("aaaabbbbc", 1).lo));
  const Served s = serve(cache, llama, "aaaabbbbd");
  QCOMPARE(s.hit, std::uint64_t(8));
  QCOMPARE(s.hostHit, std::uint64_t(4));
  QCOMPARE(s.remoteHit, std::uint64_t(4));
  QVERIFY2(s.logitDiff <= 1e-4, qPrintable(QString::number(s.logitDiff)));
  QCOMPARE(tier->blocks().size(), std::size_t(2));
  QVERIFY(tier->blocks().count(blockKey("xxxxyyyyz", 1).lo));
  const std::vector<TierReport> tiers = cache.tierReports();
  QCOMPARE(tiers.size(), std::size_t(3));
  QCOMPARE(tiers[1].name, std::string("host"));
  QCOMPARE(tiers[2].name, std::string("remote"));
  QCOMPARE(tiers[2].hitTokens, std::uint64_t(4));
}

void TestLiveHostTier::refusesOtherGranularitiesAndTinySizes() {
  ManualClock clock;
  for (const Granularity g : {Granularity::Prompt, Granularity::Radix}) {
    LiveKvCache cache(smallModel(), g, kBlock, lru(8), clock, "cpu", "cpu");
    try {
      cache.attachHost(lru(8));
      QFAIL("a host tier with another granularity was accepted");
    } catch (const InputError& e) {
      QCOMPARE(e.field, std::string("host-size"));
      QVERIFY(std::string(e.what()).find("block granularity") != std::string::npos);
    }
  }
  LiveKvCache cache(smallModel(), Granularity::Block, kBlock, lru(8), clock, "cpu", "cpu");
  CacheConfig tiny = lru(1);
  tiny.capacityBytes = blockBytes() - 1;
  try {
    cache.attachHost(tiny);
    QFAIL("a host tier under one block was accepted");
  } catch (const InputError& e) {
    QCOMPARE(e.field, std::string("host-size"));
    QVERIFY(std::string(e.what()).find("smaller than one block") != std::string::npos);
  }
}

KVLAB_TEST_GUILESS_MAIN(TestLiveHostTier)
#include "tst_live_host_tier.moc"
