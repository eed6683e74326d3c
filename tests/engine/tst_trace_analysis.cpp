// SPDX-License-Identifier: MIT
// kvlab-cli analyze's report (core/analyze): a hand-worked trace (the working is in the comments), and the
// one-pass LRU curve checked point by point against the replay engine (makeReplayer, policy lru) at every
// sampled size, on fixtures and real-trace slices, with and without warmup. The replay engine is the
// independent side: a different implementation (a block cache with an LRU list) of the same semantics.
#include <QtTest>

#include "core/analyze/trace_analysis.h"
#include "core/replay/replayer.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {

TraceRequest request(std::int64_t t, std::uint32_t input, std::vector<std::uint64_t> ids) {
  TraceRequest r;
  r.timestampMs = t;
  r.inputLength = input;
  r.hashIds = std::move(ids);
  return r;
}

// Block size 4.  r0 t=0 [1,2,3] 12 tokens; r1 t=1s [1,2,4] 12; r2 t=2s [5] 4; r3 t=10s [1,2,3] 10.
Trace handTrace() {
  Trace t;
  t.info.format = "mooncake";
  t.info.blockSize = 4;
  t.requests = {request(0, 12, {1, 2, 3}), request(1000, 12, {1, 2, 4}), request(2000, 4, {5}),
                request(10000, 10, {1, 2, 3})};
  return t;
}

// Hit tokens of an LRU cache of `capacity` blocks over the requests from `warmup` on, by the replay engine:
// replay the warmup part, note the counters, replay the rest, subtract.
std::pair<std::uint64_t, std::uint64_t> replayLru(const Trace& trace, std::uint64_t capacity, std::size_t warmup) {
  ReplayConfig config;
  config.blockSize = trace.info.blockSize;
  config.policy = "lru";
  config.maxTokens = capacity * config.blockSize;
  auto replayer = makeReplayer(config);
  ReplayResult before;
  for (std::size_t i = 0; i < trace.requests.size(); ++i) {
    if (i == warmup) before = replayer->result();
    replayer->replay(trace.requests[i]);
  }
  if (warmup >= trace.requests.size()) before = replayer->result();
  const ReplayResult after = replayer->result();
  return {after.hitTokens - before.hitTokens, after.promptTokens - before.promptTokens};
}

Trace loadSlice(const QString& path, std::size_t requests) {
  Trace t = loadTrace(path.toStdString());
  if (t.requests.size() > requests) t.requests.resize(requests);
  return t;
}

}  // namespace

class TestTraceAnalysis : public QObject {
  Q_OBJECT

private slots:
  void handWorkedBoundAndStructure() {
    const TraceAnalysis a = analyzeTrace(handTrace());
    // Prompt 12+12+4+10 = 38. Bound: r1 reuses blocks 1,2 (8 tokens), r3 all three (min(12, 10) = 10).
    QCOMPARE(a.promptTokens, 38u);
    QCOMPARE(a.infiniteHitTokens, 18u);
    QCOMPARE(a.infiniteHitBlocks, 5u);
    QCOMPARE(a.distinctBlocks, 5u);
    QCOMPARE(a.footprintTokens, 12u + 4u + 4u);  // [1,2,3] 12, key 4 (r1's third block) 4, key 5: 4
    QCOMPARE(a.requestsWithReuse, 2u);
    QCOMPARE(a.reusableMax, 10u);
    // Shared prefixes: key 2 (blocks 1-2, 8 tokens) is the longest prefix r0, r1, r3 share (its children
    // 3 and 4 have 2 and 1 requests): saves 2 x 8 = 16; key 3 (12 tokens) r0 and r3 share: saves 12.
    // Key 1 is not listed: its child 2 has all of its 3 requests.
    QCOMPARE(a.topPrefixes.size(), std::size_t(2));
    QCOMPARE(a.topPrefixes[0].blocks, 2u);
    QCOMPARE(a.topPrefixes[0].tokens, 8u);
    QCOMPARE(a.topPrefixes[0].requests, 3u);
    QCOMPARE(a.topPrefixes[0].savedTokens, 16u);
    QCOMPARE(a.topPrefixes[1].blocks, 3u);
    QCOMPARE(a.topPrefixes[1].savedTokens, 12u);
  }

  void handWorkedSegments() {
    // Segments per block: sys = the first block, doc = the rest (r2's only block is doc).
    //   sys: r0, r1, r3 (3 requests), 4 + 4 + 4 = 12 tokens, hits r1 and r3's first block: 8.
    //   doc: all 4 requests, 8 + 8 + 4 + (4 + 2) = 26 tokens, hits r1's block 2 (4), r3's blocks 2, 3 (4 + 2).
    Trace t = handTrace();
    t.info.segments.intern("sys");
    t.info.segments.intern("doc");
    t.requests[0].segments = {0, 1, 1};
    t.requests[1].segments = {0, 1, 1};
    t.requests[2].segments = {1};
    t.requests[3].segments = {0, 1, 1};
    const TraceAnalysis a = analyzeTrace(t);
    QCOMPARE(a.bySegment.size(), std::size_t(2));
    QCOMPARE(a.bySegment[0].label, std::string("sys"));
    QCOMPARE(a.bySegment[0].requests, 3u);
    QCOMPARE(a.bySegment[0].promptTokens, 12u);
    QCOMPARE(a.bySegment[0].hitTokens, 8u);
    QCOMPARE(a.bySegment[1].requests, 4u);
    QCOMPARE(a.bySegment[1].promptTokens, 26u);
    QCOMPARE(a.bySegment[1].hitTokens, 10u);
  }

  void handWorkedCurve() {
    // Stack distances (blocks touched last to first: r0 touches 3,2,1; r1 4,2,1; r2 5):
    //   r1: key 1 d=0, key 2 d=1 (key 1 since)  -> hits at C=1: 1 block (4), C>=2: 2 blocks (8)
    //   r3: key 1 d=1 (5), key 2 d=2 (1,5), key 3 d=4 (4,2,1,5) -> C=2: 4, C=3,4: 8, C>=5: 10 tokens
    // Curve: C=1 4; C=2 12; C=3 16; C=4 16; C=5 18.
    const TraceAnalysis a = analyzeTrace(handTrace());
    const std::uint64_t expected[] = {0, 4, 12, 16, 16, 18, 18};
    for (std::uint64_t c = 0; c <= 6; ++c) QCOMPARE(a.lruAt(c).hitTokens, expected[c]);
    // 50 % of 18 = 9 -> C=2 (12); 80 % -> 15 -> C=3 (16); 90 % -> 17 -> C=5; 95 % -> 18 -> C=5.
    QCOMPARE(a.boundSizes.size(), std::size_t(4));
    QCOMPARE(*a.boundSizes[0].capacityBlocks, 2u);
    QCOMPARE(*a.boundSizes[1].capacityBlocks, 3u);
    QCOMPARE(*a.boundSizes[2].capacityBlocks, 5u);
    QCOMPARE(*a.boundSizes[3].capacityBlocks, 5u);
  }

  void handWorkedTtl() {
    // Idle gaps of the bound's hits: r1 keys 1,2: 1 s; r3 keys 1,2: 9 s (since r1), key 3: 10 s (since r0).
    // TTL 5 s: r3 loses all 10 tokens. TTL 9.5 s: r3 keeps keys 1,2 (8) and loses key 3 (10 - 8 = 2).
    AnalyzeOptions options;
    options.ttlsMs = {5000, 9500, 10000};
    const TraceAnalysis a = analyzeTrace(handTrace(), options);
    QCOMPARE(a.ttlLosses[0].lostTokens, 10u);
    QCOMPARE(a.ttlLosses[0].hitTokens, 8u);
    QCOMPARE(a.ttlLosses[1].lostTokens, 2u);
    QCOMPARE(a.ttlLosses[1].hitTokens, 16u);
    QCOMPARE(a.ttlLosses[2].lostTokens, 0u);  // expiry needs a gap over the TTL
  }

  void handWorkedWarmup() {
    // Warmup 2: r0, r1 fill the cache, r2 and r3 are measured: prompt 4 + 10, bound 10 (r3), curve from
    // r3 alone: C=2 4, C=3 8, C=5 10.
    AnalyzeOptions options;
    options.warmupRequests = 2;
    const TraceAnalysis a = analyzeTrace(handTrace(), options);
    QCOMPARE(a.requests, 2u);
    QCOMPARE(a.warmupRequests, 2u);
    QCOMPARE(a.promptTokens, 14u);
    QCOMPARE(a.infiniteHitTokens, 10u);
    QCOMPARE(a.lruAt(1).hitTokens, 0u);
    QCOMPARE(a.lruAt(2).hitTokens, 4u);
    QCOMPARE(a.lruAt(3).hitTokens, 8u);
    QCOMPARE(a.lruAt(5).hitTokens, 10u);
  }

  void curveEqualsReplay_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("requests");
    QTest::addColumn<double>("warmup");
    QTest::addColumn<bool>("shared");
    const QString data = QStringLiteral(KVLAB_TEST_DATA_DIR);
    const QString shared = QStringLiteral(KVLAB_SHARED_DATA_DIR);
    QTest::newRow("mooncake sample") << data + "/mooncake_sample.jsonl" << 100000 << 0.0 << false;
    QTest::newRow("policy conversation") << data + "/policy_sample_conversation.jsonl" << 100000 << 0.0 << false;
    QTest::newRow("policy conversation, warmup half")
        << data + "/policy_sample_conversation.jsonl" << 100000 << 0.5 << false;
    QTest::newRow("conversation slice") << shared + "/conversation_trace.jsonl" << 1500 << 0.0 << true;
    QTest::newRow("conversation slice, warmup half") << shared + "/conversation_trace.jsonl" << 1500 << 0.5 << true;
    QTest::newRow("synthetic slice, warmup half") << shared + "/synthetic_trace.jsonl" << 1500 << 0.5 << true;
    QTest::newRow("ragpulse slice") << shared + "/ragpulse" << 1500 << 0.0 << true;
    QTest::newRow("kv-cache-tester") << shared + "/kv_cache_tester/trace_0001.json" << 1500 << 0.5 << true;
  }
  void curveEqualsReplay() {
    QFETCH(QString, path);
    QFETCH(int, requests);
    QFETCH(double, warmup);
    QFETCH(bool, shared);
    if (shared) KVLAB_REQUIRE_SHARED_DATA(path);
    const Trace trace = loadSlice(path, std::size_t(requests));
    AnalyzeOptions options;
    options.warmupRequests = std::uint64_t(warmup * double(trace.requests.size()));
    const TraceAnalysis a = analyzeTrace(trace, options);
    QVERIFY(a.lruCurve.size() >= 2);
    // Every sampled point, and the unlimited cache (the bound), as the replay engine counts them.
    for (const CurveSample& s : a.lruCurve) {
      const auto [hit, prompt] = replayLru(trace, s.capacityBlocks, options.warmupRequests);
      QCOMPARE(s.hitTokens, hit);
      QCOMPARE(a.promptTokens, prompt);
    }
    QCOMPARE(a.lruCurve.back().hitTokens, a.infiniteHitTokens);
  }
};

KVLAB_TEST_GUILESS_MAIN(TestTraceAnalysis)
#include "tst_trace_analysis.moc"
