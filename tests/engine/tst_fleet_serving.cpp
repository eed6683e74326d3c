// SPDX-License-Identifier: MIT
// A fleet of serving replicas (core/fleet/serving_fleet.h, `kvlab-cli fleet --serving`):
//  - hand-worked routing where least-loaded reads waiting + running, and kv-aware reads the pools' real
//    cache state through the event-fed KvBlockIndex (trading reuse for load by --load-weight);
//  - the KvBlockIndex mirrors every replica's pool after every request (stored and evicted hashes);
//  - identities: one replica = ServingSimulator::run on the whole trace; round-robin: replica i =
//    ServingSimulator::run on requests i, i+N, ... (the independent reference is the serving simulator's
//    own run(), whose results are hand-checked in tst_serving_scheduler);
//  - every request completed or rejected;
//  - through kvlab-cli: `fleet --serving --replicas 1` JSON = `simulate --format json`.
// The hand-worked cases use tst_serving_scheduler's unit-step model: every step takes exactly 1 ms.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include "core/arch/model_presets.h"
#include "core/trace/mooncake_trace_reader.h"
#include "core/fleet/kv_block_index.h"
#include "core/fleet/router_registry.h"
#include "core/fleet/serving_fleet.h"
#include "core/serving/serving_engine.h"
#include "core/serving/serving_simulator.h"
#include "unit_step_serving.h"

using namespace kvlab;
using kvlab::test::request;
using kvlab::test::unitStepConfig;

namespace {

// A real preset on a real profile, with a pool small enough to evict and preempt on the fixture.
ServingConfig realConfig(std::uint32_t poolBlocks) {
  ServingConfig c;
  c.model = *findModelPreset("llama-3-8b");
  c.hardware = *findHardwareProfile("h100-sxm");
  c.blockSize = 16;
  c.poolBlocks = poolBlocks;
  c.maxBatchedTokens = 96;
  c.maxRunning = 4;
  c.checkInvariants = true;
  return c;
}

std::vector<TraceRequest> fixture() { return readWholeTrace(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl"); }

// Exact equality: the same steps on the same doubles give the same numbers.
void compareResults(const ServingResult& got, const ServingResult& want) {
  QCOMPARE(got.requests.size(), want.requests.size());
  for (std::size_t i = 0; i < got.requests.size(); ++i) {
    const ServingRequestResult &a = got.requests[i], &b = want.requests[i];
    QCOMPARE(a.index, b.index);
    QCOMPARE(a.arrivalS, b.arrivalS);
    QCOMPARE(a.completed, b.completed);
    QCOMPARE(a.rejectReason, b.rejectReason);
    QCOMPARE(a.hitTokens, b.hitTokens);
    QCOMPARE(a.preemptions, b.preemptions);
    QCOMPARE(a.recomputedTokens, b.recomputedTokens);
    QCOMPARE(a.firstTokenS, b.firstTokenS);
    QCOMPARE(a.finishS, b.finishS);
  }
  const ServingSummary &s = got.summary, &t = want.summary;
  QCOMPARE(s.requests, t.requests);
  QCOMPARE(s.completed, t.completed);
  QCOMPARE(s.rejected, t.rejected);
  QCOMPARE(s.steps, t.steps);
  QCOMPARE(s.ttftMsP50, t.ttftMsP50);
  QCOMPARE(s.ttftMsP99, t.ttftMsP99);
  QCOMPARE(s.tpotMsP50, t.tpotMsP50);
  QCOMPARE(s.hitTokens, t.hitTokens);
  QCOMPARE(s.evictions, t.evictions);
  QCOMPARE(s.preemptions, t.preemptions);
  QCOMPARE(s.poolPeakBlocks, t.poolPeakBlocks);
  QCOMPARE(s.meanWaiting, t.meanWaiting);
  QCOMPARE(s.meanInSystem, t.meanInSystem);
  QCOMPARE(s.simDurationS, t.simDurationS);
}

std::vector<QString> servingRouters() {
  std::vector<QString> names;
  for (const RouterInfo& info : routerRegistry())
    if (!info.sharedCache) names.push_back(QString::fromStdString(info.name));
  return names;
}

}  // namespace

class TestFleetServing : public QObject {
  Q_OBJECT
private slots:
  void leastLoadedReadsWaitingAndRunning();
  void kvAwareReadsPoolCache_data();
  void kvAwareReadsPoolCache();
  void indexMirrorsPools_data();
  void indexMirrorsPools();
  void oneReplicaEqualsSimulate_data();
  void oneReplicaEqualsSimulate();
  void roundRobinReplicaEqualsSubTrace_data();
  void roundRobinReplicaEqualsSubTrace();
  void everyRequestCompletedOrRejected_data();
  void everyRequestCompletedOrRejected();
  void engineRejectsOutOfOrder();
  void sharedCacheRouterRefused();
  void cliOneReplicaEqualsSimulate();
  void cliAllRoutersJsonAndCsv();
};

void TestFleetServing::leastLoadedReadsWaitingAndRunning() {
  // Two replicas, unit steps (1 ms), block 4, budget 64. Loads are waiting + running + routed-but-unseen at
  // each arrival, after both replicas advanced to it:
  //  r0 @0 (8 prompt, 5 out): loads [0,0] -> 0. Replica 0: prefill 0-1 ms, tokens at 1,2,3,4,5 ms: done 5.
  //  r1 @0 (4 prompt, 1 out): loads [1,0] (r0 routed, not yet stepped) -> 1. Replica 1: 0-1 ms, done at 1.
  //  r2 @1 (4 prompt, 3 out): replica 0 runs r0, replica 1 idle: [1,0] -> 1 (requests-so-far would say
  //        [1,1] -> 0). Replica 1: tokens at 2,3,4 ms: done at 4.
  //  r3 @4 (4 prompt, 1 out): steps 3-4 ran on both (they start before 4); r2 finished at 4: [1,0] -> 1.
  //  r4 @4 (4 prompt, 1 out): replica 0 runs r0, replica 1 has r3 routed at this instant: [1,1] -> 0.
  // Every request's first token comes 1 ms after its arrival (one prefill step, nothing queued behind).
  ServingFleetConfig c;
  c.replica = unitStepConfig(4, 100, 64);
  c.replicas = 2;
  c.router = "least-loaded";
  ServingFleet fleet(c);
  const std::vector<TraceRequest> trace = {request(0, 8, 5), request(0, 4, 1), request(1, 4, 3),
                                           request(4, 4, 1), request(4, 4, 1)};
  const std::vector<std::vector<std::uint64_t>> loads = {{0, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 1}};
  const std::vector<std::size_t> targets = {0, 1, 1, 1, 0};
  for (std::size_t i = 0; i < trace.size(); ++i) {
    QCOMPARE(fleet.route(trace[i]), targets[i]);
    const std::vector<std::uint64_t> seen(fleet.load().begin(), fleet.load().end());
    QCOMPARE(seen, loads[i]);
  }
  const ServingFleetResult r = fleet.finish();
  QCOMPARE(r.routing[0], (std::vector<std::uint32_t>{0, 4}));
  QCOMPARE(r.routing[1], (std::vector<std::uint32_t>{1, 2, 3}));
  QCOMPARE(r.completed, 5u);
  QVERIFY(std::abs(r.ttftMsP50 - 1) < 1e-9 && std::abs(r.ttftMsP99 - 1) < 1e-9);
  QVERIFY(std::abs(r.replicas[0].requests[0].latencyMs() - 5) < 1e-9);  // r0
  QVERIFY(std::abs(r.replicas[1].requests[1].latencyMs() - 3) < 1e-9);  // r2: 1 -> 4 ms
  // Routed prompt tokens: replica 0 8 + 4 = 12, replica 1 12 -> perfectly even.
  QCOMPARE(r.loadImbalance(), 1.0);
}

void TestFleetServing::kvAwareReadsPoolCache_data() {
  QTest::addColumn<double>("loadWeight");
  QTest::addColumn<quint64>("r3Target");
  QTest::addColumn<quint32>("r3HitTokens");
  // r3's scores: replica 0 = 2 cached blocks - w x load 1; replica 1 = 0 - w x 0.
  QTest::newRow("w=1: reuse wins (2-1 > 0)") << 1.0 << quint64(0) << quint32(8);
  QTest::newRow("w=3: load wins (2-3 < 0)") << 3.0 << quint64(1) << quint32(0);
}

void TestFleetServing::kvAwareReadsPoolCache() {
  QFETCH(double, loadWeight);
  QFETCH(quint64, r3Target);
  QFETCH(quint32, r3HitTokens);
  // Two replicas, unit steps, block 4.
  //  r0 @0 (8 prompt [1,2], 1 out): overlap [0,0], loads [0,0] -> 0; its 2 full blocks are hashed at 1 ms
  //        (stored events 1, 2 on replica 0), then cached-free when it finishes.
  //  r1 @0 (4 prompt [9]): overlap [0,0], loads [1,0]: scores -w, 0 -> 1.
  //  r2 @10 (4 prompt [5]): both idle, overlap [0,0] -> 0 (tie, lowest index). Now loads [1,0].
  //  r3 @10 (12 prompt [1,2,3]): the index lists [1,2] on replica 0: overlap [2,0].
  //        On replica 0 it hits min(3 full, (12-1)/4 = 2) blocks = 8 tokens; on replica 1 nothing.
  ServingFleetConfig c;
  c.replica = unitStepConfig(4, 100, 64);
  c.replicas = 2;
  c.router = "kv-aware";
  c.routerParams.loadWeight = loadWeight;
  ServingFleet fleet(c);
  QCOMPARE(fleet.route(request(0, 8, 1, {1, 2})), std::size_t(0));
  QCOMPARE(fleet.route(request(0, 4, 1, {9})), std::size_t(1));
  QCOMPARE(fleet.route(request(10, 4, 1, {5})), std::size_t(0));
  std::vector<std::uint32_t> overlap;
  const std::vector<std::uint64_t> r3 = {1, 2, 3};
  fleet.index().leadingBlocks(std::span<const std::uint64_t>(r3), overlap);
  QCOMPARE(overlap, (std::vector<std::uint32_t>{2, 0}));
  QCOMPARE(fleet.route(request(10, 12, 1, r3)), std::size_t(r3Target));
  const ServingFleetResult r = fleet.finish();
  const ServingResult& target = r.replicas[r3Target];
  QCOMPARE(target.requests.back().hitTokens, r3HitTokens);
  QCOMPARE(r.completed, 4u);
}

void TestFleetServing::indexMirrorsPools_data() {
  QTest::addColumn<QString>("router");
  QTest::addColumn<quint32>("poolBlocks");
  for (const QString& router : {QStringLiteral("kv-aware"), QStringLiteral("round-robin")})
    for (const quint32 pool : {24u, 60u, 400u})  // 24: evicts constantly
      QTest::addRow("%s pool %u", qPrintable(router), pool) << router << pool;
}

void TestFleetServing::indexMirrorsPools() {
  // After every request, for every replica: the index holds exactly as many blocks as the pool has hashed,
  // and the leading run it reports for the request is what the pool itself would find.
  QFETCH(QString, router);
  QFETCH(quint32, poolBlocks);
  ServingFleetConfig c;
  c.replica = realConfig(poolBlocks);
  c.replicas = 3;
  c.router = router.toStdString();
  ServingFleet fleet(c);
  std::vector<std::uint32_t> overlap;
  std::uint64_t stored = 0;
  for (const TraceRequest& req : fixture()) {
    fleet.route(req);
    fleet.index().leadingBlocks(std::span<const std::uint64_t>(req.hashIds), overlap);
    for (std::size_t r = 0; r < fleet.replicaCount(); ++r) {
      QCOMPARE(fleet.index().heldBlocks(r), std::uint64_t(fleet.replica(r).hashedBlocks()));
      QCOMPARE(overlap[r], fleet.replica(r).cachedLeadingBlocks(req.hashIds));
      stored += fleet.index().heldBlocks(r);
    }
  }
  QVERIFY(stored > 0);  // the check saw a populated index
  const ServingFleetResult r = fleet.finish();
  if (poolBlocks == 24) QVERIFY(r.evictions > 0);  // removals were exercised
}

void TestFleetServing::oneReplicaEqualsSimulate_data() {
  QTest::addColumn<QString>("router");
  QTest::addColumn<quint32>("poolBlocks");
  QTest::addColumn<double>("speed");
  for (const QString& router : servingRouters())
    for (const quint32 pool : {24u, 400u})
      for (const double speed : {1.0, 20.0})
        QTest::addRow("%s pool %u speed %g", qPrintable(router), pool, speed) << router << pool << speed;
}

void TestFleetServing::oneReplicaEqualsSimulate() {
  QFETCH(QString, router);
  QFETCH(quint32, poolBlocks);
  QFETCH(double, speed);
  ServingFleetConfig c;
  c.replica = realConfig(poolBlocks);
  c.replica.speed = speed;
  c.replicas = 1;
  c.router = router.toStdString();
  const std::vector<TraceRequest> trace = fixture();
  const ServingFleetResult fleet = simulateFleet(trace, c);
  const ServingResult single = ServingSimulator(c.replica).run(trace);
  QCOMPARE(fleet.replicas.size(), std::size_t(1));
  compareResults(fleet.replicas[0], single);
  QCOMPARE(fleet.ttftMsP50, single.summary.ttftMsP50);
  QCOMPARE(fleet.ttftMsP99, single.summary.ttftMsP99);
  QCOMPARE(fleet.tokenHitRate(), single.summary.tokenHitRate);
}

void TestFleetServing::roundRobinReplicaEqualsSubTrace_data() {
  QTest::addColumn<int>("replicas");
  QTest::addColumn<quint32>("poolBlocks");
  QTest::addColumn<double>("speed");
  for (const int n : {2, 3, 5})
    for (const quint32 pool : {24u, 400u})
      for (const double speed : {1.0, 20.0})
        QTest::addRow("N=%d pool %u speed %g", n, pool, speed) << n << pool << speed;
}

void TestFleetServing::roundRobinReplicaEqualsSubTrace() {
  QFETCH(int, replicas);
  QFETCH(quint32, poolBlocks);
  QFETCH(double, speed);
  ServingFleetConfig c;
  c.replica = realConfig(poolBlocks);
  c.replica.speed = speed;
  c.replicas = std::size_t(replicas);
  c.router = "round-robin";
  const std::vector<TraceRequest> trace = fixture();
  const ServingFleetResult fleet = simulateFleet(trace, c);
  for (int r = 0; r < replicas; ++r) {
    std::vector<TraceRequest> sub;
    for (std::size_t i = std::size_t(r); i < trace.size(); i += std::size_t(replicas))
      sub.push_back(trace[i]);
    compareResults(fleet.replicas[std::size_t(r)], ServingSimulator(c.replica).run(sub));
  }
}

void TestFleetServing::everyRequestCompletedOrRejected_data() {
  QTest::addColumn<QString>("router");
  for (const QString& router : servingRouters()) QTest::newRow(qPrintable(router)) << router;
}

void TestFleetServing::everyRequestCompletedOrRejected() {
  QFETCH(QString, router);
  // The fixture plus two requests no 24-block pool of 16 tokens (384 slots) can hold (the fixture needs at
  // most 359): rejected.
  std::vector<TraceRequest> trace = fixture();
  const std::int64_t last = trace.back().timestampMs;
  trace.push_back(request(last, 400, 10));
  trace.push_back(request(last + 5, 300, 100));
  ServingFleetConfig c;
  c.replica = realConfig(24);
  c.replica.speed = 50;  // heavy load: queues and preemptions
  c.replicas = 4;
  c.router = router.toStdString();
  const ServingFleetResult r = simulateFleet(trace, c);
  QCOMPARE(r.requests, std::uint64_t(trace.size()));
  QCOMPARE(r.rejected, 2u);
  QCOMPARE(r.completed + r.rejected, r.requests);
  std::uint64_t routed = 0;
  for (std::size_t i = 0; i < r.replicas.size(); ++i) {
    const ServingResult& rep = r.replicas[i];
    QCOMPARE(rep.summary.completed + rep.summary.rejected, rep.summary.requests);
    for (const ServingRequestResult& q : rep.requests) QVERIFY(q.completed != !q.rejectReason.empty());
    QCOMPARE(std::uint64_t(r.routing[i].size()), rep.summary.requests);
    routed += r.routedRequests[i];
  }
  QCOMPARE(routed, std::uint64_t(trace.size()));
}

void TestFleetServing::engineRejectsOutOfOrder() {
  ServingFleetConfig c;
  c.replica = unitStepConfig(4, 10, 8);
  c.replicas = 2;
  ServingFleet fleet(c);
  fleet.route(request(5, 4, 1));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fleet.route(request(4, 4, 1)));
}

void TestFleetServing::sharedCacheRouterRefused() {
  ServingFleetConfig c;
  c.replica = unitStepConfig(4, 10, 8);
  c.replicas = 2;
  c.router = "oracle-shared";
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ServingFleet{c});
}

void TestFleetServing::cliOneReplicaEqualsSimulate() {
  // Through the binaries: every key of simulate's run object is in the replica's, with the same value
  // (wall time excepted: measured).
  const QStringList common = {QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl"),
                              "--block-size",
                              "16",
                              "--pool-blocks",
                              "24",
                              "--max-running",
                              "4",
                              "--max-batched-tokens",
                              "96",
                              "--speed",
                              "20"};
  QProcess sim, fleet;
  sim.start(QStringLiteral(KVLAB_CLI_PATH), QStringList{"simulate", "--format", "json"} + common);
  fleet.start(QStringLiteral(KVLAB_CLI_PATH), QStringList{"fleet", "--serving", "--replicas", "1", "--router",
                                                          "kv-aware", "--format", "json"} +
                                                  common);
  QVERIFY(sim.waitForFinished(120000) && fleet.waitForFinished(120000));
  QCOMPARE(sim.exitCode(), 0);
  QCOMPARE(fleet.exitCode(), 0);
  const QJsonObject s =
      QJsonDocument::fromJson(sim.readAllStandardOutput())["runs"].toArray().at(0).toObject();
  const QJsonObject f = QJsonDocument::fromJson(fleet.readAllStandardOutput()).object();
  const QJsonObject one = f["replicas"].toArray().at(0).toObject();
  int compared = 0;
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (!one.contains(it.key())) continue;
    QCOMPARE(one[it.key()], it.value());
    ++compared;
  }
  QVERIFY2(compared >= 20, qPrintable(QString::number(compared)));
  for (const char* key : {"ttft_ms_p50", "ttft_ms_p99", "completed", "rejected", "token_hit_rate"})
    QCOMPARE(f[key], s[key]);
  QVERIFY(f["figures"].toString().startsWith("cost model"));
}

void TestFleetServing::cliAllRoutersJsonAndCsv() {
  // --router all with --serving: every router but the shared-cache bound; the top-level fleet figures are
  // the replicas' sums; CSV: a cost-model comment, a header, N replica rows + 1 fleet row per router.
  const QStringList common = {"fleet",
                              QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl"),
                              "--block-size",
                              "16",
                              "--serving",
                              "--pool-blocks",
                              "30",
                              "--replicas",
                              "3",
                              "--router",
                              "all",
                              "--speed",
                              "10"};
  QProcess json, csv;
  json.start(QStringLiteral(KVLAB_CLI_PATH), common + QStringList{"--format", "json"});
  QVERIFY(json.waitForFinished(120000));
  QCOMPARE(json.exitCode(), 0);
  const QJsonArray results = QJsonDocument::fromJson(json.readAllStandardOutput())["results"].toArray();
  QCOMPARE(results.size(), qsizetype(servingRouters().size()));
  for (const QJsonValue& v : results) {
    const QJsonObject f = v.toObject();
    QVERIFY(f["router"].toString() != QStringLiteral("oracle-shared"));
    qint64 requests = 0, completed = 0, hit = 0;
    for (const QJsonValue& r : f["replicas"].toArray()) {
      requests += r.toObject()["requests"].toInteger();
      completed += r.toObject()["completed"].toInteger();
      hit += r.toObject()["hit_tokens"].toInteger();
    }
    QCOMPARE(requests, qint64(63));  // lines in the fixture
    QCOMPARE(f["requests"].toInteger(), requests);
    QCOMPARE(f["completed"].toInteger(), completed);
    QCOMPARE(f["hit_tokens"].toInteger(), hit);
  }
  csv.start(QStringLiteral(KVLAB_CLI_PATH), common + QStringList{"--format", "csv"});
  QVERIFY(csv.waitForFinished(120000));
  QCOMPARE(csv.exitCode(), 0);
  const QList<QByteArray> lines = csv.readAllStandardOutput().trimmed().split('\n');
  QVERIFY(lines.at(0).startsWith("# cost model"));
  QVERIFY(lines.at(1).startsWith("router,replica,requests"));
  QCOMPARE(lines.size(), qsizetype(2 + servingRouters().size() * 4));
}

QTEST_GUILESS_MAIN(TestFleetServing)
#include "tst_fleet_serving.moc"
