// SPDX-License-Identifier: MIT
// The serving simulator's scheduler on small cases worked by hand. The cost model is made trivial so the
// working is in steps: a model whose only weights are a 1000-byte LM head and whose K/V is 0 bytes, on a
// profile with 1e6 B/s and (practically) infinite FLOP/s, so every step takes exactly 1 ms (memory time =
// 1000 B / 1e6 B/s; compute time ~1e-27 s).
#include <QtTest>

#include "core/hardware/step_cost_model.h"
#include "core/serving/serving_simulator.h"
#include "unit_step_serving.h"

using namespace kvlab;
using kvlab::test::request;
using kvlab::test::unitStepConfig;

namespace {

struct Expected {
  double ttftMs, latencyMs, tpotMs;
  std::uint32_t hitTokens, preemptions;
};

void compareRequest(const ServingRequestResult& r, const Expected& e) {
  QVERIFY2(r.completed, r.rejectReason.c_str());
  QVERIFY(std::abs(r.ttftMs() - e.ttftMs) < 1e-6);
  QVERIFY(std::abs(r.latencyMs() - e.latencyMs) < 1e-6);
  QVERIFY(std::abs(r.tpotMs() - e.tpotMs) < 1e-6);
  QCOMPARE(r.hitTokens, e.hitTokens);
  QCOMPARE(r.preemptions, e.preemptions);
}

}  // namespace

class TestServingScheduler : public QObject {
  Q_OBJECT
private slots:
  void unitStepIsOneMillisecond();
  void admissionAndChunkedPrefill();
  void preemptionAndRecompute();
  void prefixHitWhileSharing();
  void sameStepHits_data();
  void sameStepHits();
  void generatedBlockIsCached();
  void maxRunningQueues();
  void rejectsWhatCannotFit();
};

void TestServingScheduler::unitStepIsOneMillisecond() {
  const ServingConfig c = unitStepConfig(4, 10, 8);
  const StepCostModel cost(c.model, c.hardware);
  QCOMPARE(cost.kvBytesPerToken(), std::uint64_t(0));
  StepLoad load;
  load.add(/*context=*/0, /*newTokens=*/5, /*logit=*/true);
  load.add(/*context=*/4, /*newTokens=*/3, /*logit=*/true);
  QCOMPARE(cost.cost(load).bytes, 1000.0);  // the LM head, read once per step
  QVERIFY(std::abs(cost.cost(load).seconds() - 1e-3) < 1e-15);
}

void TestServingScheduler::admissionAndChunkedPrefill() {
  // Block 4 tokens, 100 blocks, budget 8 tokens per step. r0: 10 prompt, 3 output; r1: 6 prompt, 2 output;
  // both at t = 0.
  //  step 1 (0-1 ms): admit r0, chunk 8 of 10; budget spent, r1 waits.
  //  step 2 (1-2): r0 its last 2 prompt tokens, then r1 admitted with all 6 (budget 6 left). At 2 ms both
  //                have their first token.
  //  step 3 (2-3): one decode each; r1 has its 2 tokens: done at 3 ms.
  //  step 4 (3-4): r0 decodes its 3rd token: done at 4 ms.
  // r0: TTFT 2, latency 4, TPOT (4-2)/2 = 1. r1: TTFT 2, latency 3, TPOT 1.
  // Time in system 4 + 3 = 7 ms over 4 ms -> mean 1.75; r1 waited 1 ms -> mean waiting 0.25.
  // Blocks: at step 3 r0 holds ceil(11/4) = 3, r1 ceil(7/4) = 2 -> peak 5.
  const ServingResult res =
      ServingSimulator(unitStepConfig(4, 100, 8)).run({request(0, 10, 3), request(0, 6, 2)});
  compareRequest(res.requests[0], {2, 4, 1, 0, 0});
  compareRequest(res.requests[1], {2, 3, 1, 0, 0});
  const ServingSummary& s = res.summary;
  QCOMPARE(s.completed, 2u);
  QCOMPARE(s.steps, 4u);
  QVERIFY(std::abs(s.simDurationS - 4e-3) < 1e-12);
  QVERIFY(std::abs(s.meanInSystem - 1.75) < 1e-9);
  QVERIFY(std::abs(s.meanWaiting - 0.25) < 1e-9);
  QCOMPARE(s.poolPeakBlocks, 5u);
  QCOMPARE(s.preemptions, 0u);
  QVERIFY(std::abs(s.throughputTokensPerS - 5 / 4e-3) < 1e-6);  // 5 output tokens in 4 ms
}

void TestServingScheduler::preemptionAndRecompute() {
  // Block 4, pool 4 blocks, budget 100, no prefix cache. r0: 8 prompt, 5 output (at most 12 K/V tokens,
  // 3 blocks); r1: 4 prompt, 5 output (8 tokens, 2 blocks); both at 0.
  //  step 1 (0-1): r0 prefill 8 (2 blocks), r1 prefill 4 (1 block); both first tokens at 1 ms. 1 block free.
  //  step 2 (1-2): r0 needs a 3rd block for token 9: takes the last one. r1 needs a 2nd block for token 5:
  //                none -> the newest running sequence, r1 itself, is preempted (4 computed tokens lost);
  //                no admission in a step that preempted.
  //  steps 3-5: r0 decodes alone (r1's recompute needs 5 tokens = 2 blocks, only 1 free); r0's 5th token at
  //             5 ms: done, 3 blocks freed.
  //  step 6 (5-6): r1 re-admitted: recompute prompt + its 1 generated token = 5 tokens; token 2 at 6 ms.
  //  steps 7-9: tokens 3, 4, 5: done at 9 ms.
  // r0: TTFT 1, latency 5, TPOT (5-1)/4 = 1. r1: TTFT 1 (recompute keeps the first token's time),
  // latency 9, TPOT (9-1)/4 = 2, 1 preemption, 4 recomputed tokens.
  // In system 5 + 9 = 14 ms over 9 ms; r1 waited from 1 to 5 ms -> mean waiting 4/9.
  const ServingResult res = ServingSimulator(unitStepConfig(4, 4, 100, 256, /*prefixCache=*/false))
                                .run({request(0, 8, 5), request(0, 4, 5)});
  compareRequest(res.requests[0], {1, 5, 1, 0, 0});
  compareRequest(res.requests[1], {1, 9, 2, 0, 1});
  QCOMPARE(res.requests[1].recomputedTokens, std::uint64_t(4));
  const ServingSummary& s = res.summary;
  QCOMPARE(s.preemptions, 1u);
  QCOMPARE(s.steps, 9u);
  QCOMPARE(s.poolPeakBlocks, 4u);
  QVERIFY(std::abs(s.meanInSystem - 14.0 / 9.0) < 1e-9);
  QVERIFY(std::abs(s.meanWaiting - 4.0 / 9.0) < 1e-9);

  // Same with the prefix cache and r1's one full prompt block hashed (id 5): at the preemption that block
  // becomes cached-free and nothing reallocates it (r0 needs no new block after step 2), so r1's recompute
  // hits its own 4 prompt tokens and computes 1. Admission needs the hit block (cached-free) plus 1 new:
  // 2 > 1 free until r0 finishes, so the times are as above; 4 recompute-hit tokens, 0 first-admission hits.
  const ServingResult cached =
      ServingSimulator(unitStepConfig(4, 4, 100)).run({request(0, 8, 5, {1, 2}), request(0, 4, 5, {5})});
  compareRequest(cached.requests[0], {1, 5, 1, 0, 0});
  compareRequest(cached.requests[1], {1, 9, 2, 0, 1});
  QCOMPARE(cached.requests[1].recomputeHitTokens, std::uint64_t(4));
  QCOMPARE(cached.summary.recomputeHitTokens, std::uint64_t(4));
}

void TestServingScheduler::prefixHitWhileSharing() {
  // Block 4, pool 100, budget 100. r0 at 0: 10 prompt tokens, hash ids [1, 2, 3], 4 output. r1 at 3 ms
  // with speed 2 -> arrives at 1.5 ms: 9 prompt tokens, hash ids [1, 2, 7], 2 output. Only full prompt
  // blocks are hashable: 2 for each (10 / 4 and 9 / 4).
  //  step 1 (0-1): r0 prefill 10; blocks 0, 1 get hashes 1, 2; first token at 1.
  //  step 2 (1-2): r0 decode (r1 not arrived yet).
  //  step 3 (2-3): r1 (waiting since 1.5) hits hashes 1 and 2, both in use by r0 (shared, ref 2): 8 tokens
  //                skipped, computes 1 token in a new 3rd block; its first token at 3 -> TTFT 1.5 ms.
  //  step 4 (3-4): r0's 4th token (done at 4, latency 4); r1's 2nd token (done at 4, latency 2.5).
  // r0 TPOT (4-1)/3 = 1; r1 TPOT (4-3)/1 = 1. Token hit rate 8 / 19.
  // Blocks at step 4: r0 ceil(13/4) = 4, r1 3 of which 2 shared -> 5 distinct in use.
  ServingConfig c = unitStepConfig(4, 100, 100);
  c.speed = 2;
  const ServingResult res =
      ServingSimulator(c).run({request(0, 10, 4, {1, 2, 3}), request(3, 9, 2, {1, 2, 7})});
  compareRequest(res.requests[0], {1, 4, 1, 0, 0});
  compareRequest(res.requests[1], {1.5, 2.5, 1, 8, 0});
  QVERIFY(std::abs(res.summary.tokenHitRate - 8.0 / 19.0) < 1e-12);
  QCOMPARE(res.summary.poolPeakBlocks, 5u);
  // Without the prefix cache r1 computes all 9 tokens in the same single step: same times here (a step
  // costs the same whatever it computes in this unit model), no hits, one more block.
  c.prefixCache = false;
  const ServingResult off =
      ServingSimulator(c).run({request(0, 10, 4, {1, 2, 3}), request(3, 9, 2, {1, 2, 7})});
  QCOMPARE(off.requests[1].hitTokens, 0u);
  QCOMPARE(off.summary.poolPeakBlocks, 7u);  // r0 4 + r1 ceil(10/4) = 3
}

void TestServingScheduler::sameStepHits_data() {
  QTest::addColumn<quint32>("budget");
  QTest::addColumn<quint64>("steps");
  QTest::newRow("budget 8192") << 8192u << quint64(1);
  QTest::newRow("budget 2500") << 2500u << quint64(2);
}

void TestServingScheduler::sameStepHits() {
  // Three identical 2,000-token prompts at t = 0 (ids 1-4, the 4th block partial), 1 output token each;
  // block 512, pool 100. vLLM files a block's hash when the block is scheduled (allocate_slots ->
  // cache_blocks), so requests admitted later in the same step hit it:
  //  step 1: r0 admitted, computes 2000 tokens; blocks 1, 2, 3 are full -> filed now. r1 admitted in the
  //          same step: hit limit (2000 - 1) / 512 = 3 blocks, all held by r0 -> 1536 hit tokens, 464 to
  //          compute; r2 likewise. Budget 8192: all in step 1. Budget 2500: r2 gets the last 36 tokens of
  //          the budget (still 1536 hit), its other 428 in step 2.
  // Hit rate 2 x 1536 / 6000 = 51.2 %.
  QFETCH(quint32, budget);
  QFETCH(quint64, steps);
  const std::vector<std::uint64_t> ids = {1, 2, 3, 4};
  const ServingResult res =
      ServingSimulator(unitStepConfig(512, 100, budget))
          .run({request(0, 2000, 1, ids), request(0, 2000, 1, ids), request(0, 2000, 1, ids)});
  QCOMPARE(res.requests[0].hitTokens, 0u);
  QCOMPARE(res.requests[1].hitTokens, 1536u);
  QCOMPARE(res.requests[2].hitTokens, 1536u);
  QVERIFY(std::abs(res.summary.tokenHitRate - 3072.0 / 6000.0) < 1e-12);
  QCOMPARE(res.summary.steps, steps);
}

void TestServingScheduler::generatedBlockIsCached() {
  // Block 4, pool 3 blocks, budget 100; four requests, each after the one before has finished:
  //   r0 at 0 ms:  9 prompt, ids [1, 2, 3], 1 output;  r1 at 10: 3 prompt, id [9], 2 outputs;
  //   r2 at 20:    3 prompt, id [7], 1 output;          r3 at 30: 9 prompt, ids [1, 2, 3], 1 output.
  //  r0 (step 1): 3 blocks; blocks 0, 1 full -> keys 1, 2. Freed last block first: the partial block has no
  //      key -> plain free; key 2's block then key 1's -> cached-free, in that LRU order.
  //  r1 (steps 2-3): takes the plain free block; step 3 computes its 4th token (its first generated one),
  //      which fills the block -> hashed with a key private to r1 (vLLM hashes every full block). Freed, it
  //      is cached-free behind keys 2 and 1.
  //  r2 (step 4): needs 1 block, none plain free -> evicts the LRU cached-free block: key 2.
  //  r3 (step 5): hit limit (9 - 1) / 4 = 2 blocks: key 1 found, key 2 gone -> 4 hit tokens (the lab
  //      before this rule left r1's block unhashed and plain free, r2 took it, and r3 hit 8). Its 2 new
  //      blocks: r2's plain free one, then r1's private block is evicted -> 2 evictions in all.
  const ServingResult res = ServingSimulator(unitStepConfig(4, 3, 100))
                                .run({request(0, 9, 1, {1, 2, 3}), request(10, 3, 2, {9}),
                                      request(20, 3, 1, {7}), request(30, 9, 1, {1, 2, 3})});
  for (int i = 0; i < 4; ++i) QVERIFY2(res.requests[i].completed, res.requests[i].rejectReason.c_str());
  QCOMPARE(res.requests[3].hitTokens, 4u);
  QCOMPARE(res.summary.hitTokens, std::uint64_t(4));
  QCOMPARE(res.summary.evictions, std::uint64_t(2));
  QCOMPARE(res.summary.steps, std::uint64_t(5));
}

void TestServingScheduler::maxRunningQueues() {
  // max running 1: r1 waits for r0 to finish. Block 4, pool 10, budget 100; both 4 prompt, 2 output, at 0.
  //  step 1: r0 prefill (first token at 1); step 2: r0 decode, done at 2;
  //  step 3: r1 prefill (first token at 3); step 4: done at 4.
  const ServingResult res = ServingSimulator(unitStepConfig(4, 10, 100, /*maxRunning=*/1))
                                .run({request(0, 4, 2), request(0, 4, 2)});
  compareRequest(res.requests[0], {1, 2, 1, 0, 0});
  compareRequest(res.requests[1], {3, 4, 1, 0, 0});
  QVERIFY(std::abs(res.summary.meanWaiting - 2.0 / 4.0) < 1e-9);  // r1 waited 2 of 4 ms
}

void TestServingScheduler::rejectsWhatCannotFit() {
  // Pool 4 blocks of 4 tokens = 16 K/V tokens. r0: 16 prompt + 1 output = 16 tokens held: fits exactly.
  // r1: 15 prompt + 3 output = 17 tokens held, 5 blocks: rejected. r2: empty prompt: rejected.
  const ServingResult res = ServingSimulator(unitStepConfig(4, 4, 100))
                                .run({request(0, 16, 1), request(0, 15, 3), request(0, 0, 5)});
  QVERIFY(res.requests[0].completed);
  QVERIFY(!res.requests[1].completed);
  QVERIFY(QString::fromStdString(res.requests[1].rejectReason).contains("whole pool has 4"));
  QVERIFY(QString::fromStdString(res.requests[1].rejectReason).contains("needs 5 blocks"));
  QVERIFY(!res.requests[2].completed);
  QVERIFY(QString::fromStdString(res.requests[2].rejectReason).contains("empty prompt"));
  QCOMPARE(res.summary.completed, 1u);
  QCOMPARE(res.summary.rejected, 2u);
  QVERIFY(res.requests[0].tpotMs() < 0);  // one output token: no TPOT
}

QTEST_GUILESS_MAIN(TestServingScheduler)
#include "tst_serving_scheduler.moc"
