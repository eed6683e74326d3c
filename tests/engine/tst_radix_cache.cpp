// SPDX-License-Identifier: MIT
// RadixCache contracts: longest prefix at token granularity, splits, leaf-only eviction under every policy,
// exact byte accounting (used bytes = stored tokens x bytes per token), TTL expiry leaf first, miss reasons,
// and a randomized property test. Tokens are chars of short strings; times in ms on a ManualClock.
#include <QtTest>
#include <algorithm>
#include <iterator>
#include <random>
#include <tuple>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/cache/radix_cache.h"
#include "core/policies/policy_registry.h"

using namespace kvlab;

namespace {

constexpr Bytes kBytesPerToken = 10;

std::vector<std::int32_t> toks(const QString& s) {
  std::vector<std::int32_t> t;
  for (const QChar c : s) t.push_back(std::int32_t(c.unicode()));
  return t;
}

// Engine, clock and tree together; the engine outlives nothing of the tree (members die in reverse order).
struct Rig {
  Rig(const std::string& policy, std::uint64_t capacityTokens, TimeMs ttlMs = 0)
      : engine(makeConfig(policy, capacityTokens, ttlMs), clock), radix(engine, kBytesPerToken) {}
  static CacheConfig makeConfig(const std::string& policy, std::uint64_t capacityTokens, TimeMs ttlMs) {
    CacheConfig c;
    c.policy = policy;
    c.capacityBytes = capacityTokens * kBytesPerToken;
    c.ttlMs = ttlMs;
    c.layers = 2;
    return c;
  }
  RadixCache::Insertion insert(const QString& s) { return radix.insert(toks(s)); }
  RadixCache::Match match(const QString& s, std::uint64_t cap = 1u << 30) {
    return radix.match(toks(s), cap);
  }

  ManualClock clock;
  CacheEngine engine;
  RadixCache radix;
};

// Empty when the tree and the engine agree: every node is one live entry of edge x bytesPerToken bytes, its
// parent is live and ends where it starts, children counts match, used bytes are exact and within capacity.
QString invariantError(const CacheEngine& engine, const RadixCache& radix) {
  const std::vector<RadixCache::NodeView> nodes = radix.nodes();
  if (engine.usedBytes() > engine.config().capacityBytes) return QStringLiteral("used bytes exceed capacity");
  if (nodes.size() != radix.nodeCount() || nodes.size() != engine.entryCount())
    return QStringLiteral("node count %1, nodeCount() %2, engine entries %3")
        .arg(nodes.size())
        .arg(radix.nodeCount())
        .arg(engine.entryCount());
  Bytes sum = 0;
  std::uint64_t tokens = 0;
  for (const RadixCache::NodeView& v : nodes) {
    const EntryMeta& e = engine.entry(v.slot);
    if (!e.live) return QStringLiteral("node %1 is not live").arg(v.slot);
    if (e.tokens != v.tokens || e.bytes != Bytes(v.tokens) * kBytesPerToken || v.tokens == 0 ||
        radix.edgeTokens(v.slot).size() != v.tokens)
      return QStringLiteral("node %1 size mismatch").arg(v.slot);
    if (v.parent == kNoSlot) {
      if (v.start != 0) return QStringLiteral("root child %1 starts at %2").arg(v.slot).arg(v.start);
    } else {
      const auto parent =
          std::find_if(nodes.begin(), nodes.end(), [&](const auto& p) { return p.slot == v.parent; });
      if (parent == nodes.end() || !engine.entry(v.parent).live)
        return QStringLiteral("node %1 has a dead parent").arg(v.slot);
      if (parent->start + parent->tokens != v.start) return QStringLiteral("node %1 misplaced").arg(v.slot);
    }
    const auto kids =
        std::count_if(nodes.begin(), nodes.end(), [&](const auto& c) { return c.parent == v.slot; });
    if (std::uint32_t(kids) != e.children) return QStringLiteral("node %1 children count").arg(v.slot);
    sum += e.bytes;
    tokens += v.tokens;
  }
  if (sum != engine.usedBytes() || tokens != radix.storedTokens() || tokens * kBytesPerToken != sum)
    return QStringLiteral("bytes: engine %1, nodes %2, tokens %3")
        .arg(engine.usedBytes())
        .arg(sum)
        .arg(tokens);
  return {};
}

#define CHECK_INVARIANTS(rig)                                      \
  do {                                                             \
    const QString err = invariantError((rig).engine, (rig).radix); \
    QVERIFY2(err.isEmpty(), qPrintable(err));                      \
  } while (false)

// The tokens the path holds, concatenated.
std::vector<std::int32_t> pathTokens(const RadixCache& radix, const RadixCache::Match& m) {
  std::vector<std::int32_t> t;
  for (const SlotId slot : m.path) {
    const auto edge = radix.edgeTokens(slot);
    t.insert(t.end(), edge.begin(), edge.end());
  }
  return t;
}

std::uint64_t missTokens(const CacheEngine& engine, MissReason reason) {
  return engine.counters().missTokens[std::size_t(reason)];
}

// Enums compare as their names, so a failure prints something readable.
template <typename Enum>
QByteArray name(Enum value) {
  const std::string_view s = toString(value);
  return QByteArray(s.data(), qsizetype(s.size()));
}

class RecordingObserver final : public CacheObserver {
public:
  void onCacheEvent(const CacheEvent& event) override { events.push_back(event); }
  std::vector<CacheEvent> events;
};

void addPolicyRows() {
  QTest::addColumn<QByteArray>("policy");
  for (const std::string& name : policyNames())
    QTest::newRow(name.c_str()) << QByteArray::fromStdString(name);
}

}  // namespace

class TestRadixCache : public QObject {
  Q_OBJECT

private slots:
  void longestPrefix_data();
  void longestPrefix();
  void splitOnDivergence();
  void insertReturnsCoveringNodes();
  void leafDoesNotFit();
  void onlyLeavesEvicted_data();
  void onlyLeavesEvicted();
  void ttlExpiresLeafFirst();
  void ttlNeverHits();
  void missClassification_data();
  void missClassification();
  void hitAndMissEvents();
  void removeInnerNodeTakesSubtree();
  void randomizedProperties_data();
  void randomizedProperties();
};

void TestRadixCache::longestPrefix_data() {
  QTest::addColumn<QStringList>("inserts");
  QTest::addColumn<QString>("query");
  QTest::addColumn<qulonglong>("cap");
  QTest::addColumn<qulonglong>("hit");
  QTest::addColumn<int>("nodesAfter");
  const qulonglong all = 1000;
  QTest::newRow("exact") << QStringList{"abcdef"} << "abcdef" << all << 6ull << 1;
  QTest::newRow("prefix of an edge splits") << QStringList{"abcdef"} << "abc" << all << 3ull << 2;
  QTest::newRow("diverges inside an edge") << QStringList{"abcdef"} << "abcxyz" << all << 3ull << 2;
  QTest::newRow("longer query") << QStringList{"abcdef"} << "abcdefgh" << all << 6ull << 1;
  QTest::newRow("no match") << QStringList{"abcdef"} << "xyz" << all << 0ull << 1;
  QTest::newRow("capped inside an edge") << QStringList{"abcdef"} << "abcdef" << 5ull << 5ull << 2;
  QTest::newRow("capped at a boundary") << QStringList{"abc", "abcdef"} << "abcdef" << 3ull << 3ull << 2;
  QTest::newRow("cap zero") << QStringList{"abc"} << "abc" << 0ull << 0ull << 1;
  QTest::newRow("chain") << QStringList{"ab", "abcd", "abcdef"} << "abcdefg" << all << 6ull << 3;
  QTest::newRow("siblings") << QStringList{"abcdef", "abcxyz"} << "abcq" << all << 3ull << 3;
  QTest::newRow("second sibling") << QStringList{"abcdef", "abcxyz"} << "abcxyz" << all << 6ull << 3;
  QTest::newRow("empty query") << QStringList{"abc"} << "" << all << 0ull << 1;
}

void TestRadixCache::longestPrefix() {
  QFETCH(QStringList, inserts);
  QFETCH(QString, query);
  QFETCH(qulonglong, cap);
  QFETCH(qulonglong, hit);
  QFETCH(int, nodesAfter);
  Rig rig("lru", 1000);
  for (const QString& s : inserts) QCOMPARE(rig.insert(s).coveredTokens, std::uint64_t(s.size()));
  CHECK_INVARIANTS(rig);

  const RadixCache::Match m = rig.match(query, cap);
  QCOMPARE(m.hitTokens, std::uint64_t(hit));
  const std::vector<std::int32_t> q = toks(query);
  QVERIFY(pathTokens(rig.radix, m) == std::vector<std::int32_t>(q.begin(), q.begin() + std::ptrdiff_t(hit)));
  QCOMPARE(m.pathStart.size(), m.path.size());
  std::uint64_t start = 0;
  for (std::size_t i = 0; i < m.path.size(); ++i) {
    QCOMPARE(m.pathStart[i], start);
    start += rig.engine.entry(m.path[i]).tokens;
  }
  QCOMPARE(rig.radix.nodeCount(), std::size_t(nodesAfter));
  CHECK_INVARIANTS(rig);

  const CacheCounters& c = rig.engine.counters();
  QCOMPARE(c.queriedTokens, std::uint64_t(q.size()));
  QCOMPARE(c.hitTokens, std::uint64_t(hit));
  QCOMPARE(c.hitUnits, std::uint64_t(hit));
  QCOMPARE(c.missTokens[0] + c.missTokens[1] + c.missTokens[2] + c.missTokens[3], q.size() - hit);
}

void TestRadixCache::splitOnDivergence() {
  Rig rig("lru", 1000);
  std::vector<std::tuple<SlotId, SlotId, std::uint32_t>> splits;
  rig.radix.setSplitListener([&](SlotId old, SlotId head, std::uint32_t headTokens) {
    // Called after the split: the old entry already holds the tail only.
    QCOMPARE(rig.engine.entry(old).tokens, 3u);
    splits.emplace_back(old, head, headTokens);
  });
  const RadixCache::Insertion first = rig.insert("abcdef");
  QCOMPARE(first.nodes.size(), std::size_t(1));
  const SlotId whole = first.nodes[0];

  const RadixCache::Insertion second = rig.insert("abcxyz");
  QCOMPARE(rig.radix.nodeCount(), std::size_t(3));
  QCOMPARE(splits.size(), std::size_t(1));
  QCOMPARE(std::get<0>(splits[0]), whole);
  QCOMPARE(std::get<2>(splits[0]), 3u);
  const SlotId head = std::get<1>(splits[0]);
  QCOMPARE(second.nodes, (std::vector<SlotId>{head, second.nodes[1]}));
  QCOMPARE(second.nodeStart, (std::vector<std::uint64_t>{0, 3}));
  QCOMPARE(second.isNew, (std::vector<bool>{false, true}));
  QVERIFY(rig.radix.edgeTokens(whole).size() == 3 && rig.radix.edgeTokens(whole)[0] == 'd');
  QCOMPARE(rig.engine.entry(whole).bytes, 3 * kBytesPerToken);
  QCOMPARE(rig.engine.entry(head).children, 2u);
  QCOMPARE(rig.engine.usedBytes(), 9 * kBytesPerToken);
  CHECK_INVARIANTS(rig);

  const RadixCache::Match m = rig.match("abcq");
  QCOMPARE(m.hitTokens, std::uint64_t(3));
  QCOMPARE(m.path, std::vector<SlotId>{head});
  QCOMPARE(splits.size(), std::size_t(1));
  CHECK_INVARIANTS(rig);
}

void TestRadixCache::insertReturnsCoveringNodes() {
  Rig rig("lru", 1000);
  const RadixCache::Insertion a = rig.insert("abcdef");
  QCOMPARE(a.isNew, std::vector<bool>{true});
  QCOMPARE(a.coveredTokens, std::uint64_t(6));
  const RadixCache::Insertion again = rig.insert("abcdef");
  QCOMPARE(again.nodes, a.nodes);
  QCOMPARE(again.isNew, std::vector<bool>{false});
  QCOMPARE(rig.engine.counters().inserts, std::uint64_t(1));

  // Ending inside an edge splits it, so the nodes cover exactly the inserted tokens.
  const RadixCache::Insertion prefix = rig.insert("abc");
  QCOMPARE(prefix.nodes.size(), std::size_t(1));
  QCOMPARE(prefix.isNew, std::vector<bool>{false});
  QCOMPARE(rig.engine.entry(prefix.nodes[0]).tokens, 3u);
  QCOMPARE(rig.radix.nodeCount(), std::size_t(2));

  const RadixCache::Insertion longer = rig.insert("abcdefgh");
  QCOMPARE(longer.nodeStart, (std::vector<std::uint64_t>{0, 3, 6}));
  QCOMPARE(longer.isNew, (std::vector<bool>{false, false, true}));
  QCOMPARE(rig.engine.usedBytes(), 8 * kBytesPerToken);
  CHECK_INVARIANTS(rig);
}

void TestRadixCache::leafDoesNotFit() {
  // Capacity 4 tokens. "abcdef" cannot fit whole: the longest head that fits, "abcd", is stored (as block
  // mode keeps the leading blocks that fit), not nothing.
  Rig rig("lru", 4);
  const RadixCache::Insertion big = rig.insert("abcdef");
  QCOMPARE(big.coveredTokens, std::uint64_t(4));
  QCOMPARE(big.isNew, std::vector<bool>{true});
  QCOMPARE(rig.radix.edgeTokens(big.nodes[0]).size(), std::size_t(4));
  QCOMPARE(rig.engine.counters().rejectedInserts, 0u);
  CHECK_INVARIANTS(rig);
  QCOMPARE(rig.match("abcdef").hitTokens, std::uint64_t(4));

  // Capacity 5: "ab" -> "cd" and a leaf "x". "abcdef" needs a leaf under "cd"; its path (ab, cd: 4 tokens)
  // cannot go, so 5 - 4 = 1 token fits: "x" is evicted and the leaf holds "e". Before the fix the insert
  // evicted "x" and then stored nothing.
  Rig small("lru", 5);
  QCOMPARE(small.insert("ab").coveredTokens, std::uint64_t(2));
  QCOMPARE(small.insert("abcd").coveredTokens, std::uint64_t(4));
  QCOMPARE(small.insert("x").coveredTokens, std::uint64_t(1));
  const RadixCache::Insertion partial = small.insert("abcdef");
  QCOMPARE(partial.coveredTokens, std::uint64_t(5));
  QCOMPARE(partial.isNew, (std::vector<bool>{false, false, true}));
  QCOMPARE(small.engine.counters().capacityEvictions(), 1u);
  QCOMPARE(small.match("x").hitTokens, std::uint64_t(0));
  CHECK_INVARIANTS(small);

  // Now the path fills the cache: nothing fits, nothing is evicted, the refusal counts.
  const RadixCache::Insertion none = small.insert("abcdefgh");
  QCOMPARE(none.coveredTokens, std::uint64_t(5));
  QCOMPARE(small.engine.counters().rejectedInserts, 1u);
  QCOMPARE(small.engine.counters().capacityEvictions(), 1u);
  CHECK_INVARIANTS(small);
  // A new branch may evict the whole chain, leaf first.
  QCOMPARE(small.insert("mnopq").coveredTokens, std::uint64_t(5));
  QCOMPARE(small.radix.nodeCount(), std::size_t(1));
  CHECK_INVARIANTS(small);
}

void TestRadixCache::onlyLeavesEvicted_data() { addPolicyRows(); }

void TestRadixCache::onlyLeavesEvicted() {
  QFETCH(QByteArray, policy);
  Rig rig(policy.toStdString(), 12);
  int innerVictims = 0;
  int victims = 0;
  rig.engine.addRemovalListener([&](SlotId, const EntryMeta& meta, EvictReason reason) {
    if (reason != EvictReason::Capacity && reason != EvictReason::PolicyChange) return;
    ++victims;
    if (meta.children != 0) ++innerVictims;
  });
  const QStringList ops{"abcdef", "?abc", "abcxyz", "abcdeq",   "?abcdef", "mnopqr", "?abcx",    "abcxyw",
                        "zzzzzz", "?mno", "abq",    "abcdefgh", "mnoabc",  "?abc",   "abcxyzzz", "ab"};
  for (const QString& op : ops) {
    if (op.startsWith('?'))
      rig.match(op.mid(1));
    else
      rig.insert(op);
    CHECK_INVARIANTS(rig);
  }
  rig.engine.setCapacity(5 * kBytesPerToken);
  CHECK_INVARIANTS(rig);
  QVERIFY(victims > 0);
  QCOMPARE(innerVictims, 0);
}

void TestRadixCache::ttlExpiresLeafFirst() {
  Rig rig("lru", 1000, /*ttlMs=*/100);
  rig.insert("abcdef");
  rig.insert("abcxyz");  // abc -> {def, xyz}
  const SlotId head = rig.match("abc").path.at(0);
  std::vector<std::pair<SlotId, std::uint32_t>> expired;  // slot, children at removal
  rig.engine.addRemovalListener([&](SlotId slot, const EntryMeta& meta, EvictReason reason) {
    QCOMPARE(name(reason), name(EvictReason::Ttl));
    expired.emplace_back(slot, meta.children);
  });

  rig.clock.setMs(60);
  rig.match("abc");  // keeps the shared head alive; both leaves stay idle since t=0
  rig.clock.setMs(150);
  QCOMPARE(rig.engine.expireNow(), std::size_t(2));
  QCOMPARE(rig.radix.nodeCount(), std::size_t(1));
  for (const auto& [slot, children] : expired) {
    QVERIFY(slot != head);
    QCOMPARE(children, 0u);
  }
  CHECK_INVARIANTS(rig);

  // The leaves' tokens now read as expired; the head still hits.
  const RadixCache::Match m = rig.match("abcdefg");
  QCOMPARE(m.hitTokens, std::uint64_t(3));
  QCOMPARE(missTokens(rig.engine, MissReason::Expired), std::uint64_t(3));
  QCOMPARE(missTokens(rig.engine, MissReason::Cold), std::uint64_t(1));

  // The whole subtree idles: the head goes last, as a leaf.
  rig.clock.setMs(300);
  rig.engine.expireNow();
  QCOMPARE(rig.radix.nodeCount(), std::size_t(0));
  QCOMPARE(expired.back().first, head);
  QCOMPARE(rig.engine.usedBytes(), Bytes(0));
  CHECK_INVARIANTS(rig);
}

void TestRadixCache::ttlNeverHits() {
  Rig rig("lru", 1000, /*ttlMs=*/100);
  rig.insert("abcdef");
  rig.insert("abcxyz");
  rig.clock.setMs(101);
  // No sweep has run: the lookup itself must refuse the expired nodes.
  const RadixCache::Match m = rig.match("abcdef");
  QCOMPARE(m.hitTokens, std::uint64_t(0));
  QVERIFY(m.path.empty());
  QCOMPARE(rig.engine.counters().hitTokens, std::uint64_t(0));
  CHECK_INVARIANTS(rig);
  rig.engine.expireNow();
  QCOMPARE(rig.radix.nodeCount(), std::size_t(0));

  // Inserting again after expiry stores fresh nodes that hit.
  rig.insert("abcdef");
  QCOMPARE(rig.match("abcdef").hitTokens, std::uint64_t(6));
  CHECK_INVARIANTS(rig);
}

void TestRadixCache::missClassification_data() {
  QTest::addColumn<QStringList>("inserts");
  QTest::addColumn<qulonglong>("capacityTokens");
  QTest::addColumn<QString>("query");
  QTest::addColumn<qulonglong>("cap");
  QTest::addColumn<qulonglong>("hit");
  QTest::addColumn<qulonglong>("cold");
  QTest::addColumn<qulonglong>("evicted");
  const qulonglong all = 1000;
  QTest::newRow("cold") << QStringList{"abcdef"} << 100ull << "uvw" << all << 0ull << 3ull << 0ull;
  QTest::newRow("evicted") << QStringList{"abcdef", "uvwxyz"} << 6ull << "abcdef" << all << 0ull << 0ull
                           << 6ull;
  // The evicted node extended past the divergence: its first tokens still count as evicted.
  QTest::newRow("evicted, then diverges")
      << QStringList{"abcdef", "uvwxyz"} << 6ull << "abcqqq" << all << 0ull << 3ull << 3ull;
  QTest::newRow("evicted, query shorter")
      << QStringList{"abcdef", "uvwxyz"} << 6ull << "abcd" << all << 0ull << 0ull << 4ull;
  // abc|def + xyz fill 9; mnopqr evicts def, then xyz: abc stays (now a leaf).
  QTest::newRow("tail evicted") << QStringList{"abcdef", "abcxyz", "mnopqr"} << 9ull << "abcdefg" << all
                                << 3ull << 1ull << 3ull;
  QTest::newRow("capped hit is cold")
      << QStringList{"abcdef"} << 100ull << "abcdef" << 5ull << 5ull << 1ull << 0ull;
  QTest::newRow("re-stored after eviction")
      << QStringList{"abcdef", "uvwxyz", "abcdef"} << 6ull << "abcdef" << all << 6ull << 0ull << 0ull;
}

void TestRadixCache::missClassification() {
  QFETCH(QStringList, inserts);
  QFETCH(qulonglong, capacityTokens);
  QFETCH(QString, query);
  QFETCH(qulonglong, cap);
  QFETCH(qulonglong, hit);
  QFETCH(qulonglong, cold);
  QFETCH(qulonglong, evicted);
  Rig rig("lru", capacityTokens);
  for (const QString& s : inserts) rig.insert(s);
  rig.engine.resetStats();
  QCOMPARE(rig.match(query, cap).hitTokens, std::uint64_t(hit));
  QCOMPARE(missTokens(rig.engine, MissReason::Cold), std::uint64_t(cold));
  QCOMPARE(missTokens(rig.engine, MissReason::Evicted), std::uint64_t(evicted));
  QCOMPARE(missTokens(rig.engine, MissReason::Expired), std::uint64_t(0));
  QCOMPARE(missTokens(rig.engine, MissReason::Orphaned), std::uint64_t(0));
  QCOMPARE(rig.engine.counters().missUnits[std::size_t(MissReason::Evicted)], std::uint64_t(evicted));
  CHECK_INVARIANTS(rig);
}

void TestRadixCache::hitAndMissEvents() {
  Rig rig("lru", 1000);
  rig.insert("abcdef");
  rig.insert("abcxyz");
  RecordingObserver observer;
  rig.engine.addObserver(&observer);
  const RadixCache::Match m = rig.match("abcdeq");  // abc, then "de" split off "def"; "q" is cold
  rig.engine.removeObserver(&observer);
  QCOMPARE(m.hitTokens, std::uint64_t(5));
  std::vector<std::pair<CacheEventType, std::uint32_t>> seen;
  for (const CacheEvent& ev : observer.events)
    if (ev.type != CacheEventType::Insert) seen.emplace_back(ev.type, ev.tokens);
  const std::vector<std::pair<CacheEventType, std::uint32_t>> expected{
      {CacheEventType::Hit, 3}, {CacheEventType::Hit, 2}, {CacheEventType::Miss, 1}};
  QVERIFY(seen == expected);
  QCOMPARE(name(observer.events.front().type), name(CacheEventType::Insert));  // the split head is new
  QCOMPARE(name(observer.events.back().missReason), name(MissReason::Cold));
}

void TestRadixCache::removeInnerNodeTakesSubtree() {
  Rig rig("lru", 1000);
  rig.insert("abcdef");
  rig.insert("abcxyz");
  rig.insert("mno");
  const SlotId head = rig.match("abc").path.at(0);
  rig.engine.remove(head, EvictReason::Clear);
  QCOMPARE(rig.radix.nodeCount(), std::size_t(1));
  QCOMPARE(rig.engine.usedBytes(), 3 * kBytesPerToken);
  CHECK_INVARIANTS(rig);
  rig.insert("abcdef");
  rig.insert("abcxyz");
  rig.engine.clear();
  QCOMPARE(rig.radix.nodeCount(), std::size_t(0));
  QCOMPARE(rig.engine.usedBytes(), Bytes(0));
  CHECK_INVARIANTS(rig);
  QCOMPARE(rig.insert("abcdef").coveredTokens, std::uint64_t(6));
  CHECK_INVARIANTS(rig);
}

void TestRadixCache::randomizedProperties_data() {
  QTest::addColumn<QByteArray>("policy");
  QTest::addColumn<qlonglong>("ttlMs");
  for (const std::string& name : policyNames()) {
    QTest::addRow("%s", name.c_str()) << QByteArray::fromStdString(name) << 0ll;
    QTest::addRow("%s, ttl", name.c_str()) << QByteArray::fromStdString(name) << 40ll;
  }
}

void TestRadixCache::randomizedProperties() {
  QFETCH(QByteArray, policy);
  QFETCH(qlonglong, ttlMs);
  Rig rig(policy.toStdString(), 40, ttlMs);
  std::mt19937 rng(20240611u);
  auto randomTokens = [&] {
    std::vector<std::int32_t> t(std::size_t(1 + rng() % 14));
    for (std::int32_t& x : t) x = std::int32_t(rng() % 3);
    return t;
  };
  const Bytes capacities[] = {8, 20, 40, 80, 200};
  for (int op = 0; op < 3000; ++op) {
    rig.clock.advanceMs(TimeMs(rng() % 6));
    const unsigned kind = rng() % 20;
    const std::vector<std::int32_t> t = randomTokens();
    if (kind < 9) {
      const RadixCache::Insertion ins = rig.radix.insert(t);
      QVERIFY(ins.coveredTokens <= t.size());
      std::uint64_t covered = 0;
      for (std::size_t i = 0; i < ins.nodes.size(); ++i) {
        QCOMPARE(ins.nodeStart[i], covered);
        covered += rig.engine.entry(ins.nodes[i]).tokens;
      }
      QCOMPARE(covered, ins.coveredTokens);
      // Freshly stored tokens hit in full (same clock time, nothing can have gone since).
      if (ins.coveredTokens == t.size())
        QCOMPARE(rig.radix.match(t, t.size()).hitTokens, std::uint64_t(t.size()));
    } else if (kind < 18) {
      const std::uint64_t cap = rng() % 2 ? t.size() : t.size() - 1;
      const RadixCache::Match m = rig.radix.match(t, cap);
      QVERIFY(m.hitTokens <= cap);
      const std::vector<std::int32_t> prefix(t.begin(), t.begin() + std::ptrdiff_t(m.hitTokens));
      QVERIFY(pathTokens(rig.radix, m) == prefix);
    } else if (kind < 19) {
      rig.engine.setCapacity(capacities[rng() % std::size(capacities)] * kBytesPerToken);
    } else {
      rig.engine.expireNow();
    }
    const QString err = invariantError(rig.engine, rig.radix);
    QVERIFY2(err.isEmpty(), qPrintable(QStringLiteral("op %1: %2").arg(op).arg(err)));
  }
  const CacheCounters& c = rig.engine.counters();
  QCOMPARE(c.missTokens[0] + c.missTokens[1] + c.missTokens[2] + c.missTokens[3],
           c.queriedTokens - c.hitTokens);
  QVERIFY(c.capacityEvictions() > 0);
  if (ttlMs > 0) QVERIFY(c.expirations() > 0);
}

QTEST_GUILESS_MAIN(TestRadixCache)
#include "tst_radix_cache.moc"
