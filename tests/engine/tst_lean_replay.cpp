// SPDX-License-Identifier: MIT
// LeanBlockReplayer against TraceReplayer (the general engine, itself checked against hand-worked traces in
// tst_trace_replay and the Python references in tst_policy_reference): on generated traces that exercise
// every path - hits, orphans, ids repeated within a request, ids beyond the dense history, partial and
// missing blocks, capacities of 0, 1, a few and unbounded, idle TTLs that expire entries both when probed
// and when an insert sweeps - every ReplayResult field must be equal, the floating-point means included.
// Also: which configurations the lean replayer takes, and that makeReplayer() falls back for the rest.
#include <QtTest>
#include <random>

#include "core/cache/entry_index.h"
#include "core/replay/lean_block_replayer.h"
#include "core/replay/trace_replayer.h"

using namespace kvlab;

namespace {

// Sessions that grow a shared prefix (hits and, after evictions, orphans), plus noise.
std::vector<TraceRequest> generatedTrace(std::uint32_t seed, std::uint32_t blockSize) {
  std::mt19937 rng(seed);
  std::vector<TraceRequest> trace;
  std::vector<std::vector<std::uint64_t>> sessions(6);
  std::uint64_t nextId = 1;
  std::int64_t now = 0;
  for (int r = 0; r < 400; ++r) {
    now += std::int64_t(rng() % 40);  // gaps of 0..39 ms: an idle TTL of 50 ms expires some entries
    TraceRequest req;
    req.timestampMs = now;
    auto& session = sessions[rng() % sessions.size()];
    if (rng() % 8 == 0) session.clear();  // a new conversation
    const std::uint32_t grow = 1 + rng() % 3;
    for (std::uint32_t g = 0; g < grow; ++g) {
      const std::uint32_t kind = rng() % 20;
      if (kind == 0)
        session.push_back(EntryIndex::kDenseLimit + rng() % 50);  // beyond the 2-bit history
      else if (kind == 1 && !session.empty())
        session.push_back(session[rng() % session.size()]);  // an id seen twice in one request
      else
        session.push_back(nextId++);
    }
    req.hashIds = session;
    const std::uint64_t full = std::uint64_t(session.size()) * blockSize;
    switch (rng() % 4) {
      case 0:  // the last block partial
        req.inputLength = std::uint32_t(full - rng() % blockSize);
        break;
      case 1:  // tokens after the last hashed block (never cacheable)
        req.inputLength = std::uint32_t(full + 1 + rng() % blockSize);
        break;
      default:
        req.inputLength = std::uint32_t(full);
    }
    trace.push_back(std::move(req));
  }
  return trace;
}

ReplayResult replayWith(Replayer& replayer, const std::vector<TraceRequest>& trace) {
  for (const TraceRequest& r : trace) replayer.replay(r);
  return replayer.result();
}

}  // namespace

class TestLeanReplay : public QObject {
  Q_OBJECT
private slots:
  void sameResultsAsEngine_data();
  void sameResultsAsEngine();
  void supports_data();
  void supports();
};

void TestLeanReplay::sameResultsAsEngine_data() {
  QTest::addColumn<QString>("policy");
  QTest::addColumn<quint64>("capacityBlocks");  // 0 = none fits; kUnlimited = unbounded
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<uint>("blockSize");
  QTest::addColumn<uint>("seed");
  for (const char* policy : {"lru", "fifo"}) {
    for (const quint64 capacity :
         {quint64(0), quint64(1), quint64(3), quint64(17), quint64(200), quint64(kUnlimited)}) {
      for (const qint64 ttl : {qint64(0), qint64(50), qint64(400)}) {
        if (ttl > 0 && QByteArray(policy) == "fifo") continue;  // the lean replayer's FIFO has no TTL
        for (const uint blockSize : {4u, 16u}) {
          for (const uint seed : {1u, 2u}) {
            QTest::addRow("%s cap %s ttl %lld B %u seed %u", policy,
                          capacity == kUnlimited ? "unlimited" : std::to_string(capacity).c_str(), ttl,
                          blockSize, seed)
                << QString::fromLatin1(policy) << capacity << ttl << blockSize << seed;
          }
        }
      }
    }
  }
}

void TestLeanReplay::sameResultsAsEngine() {
  QFETCH(QString, policy);
  QFETCH(quint64, capacityBlocks);
  QFETCH(qint64, ttlMs);
  QFETCH(uint, blockSize);
  QFETCH(uint, seed);
  ReplayConfig config;
  config.policy = policy.toStdString();
  config.blockSize = blockSize;
  config.maxTokens = capacityBlocks == kUnlimited ? kUnlimited : capacityBlocks * blockSize + blockSize / 2;
  config.ttlMs = ttlMs;
  config.bytesPerToken = 3;
  QVERIFY(LeanBlockReplayer::supports(config));
  const std::vector<TraceRequest> trace = generatedTrace(seed, blockSize);

  LeanBlockReplayer lean(config);
  TraceReplayer engine(config);
  const ReplayResult a = replayWith(lean, trace);
  const ReplayResult e = replayWith(engine, trace);

  QCOMPARE(a.requests, e.requests);
  QCOMPARE(a.promptTokens, e.promptTokens);
  QCOMPARE(a.hitTokens, e.hitTokens);
  QCOMPARE(a.blocks, e.blocks);
  QCOMPARE(a.hitBlocks, e.hitBlocks);
  QCOMPARE(a.evictions, e.evictions);
  QCOMPARE(a.expirations, e.expirations);
  for (std::size_t m = 0; m < kMissReasonCount; ++m) {
    QCOMPARE(a.missTokens[m], e.missTokens[m]);
    QCOMPARE(a.missBlocks[m], e.missBlocks[m]);
  }
  QCOMPARE(a.peakBlocks, e.peakBlocks);
  QCOMPARE(a.capacityBlocks, e.capacityBlocks);
  QCOMPARE(a.bytesPerBlock, e.bytesPerBlock);
  QCOMPARE(a.evictedNeverReused, e.evictedNeverReused);
  // Same operations in the same order: the sums, hence the means, are equal to the last bit.
  QCOMPARE(a.meanEvictedAgeMs, e.meanEvictedAgeMs);
  QCOMPARE(a.meanEvictedIdleMs, e.meanEvictedIdleMs);
  QCOMPARE(a.meanEvictedReuse, e.meanEvictedReuse);
  QCOMPARE(a.tiers.size(), e.tiers.size());
  QCOMPARE(a.tiers[0].entries, e.tiers[0].entries);
  QCOMPARE(a.tiers[0].hits, e.tiers[0].hits);
  QCOMPARE(a.tiers[0].misses, e.tiers[0].misses);
  QCOMPARE(a.tiers[0].evictions, e.tiers[0].evictions);

  // The generated trace reaches the paths it is meant to (else this comparison proves little).
  if (capacityBlocks == 3 && ttlMs == 0) QVERIFY(e.missBlocks[std::size_t(MissReason::Orphaned)] > 0);
  if (capacityBlocks == 200 && ttlMs == 50) QVERIFY(e.expirations > 0);
  if (capacityBlocks == 17) QVERIFY(e.evictions > 0 && e.hitBlocks > 0);
}

void TestLeanReplay::supports_data() {
  QTest::addColumn<QString>("policy");
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<bool>("ageMode");
  QTest::addColumn<bool>("protectInUse");
  QTest::addColumn<bool>("hostTier");
  QTest::addColumn<bool>("lean");
  // LRU's order list doubles as the idle-TTL sweep order; nothing else is implemented twice.
  QTest::newRow("lru") << "lru" << qint64(0) << false << false << false << true;
  QTest::newRow("lru idle ttl") << "lru" << qint64(1000) << false << false << false << true;
  QTest::newRow("lru age ttl") << "lru" << qint64(1000) << true << false << false << false;
  QTest::newRow("lru protect in use") << "lru" << qint64(0) << false << true << false << false;
  QTest::newRow("lru host tier") << "lru" << qint64(0) << false << false << true << false;
  QTest::newRow("fifo") << "fifo" << qint64(0) << false << false << false << true;
  QTest::newRow("fifo ttl") << "fifo" << qint64(1000) << false << false << false << false;
  QTest::newRow("s3fifo") << "s3fifo" << qint64(0) << false << false << false << false;
  QTest::newRow("sieve") << "sieve" << qint64(0) << false << false << false << false;
}

void TestLeanReplay::supports() {
  QFETCH(QString, policy);
  QFETCH(qint64, ttlMs);
  QFETCH(bool, ageMode);
  QFETCH(bool, protectInUse);
  QFETCH(bool, hostTier);
  QFETCH(bool, lean);
  ReplayConfig config;
  config.policy = policy.toStdString();
  config.maxTokens = 4096;
  config.ttlMs = ttlMs;
  config.ttlMode = ageMode ? TtlMode::Age : TtlMode::Idle;
  config.protectInUse = protectInUse;
  if (hostTier) config.lowerTiers.push_back(LowerTierSpec{"host", 8, "lru"});
  QCOMPARE(LeanBlockReplayer::supports(config), lean);
  const std::unique_ptr<Replayer> made = makeReplayer(config);
  QCOMPARE(dynamic_cast<LeanBlockReplayer*>(made.get()) != nullptr, lean);
  QCOMPARE(dynamic_cast<TraceReplayer*>(made.get()) != nullptr, !lean);
  if (!lean) QVERIFY_THROWS_EXCEPTION(std::invalid_argument, LeanBlockReplayer{config});
}

QTEST_GUILESS_MAIN(TestLeanReplay)
#include "tst_lean_replay.moc"
