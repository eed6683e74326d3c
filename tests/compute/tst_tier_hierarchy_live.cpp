// SPDX-License-Identifier: MIT
// One tier hierarchy for replay and live runs: the same block trace through TraceReplayer (sizes only) and
// through LiveKvCache (real tensors, "small" preset, B = 4 byte tokens, an in-memory remote store) gives the
// same figures tier by tier and request by request: hit tokens per tier, the device's evictions and entries,
// the host tier's hits, misses, bytes, evictions and entries, the remote tier's hits, misses, bytes in and
// entries. Both follow TierHierarchy's rules (in-use protection on, as a server); this test checks that each
// drives it the same way. The K/V of every block is filled with its block id, so every prefix a live lookup
// hands over (from the device, by promotion or copy from the host, or fetched from the remote store) is
// checked to carry the right block's values.
//
// The trace: 70 requests, each a "system" run of 1-3 blocks from 4 choices, then 1-2 "user" blocks from 5;
// a block's id names its whole prefix (as Mooncake hash ids do), and in the live run its 4 tokens are its
// label, so chained keys give the same sharing. Prompts have one more token, so every full block is reusable
// (floor((n - 1) / 4) * 4 = all blocks) and replay's input length is blocks x 4.
//
// Two hand-worked live cases of the remote tier's rules follow: the belief of what the store holds is
// corrected by its answers (a block it lost is written again; entries is its own count), and only the
// blocks a prefill uses are fetched and counted.
#include <ATen/ATen.h>

#include <QtTest>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/cache/clock.h"
#include "core/cache/key_hasher.h"
#include "core/model/byte_tokenizer.h"
#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/replay/trace_replayer.h"
#include "core/runner/live_kv_cache.h"
#include "memory_remote_store.h"

using namespace kvlab;

namespace {

constexpr std::uint32_t kBlock = 4;

const ModelConfig& smallModel() { return *findModelPreset("small"); }
Bytes blockBytes() { return kvBytesPerToken(smallModel()) * kBlock; }

struct BlockRequest {
  std::vector<std::uint64_t> ids;  // replay's hash ids (one per block)
  std::string text;                // the live prompt: 4 label characters per block, then one more
};

std::vector<BlockRequest> makeTrace(int count) {
  const std::vector<std::vector<std::string>> systems{
      {"SaaA", "SaaB"}, {"SbbA"}, {"SccA", "SccB", "SccC"}, {"SaaA", "SddB"}};
  const std::vector<std::vector<std::string>> users{
      {"u1xx"}, {"u2xx", "u2yy"}, {"u3xx"}, {"u4xx", "u4yy"}, {"u5xx"}};
  std::map<std::string, std::uint64_t> idOfPrefix;  // a block's id names its whole prefix
  std::mt19937 rng(11);
  std::vector<BlockRequest> trace;
  for (int i = 0; i < count; ++i) {
    std::vector<std::string> labels = systems[rng() % systems.size()];
    const std::vector<std::string>& user = users[rng() % users.size()];
    labels.insert(labels.end(), user.begin(), user.end());
    BlockRequest r;
    for (const std::string& label : labels) {
      r.text += label;
      const auto [it, added] = idOfPrefix.emplace(r.text, idOfPrefix.size() + 1);
      r.ids.push_back(it->second);
    }
    r.text += char('a' + rng() % 3);
    trace.push_back(std::move(r));
  }
  return trace;
}

// The request's computed K/V for tokens [from, n), per layer (H, T, D), each token's values = its block's
// id (the last, partial block's token: 0).
std::vector<LayerKv> newKvFor(const BlockRequest& r, std::uint64_t from) {
  const ModelConfig& m = smallModel();
  const std::int64_t n = std::int64_t(r.text.size());
  std::vector<float> values;
  for (std::int64_t t = std::int64_t(from); t < n; ++t)
    values.push_back(std::size_t(t / kBlock) < r.ids.size() ? float(r.ids[std::size_t(t / kBlock)]) : 0.f);
  const at::Tensor perToken = at::tensor(values).view({1, -1, 1});  // (1, T, 1)
  const at::Tensor kv = perToken.expand({m.kvHeads, std::int64_t(values.size()), m.headDim}).contiguous();
  return std::vector<LayerKv>(std::size_t(m.layers), LayerKv{kv, kv.clone()});
}

const TierReport* find(const std::vector<TierReport>& tiers, const std::string& name) {
  for (const TierReport& t : tiers)
    if (t.name == name) return &t;
  return nullptr;
}

CacheConfig lru(std::uint64_t blocks) {
  CacheConfig c;
  c.policy = "lru";
  c.capacityBytes = blocks * blockBytes();
  return c;
}

// The chained key of the prompt's block b (as BlockCache makes it).
CacheKey blockKey(const std::string& text, std::size_t b) {
  const std::vector<std::int32_t> tokens = ByteTokenizer::encode(text);
  CacheKey key;
  for (std::size_t i = 0; i <= b; ++i)
    key = chainedBlockKey(BlockHash::Xxh3, key, std::span(tokens).subspan(i * kBlock, kBlock));
  return key;
}

// One request served with made-up K/V (each token's values = its block number + 1).
LiveKvCache::Lookup serveText(LiveKvCache& cache, const std::string& text) {
  BlockRequest r;
  r.text = text;
  for (std::size_t b = 0; b < text.size() / kBlock; ++b) r.ids.push_back(b + 1);
  const std::vector<std::int32_t> tokens = ByteTokenizer::encode(text);
  const std::vector<std::uint32_t> boundaries{std::uint32_t(text.size())};
  LiveKvCache::Lookup lookup = cache.lookup(tokens, text, boundaries);
  cache.store(tokens, text, boundaries, lookup, newKvFor(r, lookup.hitTokens), 0);
  return lookup;
}

}  // namespace

class TestTierHierarchyLive : public QObject {
  Q_OBJECT

private slots:
  void replayAndLiveAgree_data() {
    QTest::addColumn<int>("deviceBlocks");
    QTest::addColumn<int>("hostBlocks");  // 0 = no host tier
    QTest::addColumn<QString>("remote");  // "", "through" or "back"
    QTest::addColumn<QString>("hostPolicy");
    QTest::newRow("device 3 + host 3") << 3 << 3 << ""
                                       << "lru";
    QTest::newRow("device 3 + host 2 + remote, write-back") << 3 << 2 << "back"
                                                            << "lru";
    QTest::newRow("device 3 + host 2 + remote, write-through") << 3 << 2 << "through"
                                                               << "lru";
    QTest::newRow("device 4 + remote, write-back") << 4 << 0 << "back"
                                                   << "lru";
    QTest::newRow("device 2 + host 6 (fifo) + remote, write-through") << 2 << 6 << "through"
                                                                      << "fifo";
    QTest::newRow("device 2 + host 1 + remote, write-back") << 2 << 1 << "back"
                                                            << "lru";
  }

  void replayAndLiveAgree() {
    QFETCH(int, deviceBlocks);
    QFETCH(int, hostBlocks);
    QFETCH(QString, remote);
    QFETCH(QString, hostPolicy);
    const std::vector<BlockRequest> trace = makeTrace(70);

    ReplayConfig config;
    config.blockSize = kBlock;
    config.maxTokens = std::uint64_t(deviceBlocks) * kBlock;
    config.bytesPerToken = kvBytesPerToken(smallModel());
    config.protectInUse = true;
    if (hostBlocks > 0)
      config.lowerTiers.push_back({"host", std::uint64_t(hostBlocks), hostPolicy.toStdString()});
    if (!remote.isEmpty()) config.lowerTiers.push_back({"remote", kUnlimited, "lru"});
    config.remoteWriteThrough = remote == "through";
    TraceReplayer replayer(config);

    ManualClock clock;
    LiveKvCache cache(smallModel(), Granularity::Block, kBlock, lru(std::uint64_t(deviceBlocks)), clock,
                      "cpu", "cpu");
    if (hostBlocks > 0) {
      CacheConfig host = lru(std::uint64_t(hostBlocks));
      host.policy = hostPolicy.toStdString();
      cache.attachHost(host);
    }
    test::MemoryRemoteStore* store = nullptr;
    if (!remote.isEmpty()) {
      auto owned = std::make_unique<test::MemoryRemoteStore>();
      store = owned.get();
      cache.attachRemote(std::move(owned), /*writeBack=*/remote == "back");
    }

    std::uint64_t replayHost = 0, replayRemote = 0, copies = 0;
    for (std::size_t i = 0; i < trace.size(); ++i) {
      const BlockRequest& r = trace[i];
      clock.setMs(std::int64_t(i + 1));
      replayer.replay(std::int64_t(i + 1), std::uint32_t(r.ids.size() * kBlock), r.ids);
      const ReplayResult so = replayer.result();
      const TierReport* h = find(so.tiers, "host");
      const TierReport* rm = find(so.tiers, "remote");
      const std::uint64_t hostNow = h ? h->hitTokens : 0, remoteNow = rm ? rm->hitTokens : 0;

      const std::vector<std::int32_t> tokens = ByteTokenizer::encode(r.text);
      const std::vector<std::uint32_t> boundaries{std::uint32_t(r.text.size())};
      const LiveKvCache::Lookup lookup = cache.lookup(tokens, r.text, boundaries);
      QVERIFY2(
          lookup.hostHitTokens == hostNow - replayHost && lookup.remoteHitTokens == remoteNow - replayRemote,
          qPrintable(QString("request %1: live host %2 remote %3, replay host %4 remote %5")
                         .arg(i)
                         .arg(lookup.hostHitTokens)
                         .arg(lookup.remoteHitTokens)
                         .arg(hostNow - replayHost)
                         .arg(remoteNow - replayRemote)));
      replayHost = hostNow;
      replayRemote = remoteNow;
      copies += lookup.hostCopiedTokens;
      // Every reused block carries its own id, whichever tier served it.
      for (std::uint64_t b = 0; b < lookup.hitTokens / kBlock; ++b) {
        const at::Tensor k = lookup.prefix.front().k.narrow(1, std::int64_t(b * kBlock), kBlock);
        QVERIFY2(at::all(k == float(r.ids[b])).item<bool>(),
                 qPrintable(QString("request %1 block %2: wrong K/V").arg(i).arg(b)));
      }
      cache.store(tokens, r.text, boundaries, lookup, newKvFor(r, lookup.hitTokens), 0);
      QCOMPARE(cache.storedBytes(), cache.engine().usedBytes());
    }

    const ReplayResult replayed = replayer.result();
    const std::vector<TierReport> live = cache.tierReports();
    QCOMPARE(live.size(), replayed.tiers.size());
    const TierReport& rd = replayed.tiers[0];
    const TierReport& ld = live[0];
    QCOMPARE(ld.hitTokens, rd.hitTokens);
    QCOMPARE(ld.hits, rd.hits);
    QCOMPARE(ld.evictions, rd.evictions);
    QCOMPARE(ld.entries, rd.entries);
    for (std::size_t t = 1; t < live.size(); ++t) {
      const TierReport& r = replayed.tiers[t];
      const TierReport& l = live[t];
      QCOMPARE(l.name, r.name);
      QCOMPARE(l.hits, r.hits);
      QCOMPARE(l.hitTokens, r.hitTokens);
      QCOMPARE(l.misses, r.misses);
      QCOMPARE(l.bytesIn, r.bytesIn);
      QCOMPARE(l.bytesOut, r.bytesOut);
      QCOMPARE(l.entries, r.entries);
      QCOMPARE(l.evictions, r.evictions);
    }
    if (store) QCOMPARE(std::uint64_t(store->blocks().size()), find(live, "remote")->entries);
    // Why tokens were computed (what the CLI and the GUI show, from the engine's counters): every prompt
    // token is a device hit, served by a lower tier, or missed for a reason, and the lower tiers' tokens are
    // not among the misses. The live breakdown is replay's plus each prompt's last token (cold: a live
    // prefill always computes it).
    const CacheCounters& counters = cache.engine().counters();
    std::uint64_t missed = 0;
    for (const std::uint64_t m : counters.missTokens) missed += m;
    QCOMPARE(counters.servedBelowTokens, replayed.hitTokens - rd.hitTokens);
    QCOMPARE(counters.hitTokens + counters.servedBelowTokens + missed, counters.queriedTokens);
    for (std::size_t m = 0; m < kMissReasonCount; ++m)
      QCOMPARE(counters.missTokens[m],
               replayed.missTokens[m] + (MissReason(m) == MissReason::Cold ? trace.size() : 0));
    // The trace exercises what the rules are about.
    QVERIFY(rd.evictions > 0);
    QVERIFY(replayed.hitTokens > rd.hitTokens);  // the lower tiers served something
    if (hostBlocks > 0 && deviceBlocks == 2) QVERIFY2(copies > 0, "no host block was served by copy");
  }

  // The lab's belief of what the remote store holds is corrected by the store's answers. Device 2 blocks, no
  // host tier, write-through, P = "aaaabbbbc" (blocks A1 A2), Q = "xxxxyyyyz" (X1 X2):
  //  r0 P: stored, A1 and A2 written through.         store {A1 A2}
  //  then the store loses A1 and A2 (Redis evicted or expired them, another lab cleared the namespace).
  //  r1 Q: X2, X1 evict A2, A1 from the device: believed in the store, so not written; X1 X2 written
  //      through.                                      store {X1 X2}; the report counts the store's 2
  //  r2 P: the probe finds neither A1 nor A2: both forgotten; hit 0; stored again, so written through
  //      again.                                        store {X1 X2 A1 A2}
  // Without the correction the lab never wrote A1 and A2 again and reported 4 entries throughout.
  void remoteBeliefIsCorrected() {
    ManualClock clock;
    LiveKvCache cache(smallModel(), Granularity::Block, kBlock, lru(2), clock, "cpu", "cpu");
    auto owned = std::make_unique<test::MemoryRemoteStore>();
    test::MemoryRemoteStore& store = *owned;
    cache.attachRemote(std::move(owned), /*writeBack=*/false);
    const std::string p = "aaaabbbbc", q = "xxxxyyyyz";
    QCOMPARE(serveText(cache, p).hitTokens, std::uint64_t(0));
    QCOMPARE(store.blocks().size(), std::size_t(2));
    store.blocks().clear();
    QCOMPARE(serveText(cache, q).hitTokens, std::uint64_t(0));
    QCOMPARE(store.blocks().size(), std::size_t(2));
    QVERIFY(cache.tiers()->remoteBelieved(blockKey(p, 0)));  // not asked yet: still believed
    const TierReport* remote = find(cache.tierReports(), "remote");
    QCOMPARE(remote->entries, std::uint64_t(2));  // the store's own count, not the belief's 4
    QCOMPARE(remote->entriesSource, std::string("server"));
    QCOMPARE(serveText(cache, p).hitTokens, std::uint64_t(0));
    QVERIFY(store.blocks().count(blockKey(p, 0).lo) && store.blocks().count(blockKey(p, 1).lo));
    QCOMPARE(store.blocks().size(), std::size_t(4));
    QCOMPARE(find(cache.tierReports(), "remote")->entries, std::uint64_t(4));
  }

  // Only what the prefill uses is fetched and counted (lookups only, so the device stays empty). Device 1
  // block, remote write-back, R = "aaaabbbbccccd" (R1 R2 R3, limit 12). The store holds R1 and R3, not R2:
  // the probe stops the fetch at the gap, so only R1 is fetched (1 hit, 1 block out); before, R1 and R3
  // were fetched and both counted. With R2 planted all three are served (3 more hits). Then R2 vanishes
  // between the probe and the fetch: R1 is used, R3 arrived for nothing (counted in bytes_unused, not in
  // hits), and R2 is no longer believed there.
  void remoteCountsWhatIsUsed() {
    ManualClock clock;
    LiveKvCache cache(smallModel(), Granularity::Block, kBlock, lru(1), clock, "cpu", "cpu");
    auto owned = std::make_unique<test::MemoryRemoteStore>();
    test::MemoryRemoteStore& store = *owned;
    cache.attachRemote(std::move(owned), /*writeBack=*/true);
    const std::string r = "aaaabbbbccccd";
    const std::string payload(std::size_t(blockBytes()), '\0');
    const auto plant = [&](std::size_t b) { store.blocks()[blockKey(r, b).lo] = payload; };
    plant(0);
    plant(2);
    LiveKvCache::Lookup lookup = cache.lookup(ByteTokenizer::encode(r), r, std::vector<std::uint32_t>{13});
    QCOMPARE(lookup.remoteHitTokens, std::uint64_t(4));
    QCOMPARE(store.stats().hits, std::uint64_t(1));  // R3 never fetched
    TierReport remote = *find(cache.tierReports(), "remote");
    QCOMPARE(remote.hits, std::uint64_t(1));
    QCOMPARE(remote.bytesOut, blockBytes());
    QCOMPARE(remote.unusedBytes, std::uint64_t(0));
    QCOMPARE(remote.misses, std::uint64_t(1));

    plant(1);
    const auto lookupR = [&] {
      return cache.lookup(ByteTokenizer::encode(r), r, std::vector<std::uint32_t>{13}).remoteHitTokens;
    };
    QCOMPARE(lookupR(), std::uint64_t(12));  // all three now
    QVERIFY(cache.tiers()->remoteBelieved(blockKey(r, 1)));
    store.vanishBeforeGet.insert(blockKey(r, 1).lo);
    QCOMPARE(lookupR(), std::uint64_t(4));  // R1 only
    remote = *find(cache.tierReports(), "remote");
    QCOMPARE(remote.hits, std::uint64_t(1 + 3 + 1));
    QCOMPARE(remote.bytesOut, 5 * blockBytes());
    QCOMPARE(remote.unusedBytes, std::uint64_t(payload.size()));  // R3, fetched after R2 failed
    QVERIFY(!cache.tiers()->remoteBelieved(blockKey(r, 1)));
    QVERIFY(cache.tiers()->remoteBelieved(blockKey(r, 2)));
  }
};

QTEST_GUILESS_MAIN(TestTierHierarchyLive)
#include "tst_tier_hierarchy_live.moc"
