// SPDX-License-Identifier: MIT
// The tier hierarchy under trace replay (TierHierarchy through TraceReplayer, in-use protection on, as in
// a live run), against a trace worked out by hand. Block size 1 token, 1 byte per token (so 1 byte per
// block); device 2 blocks LRU, host 2 blocks LRU, and in some rows an unbounded remote tier. Requests
// (hash ids), one per ms:  R1 [1,2]  R2 [3,4]  R3 [1,2,3]  R4 [5,6]  R5 [1,2,3,4]   (13 prompt tokens)
// The commit touches last block first, so a request's first block ends most recently used. Contents below
// are oldest -> newest (LRU order); "wt" / "wb": remote write-through / write-back.
//   R1: host miss (remote miss). Insert 2, 1.                                  dev {2,1}  host {}
//       wt: 2, 1 written through.
//   R2: host miss (remote miss). Insert 4 (evicts 2 -> host), 3 (evicts 1 -> host).
//                                                                               dev {4,3}  host {2,1}
//       wt: 4, 3 written through.
//   R3: walk: 1 in host, the device can take it: promoted (removed from host, inserted, in use); the
//       insert evicts 4 -> host {2,4}. 2 in host: promoted, evicts 3 -> host {4,3}. 3 in host, but both
//       device blocks are in use now: served by copy, stays in host. 3 host hits (1 copied), no miss.
//       Commit: 3's insert is refused (nothing evictable), 2 and 1 touched.   dev {2,1}  host {4,3}
//   R4: host miss (remote miss). Insert 6 (evicts 2 -> host full: host drops 4 -> wb: written; wt:
//       believed there already), 5 (evicts 1 -> host drops 3, as 4).          dev {6,5}  host {2,1}
//       wt: 6, 5 written through.
//   R5: 1 promoted (evicts 6 -> host {2,6}), 2 promoted (evicts 5 -> host {6,5}); 3 not in host: host
//       miss; the remote tier (wb holds {4,3}, wt {2,1,4,3,6,5}) serves 3 and 4: 2 remote hits. Without
//       a remote tier the walk ends at 3. Commit: 4 and 3 refused (in use), 2 and 1 touched.
//                                                                               dev {2,1}  host {6,5}
// Totals: device hit tokens 0, evictions 2+2+2+2 = 8, entries 2, bytes out (demoted) 8, bytes in (served
// from below) 5 host + remote hits. Host: hits 5 (R3 3, R5 2), misses 4 (R1, R2, R4, R5), bytes in 8,
// out 5, evictions 2 (R4), entries 2. Remote: hits 2, misses 3 (R1, R2, R4: R3 and R5 never reached a block
// it lacked), bytes out 2; wb: bytes in 2 (4, 3), entries 2; wt: bytes in 6, entries 6.
// Why tokens were computed: R1, R2, R4's six blocks were never seen (cold 6); with a remote tier every
// other block was served, so evicted 0; without one R5's 3 and 4 (evicted from the device earlier) are
// computed: evicted 2. Blocks the lower tiers served are not misses any more (they were counted as
// "evicted" before: 7 of them).
// Transfer (cost model, 1 ms latency, 1000 B/s = 1 ms per block; per request one read and one write batch
// per tier, 1 + blocks ms each when not empty): host R2 w2 3; R3 r3 4 + w2 3; R4 w2 3; R5 r2 3 + w2 3:
// 19 ms. Remote wb: R4 w2 3; R5 r2 3: 6 ms. wt: R1 w2 3, R2 w2 3, R4 w2 3, R5 r2 3: 12 ms.
#include <QtTest>

#include "core/replay/trace_replayer.h"
#include "core/util/units.h"

using namespace kvlab;

Q_DECLARE_METATYPE(std::vector<kvlab::LowerTierSpec>)

namespace {

const TierReport* find(const std::vector<TierReport>& tiers, const char* name) {
  for (const TierReport& t : tiers)
    if (t.name == name) return &t;
  return nullptr;
}

ReplayResult replayHandTrace(const std::vector<LowerTierSpec>& lower, bool writeThrough,
                             std::vector<std::uint64_t>* hostEntries = nullptr) {
  ReplayConfig config;
  config.blockSize = 1;
  config.maxTokens = 2;
  config.bytesPerToken = 1;
  config.protectInUse = true;
  config.lowerTiers = lower;
  config.remoteWriteThrough = writeThrough;
  config.tierCost = TierCostModel{1e3, 1.0, 1e3, 1.0};
  TraceReplayer replayer(config);
  const std::vector<std::vector<std::uint64_t>> trace{{1, 2}, {3, 4}, {1, 2, 3}, {5, 6}, {1, 2, 3, 4}};
  std::int64_t t = 0;
  for (const auto& ids : trace) {
    replayer.replay(++t, std::uint32_t(ids.size()), ids);
    if (hostEntries && !lower.empty() && lower.front().name == "host")
      hostEntries->push_back(replayer.result().tiers[1].entries);
  }
  return replayer.result();
}

}  // namespace

class TestTierHierarchy : public QObject {
  Q_OBJECT

private slots:
  void handTrace_data() {
    QTest::addColumn<std::vector<LowerTierSpec>>("lower");
    QTest::addColumn<bool>("writeThrough");
    QTest::addColumn<int>("remoteBytesIn");  // -1: no remote tier
    QTest::addColumn<int>("remoteEntries");
    QTest::addColumn<double>("remoteTransferMs");
    const LowerTierSpec host{"host", 2, "lru"};
    const LowerTierSpec remote{"remote", kUnlimited, "lru"};
    QTest::newRow("host") << std::vector<LowerTierSpec>{host} << false << -1 << -1 << 0.0;
    QTest::newRow("host+remote, write-back")
        << std::vector<LowerTierSpec>{host, remote} << false << 2 << 2 << 6.0;
    QTest::newRow("host+remote, write-through")
        << std::vector<LowerTierSpec>{host, remote} << true << 6 << 6 << 12.0;
  }
  void handTrace() {
    QFETCH(std::vector<LowerTierSpec>, lower);
    QFETCH(bool, writeThrough);
    QFETCH(int, remoteBytesIn);
    QFETCH(int, remoteEntries);
    QFETCH(double, remoteTransferMs);
    std::vector<std::uint64_t> hostEntries;
    const ReplayResult r = replayHandTrace(lower, writeThrough, &hostEntries);
    const bool hasRemote = remoteBytesIn >= 0;
    QCOMPARE(r.promptTokens, std::uint64_t(13));
    QCOMPARE(r.tiers.size(), lower.size() + 1);
    // After R3 the host still holds 3, the block it served by copy (a replay that moved it up before the
    // commit refused it lost it: host {4}).
    QCOMPARE(hostEntries, (std::vector<std::uint64_t>{0, 2, 2, 2, 2}));
    const TierReport* device = find(r.tiers, "device");
    QVERIFY(device);
    QCOMPARE(device->hitTokens, std::uint64_t(0));
    QCOMPARE(device->evictions, std::uint64_t(8));
    QCOMPARE(device->entries, std::uint64_t(2));
    QCOMPARE(device->bytesOut, std::uint64_t(8));                 // demoted out of it
    QCOMPARE(device->bytesIn, std::uint64_t(hasRemote ? 7 : 5));  // served into it from below
    const TierReport* host = find(r.tiers, "host");
    QVERIFY(host);
    QCOMPARE(host->hits, std::uint64_t(5));
    QCOMPARE(host->hitTokens, std::uint64_t(5));
    QCOMPARE(host->misses, std::uint64_t(4));
    QCOMPARE(host->entries, std::uint64_t(2));
    QCOMPARE(host->evictions, std::uint64_t(2));
    QCOMPARE(host->bytesIn, std::uint64_t(8));
    QCOMPARE(host->bytesOut, std::uint64_t(5));
    QCOMPARE(host->transferMs, 19.0);
    QVERIFY(host->transferCostModel);
    const TierReport* remote = find(r.tiers, "remote");
    QCOMPARE(remote != nullptr, hasRemote);
    if (remote) {
      QCOMPARE(remote->hits, std::uint64_t(2));
      QCOMPARE(remote->hitTokens, std::uint64_t(2));
      QCOMPARE(remote->misses, std::uint64_t(3));
      QCOMPARE(remote->bytesIn, std::uint64_t(remoteBytesIn));
      QCOMPARE(remote->bytesOut, std::uint64_t(2));
      QCOMPARE(remote->entries, std::uint64_t(remoteEntries));
      QCOMPARE(remote->transferMs, remoteTransferMs);
    }
    QCOMPARE(r.hitTokens, std::uint64_t(hasRemote ? 7 : 5));  // every tier's hits
    // Why tokens were computed: only what no tier served.
    QCOMPARE(r.missTokens[std::size_t(MissReason::Cold)], std::uint64_t(6));
    QCOMPARE(r.missTokens[std::size_t(MissReason::Evicted)], std::uint64_t(hasRemote ? 0 : 2));
    QCOMPARE(r.missTokens[std::size_t(MissReason::Expired)], std::uint64_t(0));
    QCOMPARE(r.missTokens[std::size_t(MissReason::Orphaned)], std::uint64_t(0));
    std::uint64_t computed = 0;
    for (const std::uint64_t m : r.missTokens) computed += m;
    QCOMPARE(computed + r.hitTokens, r.promptTokens);
  }

  // Properties on a recorded trace (the test fixture, 300 requests), each against an independent replay
  // without lower tiers:
  //  - an unbounded remote tier with write-through holds every block ever stored, so a small device plus
  //    that remote tier hits exactly what one unbounded device tier hits;
  //  - the same with write-back: every block the device evicts is demoted there, so every block ever
  //    stored is still in the device or in the remote tier.
  void propertiesOnFixture_data() {
    QTest::addColumn<std::uint64_t>("deviceTokens");
    QTest::addColumn<std::vector<LowerTierSpec>>("lower");
    QTest::addColumn<std::uint64_t>("referenceTokens");
    QTest::addColumn<bool>("writeThrough");
    QTest::newRow("small device + unbounded remote = unbounded device")
        << std::uint64_t(4 * 512) << std::vector<LowerTierSpec>{{"remote", kUnlimited, "lru"}} << kUnlimited
        << true;
    QTest::newRow("small device + unbounded remote, write-back = unbounded device")
        << std::uint64_t(4 * 512) << std::vector<LowerTierSpec>{{"remote", kUnlimited, "lru"}} << kUnlimited
        << false;
  }
  void propertiesOnFixture() {
    QFETCH(std::uint64_t, deviceTokens);
    QFETCH(std::vector<LowerTierSpec>, lower);
    QFETCH(std::uint64_t, referenceTokens);
    QFETCH(bool, writeThrough);
    const std::string path = KVLAB_TEST_DATA_DIR "/policy_sample_conversation.jsonl";
    ReplayConfig tiered;
    tiered.maxTokens = deviceTokens;
    tiered.lowerTiers = lower;
    tiered.remoteWriteThrough = writeThrough;
    ReplayConfig reference;
    reference.maxTokens = referenceTokens;
    const ReplayResult a = replayTraceFile(path, tiered);
    const ReplayResult b = replayTraceFile(path, reference);
    QCOMPARE(a.promptTokens, b.promptTokens);
    QVERIFY(b.hitTokens > 0);
    QCOMPARE(a.hitTokens, b.hitTokens);
    QCOMPARE(a.hitBlocks, b.hitBlocks);
    std::uint64_t perTier = 0;
    for (const TierReport& t : a.tiers) perTier += t.hitTokens;
    QCOMPARE(perTier, a.hitTokens);  // the tiers split the hits, nothing counted twice
  }

  // Without lower tiers the result carries exactly one tier, the device, whose hits are the replay's.
  void oneTierIsTheDevice() {
    const ReplayResult r = replayHandTrace({}, true);
    QCOMPARE(r.tiers.size(), std::size_t(1));
    QCOMPARE(r.tiers[0].name, std::string("device"));
    QCOMPARE(r.tiers[0].hitTokens, r.hitTokens);
    QCOMPARE(r.tiers[0].hits, r.hitBlocks);
    QCOMPARE(r.tiers[0].misses, r.blocks - r.hitBlocks);
  }

  // `kvlab-cli replay --json` and `simulate --json` carry the "tiers" object: keyed by tier name, each with
  // the same keys, remote also with its fault counters; the tiers' hit tokens add up to the replay's.
  void cliJsonHasTiers_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("tiers");
    const QString trace = QStringLiteral(KVLAB_TEST_DATA_DIR "/policy_sample_conversation.jsonl");
    QTest::newRow("replay, one tier")
        << QStringList{"replay", trace, "--max-tokens", "4096", "--json"} << QStringList{"device"};
    QTest::newRow("replay, three tiers")
        << QStringList{"replay",          trace,       "--max-tokens", "2048", "--host-tokens", "4096",
                       "--remote-tokens", "unlimited", "--json"}
        << QStringList{"device", "host", "remote"};
    QTest::newRow("simulate") << QStringList{"simulate", trace} << QStringList{"device"};  // summary.json
  }
  void cliJsonHasTiers() {
    QFETCH(QStringList, args);
    QFETCH(QStringList, tiers);
    QTemporaryDir dir;
    const bool simulate = args.first() == "simulate";  // its JSON is summary.json, one object per run
    if (simulate) args += {"--out", dir.path()};
    QProcess process;
    process.start(QStringLiteral(KVLAB_CLI_PATH), args);
    QVERIFY(process.waitForFinished(120000));
    QCOMPARE(process.exitCode(), 0);
    QJsonObject json = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    if (simulate) {
      QFile file(dir.filePath("summary.json"));
      QVERIFY(file.open(QIODevice::ReadOnly));
      json = QJsonDocument::fromJson(file.readAll()).object()["runs"].toArray().first().toObject();
    }
    const QJsonObject tierJson = json["tiers"].toObject();
    QCOMPARE(tierJson.keys().size(), tiers.size());
    double hitTokens = 0;
    for (const QString& name : tiers) {
      const QJsonObject t = tierJson[name].toObject();
      for (const char* key :
           {"hit_tokens", "hits", "misses", "bytes_in", "bytes_out", "entries", "evictions", "transfer_ms"})
        QVERIFY2(t.contains(key), qPrintable(name + "." + key));
      for (const char* key : {"errors", "timeouts", "corrupt"}) QCOMPARE(t.contains(key), name == "remote");
      hitTokens += t["hit_tokens"].toDouble();
    }
    if (args.first() == "replay") QCOMPARE(hitTokens, json["hit_tokens"].toDouble());
  }

  // Bad tier lists are refused.
  void badTierLists() {
    CacheConfig config;
    config.capacityBytes = 2;
    ManualClock clock;
    CacheEngine device(config, clock);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, TierHierarchy(device, 1, 1, {}, false, {}));
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument,
        TierHierarchy(device, 1, 1, {{"remote", 1, "lru"}, {"host", 1, "lru"}}, false, {}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             TierHierarchy(device, 1, 1, {{"disk", 1, "lru"}}, false, {}));
  }
};

QTEST_GUILESS_MAIN(TestTierHierarchy)
#include "tst_tier_hierarchy.moc"
