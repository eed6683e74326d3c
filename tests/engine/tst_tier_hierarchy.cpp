// SPDX-License-Identifier: MIT
// The tier hierarchy under trace replay (TierHierarchy through TraceReplayer), against a trace worked out
// by hand. Block size 1 token, 1 byte per token (so 1 byte per block); device 2 blocks LRU, host 3 blocks
// LRU, and in some rows an unbounded remote tier. Requests (hash ids), one per ms:
//   R1 [1,2]  R2 [3,4]  R3 [1,2,5]  R4 [3,4,6]  R5 [2,1]  R6 [5]          (13 prompt tokens)
// Replay commits last block first, so a request's first block ends most recently used.
// Device / host contents below are oldest -> newest (LRU order).
//   R1: device misses 1; walk: host miss (remote miss). Insert 2, 1.      dev {2,1}   host {}
//   R2: device misses 3; walk: host miss (remote miss). Insert 4 (evicts 2 -> host), 3 (evicts 1 -> host).
//                                                                          dev {4,3}   host {2,1}
//   R3: walk: 1 host hit (moved up), 2 host hit (moved up), 5 host miss (remote miss): 2 hit tokens.
//       Insert 5 (evicts 4 -> host), 2 (evicts 3 -> host), 1 (evicts 5 -> host).
//                                                                          dev {2,1}   host {4,3,5}
//   R4: walk: 3 host hit, 4 host hit, 6 host miss (remote miss): 2 hit tokens. host {5}.
//       Insert 6 (evicts 2 -> host {5,2}), 4 (evicts 1 -> host {5,2,1}), 3 (evicts 6 -> host full: host
//       evicts 5 (-> remote when there is one), host {2,1,6}).               dev {4,3}   host {2,1,6}
//   R5: walk: 2 host hit, 1 host hit: 2 hit tokens. host {6}. Insert 1 (evicts 4 -> host), 2 (evicts 3).
//                                                                          dev {1,2}   host {6,4,3}
//   R6: walk: 5 host miss; remote (if any) hit: 1 hit token (copied up, stays). Insert 5 (evicts 1 -> host,
//       host evicts 6 (-> remote)).                                         dev {2,5}   host {4,3,1}
// Totals: device hit tokens 0 (no request starts with a device block), evictions 2+3+3+2+1 = 11, 2 held.
// Host: hits 6, misses 5 (R1, R2, R3, R4, R6), held 3, evictions 2 (5 and 6), bytes in = demotions
// 2+3+3+2+1 = 11, bytes out 6. Remote, write-back: asked only when the host missed: R1..R4 miss, R6 hit:
// hits 1, misses 4, bytes in 2 (5 and 6), out 1, held 2. Write-through: every block new to the device is
// also put there after its request (R1: 1,2; R2: 3,4; R3: 5; R4: 6), so it holds all 6 (demotions find them
// there and move nothing): bytes in 6; its hits and misses are the same (each block arrives after the
// request that first asked for it).
// Host transfer (cost model, PCIe 1 ms latency, 1000 B/s = 1 ms per block): per request a read batch and
// a write batch, each 1 + blocks ms when not empty: R2 write 2 -> 3; R3 read 2 -> 3, write 3 -> 4;
// R4 3 + 4; R5 read 2 -> 3, write 2 -> 3; R6 write 1 -> 2. Total 3 + 7 + 7 + 6 + 2 = 25 ms.
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

ReplayResult replayHandTrace(const std::vector<LowerTierSpec>& lower, bool writeThrough) {
  ReplayConfig config;
  config.blockSize = 1;
  config.maxTokens = 2;
  config.bytesPerToken = 1;
  config.lowerTiers = lower;
  config.remoteWriteThrough = writeThrough;
  config.tierCost = TierCostModel{1e3, 1.0, 1e3, 1.0};
  TraceReplayer replayer(config);
  const std::vector<std::vector<std::uint64_t>> trace{{1, 2}, {3, 4}, {1, 2, 5}, {3, 4, 6}, {2, 1}, {5}};
  std::int64_t t = 0;
  for (const auto& ids : trace) replayer.replay(++t, std::uint32_t(ids.size()), ids);
  return replayer.result();
}

}  // namespace

class TestTierHierarchy : public QObject {
  Q_OBJECT

private slots:
  void handTrace_data() {
    QTest::addColumn<std::vector<LowerTierSpec>>("lower");
    QTest::addColumn<bool>("writeThrough");
    QTest::addColumn<int>("remoteHits");
    QTest::addColumn<int>("remoteBytesIn");
    QTest::addColumn<int>("remoteEntries");
    const LowerTierSpec host{"host", 3, "lru"};
    const LowerTierSpec remote{"remote", kUnlimited, "lru"};
    QTest::newRow("host") << std::vector<LowerTierSpec>{host} << false << -1 << -1 << -1;
    QTest::newRow("host+remote, write-back")
        << std::vector<LowerTierSpec>{host, remote} << false << 1 << 2 << 2;
    QTest::newRow("host+remote, write-through")
        << std::vector<LowerTierSpec>{host, remote} << true << 1 << 6 << 6;
  }
  void handTrace() {
    QFETCH(std::vector<LowerTierSpec>, lower);
    QFETCH(bool, writeThrough);
    QFETCH(int, remoteHits);
    QFETCH(int, remoteBytesIn);
    QFETCH(int, remoteEntries);
    const ReplayResult r = replayHandTrace(lower, writeThrough);
    QCOMPARE(r.promptTokens, std::uint64_t(13));
    QCOMPARE(r.tiers.size(), lower.size() + 1);
    const TierReport* device = find(r.tiers, "device");
    QVERIFY(device);
    QCOMPARE(device->hitTokens, std::uint64_t(0));
    QCOMPARE(device->evictions, std::uint64_t(11));
    QCOMPARE(device->entries, std::uint64_t(2));
    QCOMPARE(device->bytesOut, std::uint64_t(11));  // demoted out of it
    const TierReport* host = find(r.tiers, "host");
    QVERIFY(host);
    QCOMPARE(host->hits, std::uint64_t(6));
    QCOMPARE(host->hitTokens, std::uint64_t(6));
    QCOMPARE(host->misses, std::uint64_t(5));
    QCOMPARE(host->entries, std::uint64_t(3));
    QCOMPARE(host->evictions, std::uint64_t(2));
    QCOMPARE(host->bytesIn, std::uint64_t(11));
    QCOMPARE(host->bytesOut, std::uint64_t(6));
    QCOMPARE(host->transferMs, 25.0);
    QVERIFY(host->transferCostModel);
    const TierReport* remote = find(r.tiers, "remote");
    QCOMPARE(remote != nullptr, remoteHits >= 0);
    std::uint64_t total = 6;
    if (remote) {
      QCOMPARE(remote->hits, std::uint64_t(remoteHits));
      QCOMPARE(remote->hitTokens, std::uint64_t(remoteHits));
      QCOMPARE(remote->misses, std::uint64_t(4));
      QCOMPARE(remote->bytesIn, std::uint64_t(remoteBytesIn));
      QCOMPARE(remote->bytesOut, std::uint64_t(1));
      QCOMPARE(remote->entries, std::uint64_t(remoteEntries));
      total += std::uint64_t(remoteHits);
      QCOMPARE(device->bytesIn, std::uint64_t(7));  // promoted into it: 6 from host + 1 from remote
    } else {
      QCOMPARE(device->bytesIn, std::uint64_t(6));
    }
    QCOMPARE(r.hitTokens, total);  // every tier's hits
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
