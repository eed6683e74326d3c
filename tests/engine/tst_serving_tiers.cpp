// SPDX-License-Identifier: MIT
// Tiers under the serving engine's pool and in a serving fleet (ServingConfig::hostBlocks/remoteBlocks,
// `kvlab-cli fleet --serving --host-tokens/--remote-tokens`), the one TierHierarchy's rules:
//  - a host tier per engine, worked by hand: the pool's eviction demotes a block, a later request's walk
//    loads it past its pool hits, the exclusive rule moves it out of the host tier, every transfer batch
//    costs latency + bytes / bandwidth;
//  - one remote tier shared by a fleet's replicas, worked by hand: what one replica computed (written
//    through) another one loads; written back, it would not be there;
//  - property: a fleet of one replica gives exactly what one serving engine with the same tiers gives (the
//    fleet's shared remote engine vs the engine's own), on the fixture and on a slice of the public
//    conversation trace;
//  - the CLI: per-tier figures in JSON, tier flags refused without --serving;
//  - a tier's capacity in tokens as whole blocks (tierBlocksFromTokens, the CLI's and the GUI's one rule).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/fleet/serving_fleet.h"
#include "core/hardware/hardware_profile.h"
#include "core/serving/serving_engine.h"
#include "core/serving/serving_simulator.h"
#include "core/tiers/tier_capacity.h"
#include "core/util/input_error.h"
#include "core/trace/mooncake_trace_reader.h"
#include "test_requirements.h"
#include "unit_step_serving.h"

using namespace kvlab;
using kvlab::test::request;

namespace {

// llama-3-8b (128 KiB of K/V per token) in blocks of 4 tokens; a PCIe of 1 GB/s + 0.01 ms and a network of
// 0.5 GB/s + 0.2 ms, so a block batch's time is worked by hand below.
ServingConfig tieredConfig(std::uint32_t poolBlocks) {
  ServingConfig c;
  c.model = *findModelPreset("llama-3-8b");
  c.hardware = *findHardwareProfile("h100-sxm");
  c.blockSize = 4;
  c.poolBlocks = poolBlocks;
  c.maxBatchedTokens = 1024;
  c.checkInvariants = true;
  c.tierCost = TierCostModel{1e9, 0.01, 0.5e9, 0.2};
  return c;
}

constexpr double kBlockBytes = 131072.0 * 4;  // llama-3-8b fp16: 32 layers x 8 KV heads x 128 x 2 x 2 B
double pcieMs(double blocks) { return 0.01 + 1e3 * blocks * kBlockBytes / 1e9; }
double networkMs(double blocks) { return 0.2 + 1e3 * blocks * kBlockBytes / 0.5e9; }

const TierReport* tier(const std::vector<TierReport>& tiers, const char* name) {
  for (const TierReport& t : tiers)
    if (t.name == name) return &t;
  return nullptr;
}

// Exact equality: the same steps on the same doubles give the same numbers.
void compareWithTiers(const ServingResult& got, const ServingResult& want) {
  QCOMPARE(got.requests.size(), want.requests.size());
  for (std::size_t i = 0; i < got.requests.size(); ++i) {
    const ServingRequestResult &a = got.requests[i], &b = want.requests[i];
    QCOMPARE(a.hitTokens, b.hitTokens);
    QCOMPARE(a.tierHitTokens, b.tierHitTokens);
    QCOMPARE(a.preemptions, b.preemptions);
    QCOMPARE(a.recomputeHitTokens, b.recomputeHitTokens);
    QCOMPARE(a.firstTokenS, b.firstTokenS);
    QCOMPARE(a.finishS, b.finishS);
  }
  QCOMPARE(got.summary.evictions, want.summary.evictions);
  QCOMPARE(got.tiers.size(), want.tiers.size());
  for (std::size_t t = 0; t < got.tiers.size(); ++t) {
    const TierReport &a = got.tiers[t], &b = want.tiers[t];
    QCOMPARE(a.name, b.name);
    QCOMPARE(a.hits, b.hits);
    QCOMPARE(a.hitTokens, b.hitTokens);
    QCOMPARE(a.misses, b.misses);
    QCOMPARE(a.bytesIn, b.bytesIn);
    QCOMPARE(a.bytesOut, b.bytesOut);
    QCOMPARE(a.entries, b.entries);
    QCOMPARE(a.evictions, b.evictions);
    QCOMPARE(a.transferMs, b.transferMs);
  }
}

}  // namespace

class TestServingTiers : public QObject {
  Q_OBJECT
private slots:
  void hostTierHandWorked();
  void sharedRemoteServesAnotherReplica_data();
  void sharedRemoteServesAnotherReplica();
  void oneReplicaFleetEqualsEngine_data();
  void oneReplicaFleetEqualsEngine();
  void tiersNeedThePrefixCache();
  void cliReportsTiersAndRefusesThemWithoutServing();
  void cliSimulateEqualsOneReplicaFleet();
  void tierCapacityInWholeBlocks();
};

void TestServingTiers::hostTierHandWorked() {
  // Pool 4 blocks, host 2. Prompts of 9 tokens: blocks h_a, h_b full, the 9th token in a private block.
  //  R1 [1,2]: 3 plain blocks; files h1, h2; done: free queue (LRU first) h2, h1 + 2 plain.
  //  R2 [3,4]: 2 plain + evicts h2 -> host {h2} (one PCIe write batch); files h3, h4; queue h1, h4, h3.
  //  R3 [1,2]: pool hit h1, then the host walk serves h2 (1 block, a PCIe read batch): 8 tokens not
  //    computed, 4 of them loaded. Allocating 2 blocks takes the plain one and evicts h4 -> host {h2, h4}
  //    (a write batch); filing h2 in the pool removes it from the host (exclusive): host {h4}.
  // Host: 1 hit (4 tokens), 2 misses (R1 and R2 asked it for their first block), 2 blocks in, 1 out,
  // 1 held, no eviction, 3 batches of one block. Without the host tier R3 hits only h1 (4 tokens).
  const std::vector<TraceRequest> trace = {request(0, 9, 1, {1, 2}), request(10000, 9, 1, {3, 4}),
                                           request(20000, 9, 1, {1, 2})};
  ServingConfig c = tieredConfig(4);
  const ServingResult without = ServingSimulator(c).run(trace);
  QCOMPARE(without.requests[2].hitTokens, 4u);
  QVERIFY(without.tiers.empty());

  c.hostBlocks = 2;
  const ServingResult with = ServingSimulator(c).run(trace);
  QCOMPARE(with.requests[0].hitTokens, 0u);
  QCOMPARE(with.requests[1].hitTokens, 0u);
  QCOMPARE(with.requests[2].hitTokens, 8u);
  QCOMPARE(with.requests[2].tierHitTokens, 4u);
  QCOMPARE(with.summary.tierHitTokens, std::uint64_t(4));
  QCOMPARE(with.summary.evictions, std::uint64_t(2));
  QCOMPARE(with.tiers.size(), std::size_t(1));
  const TierReport& host = with.tiers[0];
  QCOMPARE(host.name, std::string("host"));
  QCOMPARE(host.hits, std::uint64_t(1));
  QCOMPARE(host.hitTokens, std::uint64_t(4));
  QCOMPARE(host.misses, std::uint64_t(2));
  QCOMPARE(host.bytesIn, std::uint64_t(2 * kBlockBytes));
  QCOMPARE(host.bytesOut, std::uint64_t(kBlockBytes));
  QCOMPARE(host.entries, std::uint64_t(1));
  QCOMPARE(host.evictions, std::uint64_t(0));
  QVERIFY(host.transferCostModel);
  QVERIFY(qFuzzyCompare(host.transferMs, 3 * pcieMs(1)));
  // The load is on R3's path: its TTFT is the cost model's step plus one block's PCIe read. The same step
  // without the load is R3 of a run whose PCIe is free of cost (latency 0, bandwidth ~infinite).
  ServingConfig freeLink = c;
  freeLink.tierCost.pcieBytesPerS = 1e30;
  freeLink.tierCost.pcieLatencyMs = 0;
  const ServingResult free = ServingSimulator(freeLink).run(trace);
  QCOMPARE(free.requests[2].hitTokens, 8u);
  const double added = with.requests[2].ttftMs() - free.requests[2].ttftMs();
  QVERIFY2(std::abs(added - pcieMs(1)) < 1e-6, qPrintable(QString::number(added)));
}

void TestServingTiers::sharedRemoteServesAnotherReplica_data() {
  QTest::addColumn<bool>("writeThrough");
  QTest::newRow("write-through") << true;
  QTest::newRow("write-back") << false;
}

void TestServingTiers::sharedRemoteServesAnotherReplica() {
  // Two replicas, round-robin, one remote tier. R1 [1,2] on replica 0 asks the remote for block 0 (a miss)
  // and computes; written through, h1 and h2 go to the shared remote at once (one network batch of 2
  // blocks). R2 [1,2] on replica 1 has nothing in its own pool, and loads both blocks from the remote: 8
  // tokens not computed (one read batch of 2). Written back, nothing was evicted, so R2 computes all.
  QFETCH(bool, writeThrough);
  ServingFleetConfig c;
  c.replica = tieredConfig(4);
  c.replica.remoteBlocks = 100;
  c.replica.remoteWriteThrough = writeThrough;
  c.replicas = 2;
  c.router = "round-robin";
  const ServingFleetResult f = simulateFleet({request(0, 9, 1, {1, 2}), request(10000, 9, 1, {1, 2})}, c);
  QCOMPARE(f.replicas[1].requests.at(0).hitTokens, writeThrough ? 8u : 0u);
  QCOMPARE(f.replicas[1].requests.at(0).tierHitTokens, writeThrough ? 8u : 0u);
  QCOMPARE(f.tierHitTokens, std::uint64_t(writeThrough ? 8 : 0));
  const TierReport* remote = tier(f.tiers, "remote");
  QVERIFY(remote);
  QVERIFY(!tier(f.tiers, "host"));
  QCOMPARE(remote->hits, std::uint64_t(writeThrough ? 2 : 0));
  QCOMPARE(remote->misses, std::uint64_t(writeThrough ? 1 : 2));
  QCOMPARE(remote->entries, std::uint64_t(writeThrough ? 2 : 0));  // once, not once per replica
  QCOMPARE(remote->bytesIn, std::uint64_t(writeThrough ? 2 * kBlockBytes : 0));
  QCOMPARE(remote->bytesOut, std::uint64_t(writeThrough ? 2 * kBlockBytes : 0));
  QVERIFY(qFuzzyCompare(1 + remote->transferMs, 1 + (writeThrough ? 2 * networkMs(2) : 0.0)));
  // Per replica: replica 0 wrote, replica 1 read.
  QCOMPARE(tier(f.replicas[0].tiers, "remote")->misses, std::uint64_t(1));
  QCOMPARE(tier(f.replicas[1].tiers, "remote")->hits, std::uint64_t(writeThrough ? 2 : 0));
}

void TestServingTiers::oneReplicaFleetEqualsEngine_data() {
  QTest::addColumn<QString>("trace");
  QTest::addColumn<quint32>("blockSize");
  QTest::addColumn<quint32>("poolBlocks");
  QTest::addColumn<quint64>("hostBlocks");
  QTest::addColumn<quint64>("remoteBlocks");
  QTest::addColumn<bool>("writeThrough");
  const QString fixture = QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl");
  const QString conversation = QStringLiteral(KVLAB_SHARED_DATA_DIR "/conversation_trace.jsonl");
  for (const auto& [name, path, bs, pool] :
       {std::tuple{"fixture", fixture, 16u, 24u}, std::tuple{"conversation", conversation, 512u, 80u}}) {
    QTest::addRow("%s host", name) << path << bs << pool << quint64(pool) << quint64(0) << true;
    QTest::addRow("%s remote", name) << path << bs << pool << quint64(0) << quint64(2 * pool) << true;
    QTest::addRow("%s host+remote through", name)
        << path << bs << pool << quint64(pool / 2) << quint64(pool) << true;
    QTest::addRow("%s host+remote back", name)
        << path << bs << pool << quint64(pool / 2) << quint64(pool) << false;
  }
}

void TestServingTiers::oneReplicaFleetEqualsEngine() {
  QFETCH(QString, trace);
  QFETCH(quint32, blockSize);
  QFETCH(quint32, poolBlocks);
  QFETCH(quint64, hostBlocks);
  QFETCH(quint64, remoteBlocks);
  QFETCH(bool, writeThrough);
  KVLAB_REQUIRE_SHARED_DATA(trace);
  std::vector<TraceRequest> requests = readWholeTrace(trace.toStdString());
  if (requests.size() > 1500) requests.resize(1500);  // a slice: CI time
  ServingFleetConfig c;
  c.replica = tieredConfig(poolBlocks);
  c.replica.blockSize = blockSize;
  c.replica.maxBatchedTokens = 8192;
  c.replica.hostBlocks = hostBlocks;
  c.replica.remoteBlocks = remoteBlocks;
  c.replica.remoteWriteThrough = writeThrough;
  c.replicas = 1;
  c.router = "kv-aware";
  const ServingFleetResult fleet = simulateFleet(requests, c);
  const ServingResult single = ServingSimulator(c.replica).run(requests);
  compareWithTiers(fleet.replicas.at(0), single);
  compareWithTiers(ServingResult{fleet.replicas[0].summary, fleet.replicas[0].requests, {}, fleet.tiers},
                   single);
  QVERIFY2(single.summary.tierHitTokens > 0, "the case should exercise the tiers");
}

void TestServingTiers::tiersNeedThePrefixCache() {
  ServingConfig c = tieredConfig(4);
  c.prefixCache = false;
  c.hostBlocks = 2;
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ServingEngine{c});
}

void TestServingTiers::cliReportsTiersAndRefusesThemWithoutServing() {
  const QStringList common = {QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl"),
                              "--block-size",
                              "16",
                              "--replicas",
                              "2",
                              "--host-tokens",
                              "768",
                              "--remote-tokens",
                              "unlimited"};
  QProcess fleet;
  fleet.start(
      QStringLiteral(KVLAB_CLI_PATH),
      QStringList{"fleet", "--serving", "--pool-blocks", "24", "--router", "kv-aware", "--json"} + common);
  QVERIFY(fleet.waitForFinished(120000));
  QCOMPARE(fleet.exitCode(), 0);
  const QJsonObject j = QJsonDocument::fromJson(fleet.readAllStandardOutput()).object();
  const QJsonObject tiers = j["tiers"].toObject();
  QVERIFY(tiers.contains("host") && tiers.contains("remote"));
  QCOMPARE(tiers["host"].toObject()["transfer_source"].toString(), QStringLiteral("cost model"));
  QCOMPARE(j["config"].toObject()["host_blocks_per_replica"].toInteger(), 48);  // 768 tokens / 16
  const double tierHits =
      tiers["host"].toObject()["hit_tokens"].toDouble() + tiers["remote"].toObject()["hit_tokens"].toDouble();
  QCOMPARE(j["tier_hit_tokens"].toDouble(), tierHits);

  QProcess replayFleet;
  replayFleet.start(QStringLiteral(KVLAB_CLI_PATH),
                    QStringList{"fleet", "--max-tokens", "4096", "--router", "round-robin"} + common);
  QVERIFY(replayFleet.waitForFinished(120000));
  QCOMPARE(replayFleet.exitCode(), 2);
  const QString err = QString::fromUtf8(replayFleet.readAllStandardError());
  QVERIFY2(err.contains("host-tokens") && err.contains("--serving"), qPrintable(err));
}

void TestServingTiers::cliSimulateEqualsOneReplicaFleet() {
  // `simulate` with tier flags = `fleet --serving --replicas 1` with the same flags (two code paths: the
  // engine's own remote tier vs the fleet's shared one), and the device's hit tokens + the tiers' = all.
  const QStringList common = {QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl"),
                              "--block-size",
                              "16",
                              "--pool-blocks",
                              "24",
                              "--host-tokens",
                              "192",
                              "--remote-tokens",
                              "768",
                              "--json"};
  QProcess sim, fleet;
  sim.start(QStringLiteral(KVLAB_CLI_PATH), QStringList{"simulate"} + common);
  fleet.start(QStringLiteral(KVLAB_CLI_PATH), QStringList{"fleet", "--serving", "--replicas", "1"} + common);
  QVERIFY(sim.waitForFinished(120000) && fleet.waitForFinished(120000));
  QCOMPARE(sim.exitCode(), 0);
  QCOMPARE(fleet.exitCode(), 0);
  const QJsonObject run =
      QJsonDocument::fromJson(sim.readAllStandardOutput())["runs"].toArray().at(0).toObject();
  const QJsonObject f = QJsonDocument::fromJson(fleet.readAllStandardOutput()).object();
  QVERIFY(run["tier_hit_tokens"].toDouble() > 0);
  QCOMPARE(run["tier_hit_tokens"], f["tier_hit_tokens"]);
  QCOMPARE(run["token_hit_rate"], f["token_hit_rate"]);
  QCOMPARE(run["ttft_ms_p99"], f["ttft_ms_p99"]);
  const QJsonObject tiers = run["tiers"].toObject();
  for (const char* name : {"host", "remote"})
    for (const char* key : {"hits", "misses", "bytes_in", "entries", "evictions", "transfer_ms"})
      QCOMPARE(tiers[name].toObject()[key], f["tiers"].toObject()[name].toObject()[key]);
  QCOMPARE(tiers["device"].toObject()["hit_tokens"].toDouble() + run["tier_hit_tokens"].toDouble(),
           f["hit_tokens"].toDouble());
}

void TestServingTiers::tierCapacityInWholeBlocks() {
  // Blocks of 16 tokens: 0 tokens = no tier; 16 -> 1 block; 47 -> 2 (rounded down); 48 -> 3.
  QCOMPARE(tierBlocksFromTokens(0, 16, "host tier"), std::uint64_t(0));
  QCOMPARE(tierBlocksFromTokens(16, 16, "host tier"), std::uint64_t(1));
  QCOMPARE(tierBlocksFromTokens(47, 16, "host tier"), std::uint64_t(2));
  QCOMPARE(tierBlocksFromTokens(48, 16, "host tier"), std::uint64_t(3));
  // 15 tokens cannot hold one block: refused, naming the field and the block size.
  try {
    tierBlocksFromTokens(15, 16, "remote-tokens");
    QFAIL("15 tokens in blocks of 16 were accepted");
  } catch (const InputError& e) {
    const QString what = QString::fromUtf8(e.what());
    QVERIFY2(what.contains("'remote-tokens'") && what.contains("one block of 16 tokens"), qPrintable(what));
  }
}

KVLAB_TEST_GUILESS_MAIN(TestServingTiers)
#include "tst_serving_tiers.moc"
