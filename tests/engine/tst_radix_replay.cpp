// SPDX-License-Identifier: MIT
// Trace replay at radix granularity (core/replay/radix_block_replayer.h, `replay --granularity radix`):
//  - hand-worked: only unlocked leaves are evicted, LRU first; the request's path is protected while it
//    inserts; insertion stops at the first block that cannot be placed; evicted vs cold misses;
//  - with a cache that never evicts, radix and block replay count the same;
//  - tools/radix_reference.py (plain Python from SGLang's radix_cache.py, no shared code) gives the same hit
//    tokens request by request, and the same totals, on slices of both Mooncake traces at several sizes, for
//    lru and for opt (Belady over the tree: farthest-next-use leaf, bypass), and opt is never below lru.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include "core/replay/next_use_index.h"
#include "core/replay/radix_block_replayer.h"
#include "core/replay/replayer.h"
#include "core/trace/mooncake_trace_reader.h"
#include "test_requirements.h"

#ifndef KVLAB_PYTHON3
#define KVLAB_PYTHON3 ""
#endif

using namespace kvlab;

namespace {

ReplayConfig radixConfig(std::uint32_t blockSize, std::uint64_t capacityBlocks) {
  ReplayConfig c;
  c.granularity = "radix";
  c.blockSize = blockSize;
  c.maxTokens = capacityBlocks == kUnlimited ? kUnlimited : capacityBlocks * blockSize;
  return c;
}

std::uint64_t replayHits(Replayer& r, std::int64_t t, std::uint32_t length, std::vector<std::uint64_t> ids) {
  const std::uint64_t before = r.result().hitTokens;
  r.replay(t, length, ids);
  return r.result().hitTokens - before;
}

}  // namespace

class TestRadixReplay : public QObject {
  Q_OBJECT
private slots:
  void leavesOnlyLruHandWorked() {
    // Blocks of 4 tokens, room for 3.
    //  R1 [1,2,3]: inserts 1, 2, 3 (12 cold tokens).
    //  R2 [1,4] (8 tokens): hits 1; to place 4 the only unlocked leaf, 3, goes (1 is locked, 2 has a child).
    //  R3 [1,2,3]: hits 1, 2; 3 was stored once (evicted miss); 2 is a leaf now but on the locked path, so
    //    the LRU unlocked leaf 4 goes.
    //  R4 [1,2,3]: hits all 12.
    auto r = makeReplayer(radixConfig(4, 3));
    QCOMPARE(replayHits(*r, 0, 12, {1, 2, 3}), 0u);
    QCOMPARE(replayHits(*r, 1, 8, {1, 4}), 4u);
    QCOMPARE(replayHits(*r, 2, 12, {1, 2, 3}), 8u);
    QCOMPARE(replayHits(*r, 3, 12, {1, 2, 3}), 12u);
    const ReplayResult res = r->result();
    QCOMPARE(res.hitTokens, 24u);
    QCOMPARE(res.promptTokens, 44u);
    QCOMPARE(res.evictions, 2u);
    QCOMPARE(res.missTokens[std::size_t(MissReason::Cold)], 16u);
    QCOMPARE(res.missTokens[std::size_t(MissReason::Evicted)], 4u);
    QCOMPARE(res.missTokens[std::size_t(MissReason::Orphaned)], 0u);
    QCOMPARE(res.peakBlocks, 3u);
  }

  void insertionStopsWhenNothingCanGo() {
    // Room for 2: R1 [1,2,3] places 1 and 2; both are on its locked path, so 3 cannot be placed. R2 hits
    // 1, 2 and again cannot place 3 (never stored: cold).
    auto r = makeReplayer(radixConfig(4, 2));
    QCOMPARE(replayHits(*r, 0, 12, {1, 2, 3}), 0u);
    QCOMPARE(replayHits(*r, 1, 12, {1, 2, 3}), 8u);
    const ReplayResult res = r->result();
    QCOMPARE(res.evictions, 0u);
    QCOMPARE(res.missTokens[std::size_t(MissReason::Cold)], 16u);
    QCOMPARE(res.missTokens[std::size_t(MissReason::Evicted)], 0u);
  }

  void pathProtectedWhileInserting() {
    // Room for 2. R1 [1,2] places both. R2 [1,3] hits 1 and evicts the leaf 2 for 3 (cold). R3 and R4
    // [1,3,7] hit 1, 3 (8 tokens each); their locked path fills the cache, so 7 is never placed (cold
    // twice) and nothing more is evicted: 1 eviction in all. (Block replay's literal semantics let a
    // request's inserts evict its own hit blocks: there the same trace churns through 7 evictions.)
    auto r = makeReplayer(radixConfig(4, 2));
    QCOMPARE(replayHits(*r, 0, 8, {1, 2}), 0u);
    QCOMPARE(replayHits(*r, 1, 8, {1, 3}), 4u);
    QCOMPARE(replayHits(*r, 2, 12, {1, 3, 7}), 8u);
    QCOMPARE(replayHits(*r, 3, 12, {1, 3, 7}), 8u);
    const ReplayResult res = r->result();
    QCOMPARE(res.evictions, 1u);
    QCOMPARE(res.missTokens[std::size_t(MissReason::Cold)], 20u);
    QCOMPARE(res.missTokens[std::size_t(MissReason::Evicted)], 0u);
  }

  void refusesWhatItDoesNotModel() {
    ReplayConfig c = radixConfig(4, 8);
    c.policy = "fifo";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, RadixBlockReplayer{c});
    c.policy = "lru";
    c.ttlMs = 1000;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, RadixBlockReplayer{c});
  }

  void unboundedEqualsBlock() {
    // Nothing is evicted: the tree and the pool hold the same blocks, so every figure agrees.
    const std::vector<TraceRequest> trace = readWholeTrace(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl");
    ReplayConfig block = radixConfig(16, kUnlimited);
    block.granularity = "block";
    auto a = makeReplayer(radixConfig(16, kUnlimited));
    auto b = makeReplayer(block);
    for (const TraceRequest& q : trace) {
      a->replay(q);
      b->replay(q);
    }
    const ReplayResult ra = a->result(), rb = b->result();
    QVERIFY(ra.hitTokens > 0);
    QCOMPARE(ra.hitTokens, rb.hitTokens);
    QCOMPARE(ra.promptTokens, rb.promptTokens);
    QCOMPARE(ra.hitBlocks, rb.hitBlocks);
    QCOMPARE(ra.missTokens, rb.missTokens);
    QCOMPARE(ra.peakBlocks, rb.peakBlocks);
  }

  void pythonReferenceAgrees_data() {
    QTest::addColumn<QString>("trace");
    QTest::addColumn<int>("capacityBlocks");
    QTest::addColumn<QString>("policy");
    for (const char* name : {"conversation_trace.jsonl", "synthetic_trace.jsonl"})
      for (const int capacity : {64, 500, 4000})
        for (const char* policy : {"lru", "opt"})
          QTest::addRow("%s %d %s", name, capacity, policy)
              << QStringLiteral(KVLAB_SHARED_DATA_DIR "/") + QString::fromLatin1(name) << capacity << policy;
  }

  void pythonReferenceAgrees() {
    QFETCH(QString, trace);
    QFETCH(int, capacityBlocks);
    QFETCH(QString, policy);
    KVLAB_REQUIRE_SHARED_DATA(trace);
    KVLAB_REQUIRE_PYTHON3(QStringLiteral(KVLAB_PYTHON3));
    constexpr int kRequests = 2000;  // a slice: CI time (the Python reference is O(blocks log blocks))
    QProcess python;
    python.start(QStringLiteral(KVLAB_PYTHON3),
                 {QStringLiteral(KVLAB_TOOLS_DIR "/radix_reference.py"), trace, "--block-size", "512",
                  "--capacity-blocks", QString::number(capacityBlocks), "--limit", QString::number(kRequests),
                  "--policy", policy});
    QVERIFY(python.waitForFinished(300000));
    QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    const QJsonObject ref = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
    const QJsonArray perRequest = ref["hit_tokens_per_request"].toArray();

    std::vector<TraceRequest> requests = readWholeTrace(trace.toStdString());
    requests.resize(kRequests);
    ReplayConfig config = radixConfig(512, std::uint64_t(capacityBlocks));
    config.policy = policy.toStdString();
    auto r = makeReplayer(config, policy == "opt" ? NextUseIndex::fromRequests(requests) : nullptr);
    QCOMPARE(perRequest.size(), qsizetype(requests.size()));
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const std::uint64_t before = r->result().hitTokens;
      r->replay(requests[i]);
      QCOMPARE(qint64(r->result().hitTokens - before), perRequest[qsizetype(i)].toInteger());
    }
    const ReplayResult res = r->result();
    QCOMPARE(qint64(res.hitTokens), ref["hit_tokens"].toInteger());
    QCOMPARE(qint64(res.promptTokens), ref["prompt_tokens"].toInteger());
    QCOMPARE(qint64(res.evictions), ref["evictions"].toInteger());
    QCOMPARE(qint64(res.missTokens[std::size_t(MissReason::Cold)]), ref["cold_tokens"].toInteger());
    QCOMPARE(qint64(res.missTokens[std::size_t(MissReason::Evicted)]), ref["evicted_tokens"].toInteger());
    QVERIFY(res.evictions > 0 || capacityBlocks >= 4000);
    if (policy == "opt") {
      // A reference must not sit under the online policy it bounds: opt over the tree >= lru.
      auto lru = makeReplayer(radixConfig(512, std::uint64_t(capacityBlocks)));
      for (const TraceRequest& q : requests) lru->replay(q);
      QVERIFY2(res.hitTokens >= lru->result().hitTokens,
               qPrintable(QString("opt %1 < lru %2").arg(res.hitTokens).arg(lru->result().hitTokens)));
    }
  }
};

KVLAB_TEST_GUILESS_MAIN(TestRadixReplay)
#include "tst_radix_replay.moc"
