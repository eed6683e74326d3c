// SPDX-License-Identifier: MIT
// RadixCache as a server uses it, one request = match() then insert(): each node a request matches is
// touched exactly once, a new leaf is born untouched, so SIEVE can demote one-hit wonders, LFU starts new
// leaves at one use and "evicted, never reused" counts radix leaves; an expired parent that stops a match
// counts its tokens as expired (TtlMode::Age). Tokens are the chars of short strings, 10 bytes each; every
// expected value is worked by hand in the comments.
#include <QtTest>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/cache/radix_cache.h"

using namespace kvlab;

namespace {

constexpr Bytes kBytesPerToken = 10;

std::vector<std::int32_t> toks(const char* s) {
  std::vector<std::int32_t> t;
  for (const char* p = s; *p; ++p) t.push_back(std::int32_t(*p));
  return t;
}

struct Rig {
  Rig(const std::string& policy, std::uint64_t capacityTokens, TimeMs ttlMs = 0, TtlMode mode = TtlMode::Idle)
      : engine(makeConfig(policy, capacityTokens, ttlMs, mode), clock), radix(engine, kBytesPerToken) {}
  static CacheConfig makeConfig(const std::string& policy, std::uint64_t tokens, TimeMs ttlMs, TtlMode mode) {
    CacheConfig c;
    c.policy = policy;
    c.capacityBytes = tokens * kBytesPerToken;
    c.ttlMs = ttlMs;
    c.ttlMode = mode;
    return c;
  }
  // One request: the lookup (no cap: replay-style, so a whole stored prompt hits), then the store.
  std::uint64_t request(const char* s) {
    const std::uint64_t hit = radix.match(toks(s), ~std::uint64_t(0)).hitTokens;
    radix.insert(toks(s));
    return hit;
  }
  // The live node holding the last token of prefix s, found without touching anything.
  const EntryMeta& nodeOf(const char* s) {
    const std::vector<std::int32_t> t = toks(s);
    for (const RadixCache::NodeView& v : radix.nodes())
      if (v.start + v.tokens == t.size()) {
        const auto edge = radix.edgeTokens(v.slot);
        if (std::equal(edge.begin(), edge.end(), t.begin() + std::ptrdiff_t(v.start)))
          return engine.entry(v.slot);
      }
    QTest::qFail("no such node", __FILE__, __LINE__);
    static const EntryMeta none;
    return none;
  }
  std::uint64_t missTokens(MissReason r) const { return engine.counters().missTokens[std::size_t(r)]; }

  ManualClock clock;
  CacheEngine engine;
  RadixCache radix;
};

}  // namespace

class TestRadixRequests : public QObject {
  Q_OBJECT

private slots:
  void touchedOncePerRequest();
  void sieveDemotesOneHitWonder();
  void lfuStartsNewLeafAtOneUse();
  void evictedNeverReusedCountsLeaves();
  void expiredParentCountsAsExpired();
};

void TestRadixRequests::touchedOncePerRequest() {
  Rig rig("lru", 1000);
  // r1 "abcdef": a new leaf, not touched at birth: reuse 0.
  QCOMPARE(rig.request("abcdef"), std::uint64_t(0));
  QCOMPARE(rig.nodeOf("abcdef").reuseCount, 0u);
  // r2 "abcdef": matched once (the insert adds no touch): reuse 1. Before the fix: 1 (birth) + 2 = 3.
  QCOMPARE(rig.request("abcdef"), std::uint64_t(6));
  QCOMPARE(rig.nodeOf("abcdef").reuseCount, 1u);
  // r3 "abcxyz": match splits abc|def and reuses the head "abc" once; "def" keeps its count; new leaf "xyz"
  // starts at 0.
  QCOMPARE(rig.request("abcxyz"), std::uint64_t(3));
  QCOMPARE(rig.nodeOf("abc").reuseCount, 1u);
  QCOMPARE(rig.nodeOf("abcdef").reuseCount, 1u);
  QCOMPARE(rig.nodeOf("abcxyz").reuseCount, 0u);
  // r4 "abcxyz": both nodes on its path are reused once more.
  QCOMPARE(rig.request("abcxyz"), std::uint64_t(6));
  QCOMPARE(rig.nodeOf("abc").reuseCount, 2u);
  QCOMPARE(rig.nodeOf("abcxyz").reuseCount, 1u);
  QCOMPARE(rig.nodeOf("abcdef").reuseCount, 1u);
}

void TestRadixRequests::sieveDemotesOneHitWonder() {
  // Capacity 6 tokens, SIEVE (queue oldest -> newest, the hand starts at the oldest).
  // r1 "aa" -> A (visited 0); r2 "bb" -> B (0); r3 "aa" hits A -> visited 1; r4 "cc" -> C (0), cache full.
  // r5 "dd" needs 2 tokens: hand at A: visited -> cleared, next B: unvisited -> B is the victim.
  // Before the fix every leaf was born visited: A, B, C all cleared in turn, then A (the reused one) went.
  Rig rig("sieve", 6);
  rig.request("aa");
  rig.request("bb");
  QCOMPARE(rig.request("aa"), std::uint64_t(2));
  rig.request("cc");
  QCOMPARE(rig.engine.counters().capacityEvictions(), 0u);
  rig.request("dd");
  QCOMPARE(rig.engine.counters().capacityEvictions(), 1u);
  QCOMPARE(rig.radix.match(toks("bb"), 2).hitTokens, std::uint64_t(0));
  QCOMPARE(rig.radix.match(toks("aa"), 2).hitTokens, std::uint64_t(2));
  QCOMPARE(rig.radix.match(toks("cc"), 2).hitTokens, std::uint64_t(2));
}

void TestRadixRequests::lfuStartsNewLeafAtOneUse() {
  // Capacity 6 tokens, LFU (fewest uses, then oldest). Uses: 1 at insert, +1 per touch.
  // r1 "abcd": leaf L, uses 1.
  // r2 "abcd" as a live prefill (match capped at 3 tokens, then insert): the match splits L into head
  //   H "abc" (new, touched: uses 2) and tail T "d" (L's entry: uses 1); the insert walks H and T and adds
  //   nothing. Before the fix: L born at 2, the insert touched T and H again: T 3, H 4.
  // r3 "xy": leaf X, uses 1 (before the fix: 2).
  // r4 "zz" needs 2 tokens with 6 stored: victims by (uses, age): T (1, older) then X (1) - H (2) stays.
  //   Before the fix: X (2) < T (3): X alone went and T stayed.
  Rig rig("lfu", 6);
  rig.request("abcd");
  QCOMPARE(rig.radix.match(toks("abcd"), 3).hitTokens, std::uint64_t(3));
  rig.radix.insert(toks("abcd"));
  rig.request("xy");
  QCOMPARE(rig.engine.usedBytes(), 6 * kBytesPerToken);
  rig.request("zz");
  QCOMPARE(rig.engine.counters().capacityEvictions(), 2u);
  QCOMPARE(rig.radix.match(toks("abcd"), 4).hitTokens, std::uint64_t(3));
  QCOMPARE(rig.radix.match(toks("xy"), 2).hitTokens, std::uint64_t(0));
}

void TestRadixRequests::evictedNeverReusedCountsLeaves() {
  // Capacity 4 tokens, LRU. r1 "ab", r2 "ab" (hit: reuse 1), r3 "cd" (never reused). Last use: ab at r2,
  // cd at r3. r4 "ef" evicts ab (reused once); r5 "gh" evicts cd (never reused). Before the fix a leaf was
  // touched at birth and could never count as never reused.
  Rig rig("lru", 4);
  rig.request("ab");
  QCOMPARE(rig.request("ab"), std::uint64_t(2));
  rig.request("cd");
  rig.request("ef");
  QCOMPARE(rig.engine.counters().capacityEvictions(), 1u);
  QCOMPARE(rig.engine.counters().evictedNeverReused, 0u);
  rig.request("gh");
  QCOMPARE(rig.engine.counters().capacityEvictions(), 2u);
  QCOMPARE(rig.engine.counters().evictedNeverReused, 1u);
  QCOMPARE(rig.engine.counters().sumEvictedReuse, 1.0);
}

void TestRadixRequests::expiredParentCountsAsExpired() {
  // TTL 100 in age mode. t=0 "abc" -> A. t=60 "abcdef" hits A and adds leaf D "def" (born at 60).
  // t=120: A is 120 old (expired, kept for its child), D is 60 old (valid). Query "abcdefg":
  //   abc -> expired (3), def -> held but cut off from the root: orphaned (3), g -> cold (1); hit 0.
  // Before the fix all 7 read as cold.
  Rig rig("lru", 1000, /*ttlMs=*/100, TtlMode::Age);
  rig.request("abc");
  rig.clock.setMs(60);
  QCOMPARE(rig.request("abcdef"), std::uint64_t(3));
  rig.clock.setMs(120);
  rig.engine.resetStats();
  QCOMPARE(rig.radix.match(toks("abcdefg"), 7).hitTokens, std::uint64_t(0));
  QCOMPARE(rig.missTokens(MissReason::Expired), std::uint64_t(3));
  QCOMPARE(rig.missTokens(MissReason::Orphaned), std::uint64_t(3));
  QCOMPARE(rig.missTokens(MissReason::Cold), std::uint64_t(1));
  QCOMPARE(rig.missTokens(MissReason::Evicted), std::uint64_t(0));
  // Storing the prompt again renews A (its tokens were computed again): at t=130 the whole prompt hits
  // (A renewed at 120: age 10; D: age 70; the new leaf "g": age 10).
  rig.radix.insert(toks("abcdefg"));
  rig.clock.setMs(130);
  QCOMPARE(rig.radix.match(toks("abcdefg"), 7).hitTokens, std::uint64_t(7));
  // t=165: A is 45 old, D 105 (expired, kept for its child "g"), g 45. The match hits "abc" and stops at D:
  // def expired (3), g held below it: orphaned (1).
  rig.clock.setMs(165);
  rig.engine.resetStats();
  QCOMPARE(rig.radix.match(toks("abcdefg"), 7).hitTokens, std::uint64_t(3));
  QCOMPARE(rig.missTokens(MissReason::Expired), std::uint64_t(3));
  QCOMPARE(rig.missTokens(MissReason::Orphaned), std::uint64_t(1));
}

QTEST_GUILESS_MAIN(TestRadixRequests)
#include "tst_radix_requests.moc"
