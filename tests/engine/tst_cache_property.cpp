// SPDX-License-Identifier: MIT
// Randomized CacheEngine runs, every policy, fixed seeds: after every operation the engine agrees with a
// model of what is stored (kept from insert() results and the removal listener), never exceeds its max size,
// and its counters, pinned bytes, per-layer bytes and published snapshot stay consistent.
#include <QtTest>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/policies/policy_registry.h"

using namespace kvlab;

namespace {

constexpr int kLayers = 4;
constexpr std::uint64_t kKeySpace = 48;
constexpr int kSteps = 4000;

struct Stored {
  CacheKey key;
  Bytes bytes = 0;
  int layer = kAllLayers;
};

class PropertyRun {
public:
  PropertyRun(const std::string& policy, std::uint64_t seed) : m_rng(seed) {
    CacheConfig c;
    c.policy = policy;
    c.capacityBytes = 200;
    c.pinnedBudgetBytes = 40;
    c.ttlMs = 50;
    c.layers = kLayers;
    m_engine = std::make_unique<CacheEngine>(c, m_clock);
    m_engine->addRemovalListener([this](SlotId slot, const EntryMeta& meta, EvictReason) {
      ++m_removals;
      const auto it = m_stored.find(slot);
      if (it == m_stored.end() || !(it->second.key == meta.key) || it->second.bytes != meta.bytes)
        m_error = "removal listener named an entry the model does not hold";
      else
        m_stored.erase(it);
    });
  }

  // One random operation; returns a description of the first broken contract, or an empty string.
  std::string step() {
    const int op = pick(0, 99);
    if (op < 45)
      access();
    else if (op < 53)
      setCapacity();
    else if (op < 61)
      pinOne();
    else if (op < 66)
      unpinOne();
    else if (op < 78)
      m_clock.advanceMs(pick(0, 30));
    else if (op < 81)
      m_engine->setTtlMs(std::array<TimeMs, 4>{0, 20, 50, 100}[std::size_t(pick(0, 3))]);
    else if (op < 84)
      m_engine->expireNow();
    else if (op < 89)
      removeOne();
    else if (op < 92)
      m_engine->setPolicy(policyNames()[std::size_t(pick(0, int(policyNames().size()) - 1))]);
    else if (op < 95)
      setPinnedBudget();
    else if (op < 96)
      m_engine->clear();
    else
      touchRandom();
    if (!m_error.empty()) return m_error;
    return check();
  }

  const CacheEngine& engine() const { return *m_engine; }
  std::uint64_t successfulPins() const { return m_pins; }

private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(m_rng); }

  SlotId randomStored() {
    if (m_stored.empty()) return kNoSlot;
    auto it = m_stored.begin();
    std::advance(it, pick(0, int(m_stored.size()) - 1));
    return it->first;
  }

  void access() {
    const CacheKey key{std::uint64_t(pick(0, int(kKeySpace) - 1)), 1};
    if (const SlotId slot = m_engine->find(key); slot != kNoSlot) {
      const EntryMeta& e = m_engine->entry(slot);
      const TimeMs ttl = m_engine->config().ttlMs;
      if (ttl > 0 && !e.pinned && m_clock.nowMs() - e.lastAccessMs > ttl)
        m_error = "find returned an expired entry";
      if (!(e.key == key)) m_error = "find returned another key's slot";
      m_engine->touch(slot);
      return;
    }
    Stored s;
    s.key = key;
    if (pick(0, 1) == 0) {
      s.bytes = Bytes(kLayers * pick(1, 16));  // all-layer entries divide evenly across layers
    } else {
      s.layer = pick(0, kLayers - 1);
      s.bytes = Bytes(pick(1, 40));
    }
    const Bytes room = m_engine->config().capacityBytes - m_engine->pinnedBytes();
    const SlotId slot = m_engine->insert(key, EntryInit{s.bytes, 1, s.layer});
    if (slot == kNoSlot) {
      // Every unpinned entry is evictable, so only an entry larger than the unpinned room is refused.
      if (s.bytes <= room) m_error = "insert refused an entry that fits beside the pinned bytes";
      return;
    }
    if (m_stored.count(slot)) m_error = "insert reused a live slot";
    m_stored[slot] = s;
  }

  void touchRandom() {
    if (const SlotId s = randomStored(); s != kNoSlot && m_engine->find(m_stored[s].key) == s)
      m_engine->touch(s);
  }

  void setCapacity() {
    // Never below the pinned budget: pinned bytes cannot be evicted, so a smaller max could not be honoured.
    m_engine->setCapacity(Bytes(pick(int(m_engine->config().pinnedBudgetBytes), 400)));
  }

  void setPinnedBudget() {
    m_engine->setPinnedBudget(Bytes(pick(0, int(std::min<Bytes>(80, m_engine->config().capacityBytes)))));
  }

  void pinOne() {
    const SlotId s = randomStored();
    if (s == kNoSlot) return;
    const EntryMeta& e = m_engine->entry(s);
    const bool expected =
        e.pinned || m_engine->pinnedBytes() + e.bytes <= m_engine->config().pinnedBudgetBytes;
    const bool wasPinned = e.pinned;
    const bool ok = m_engine->pin(s);
    if (ok != expected) m_error = "pin() disagrees with the pinned budget";
    if (ok && !wasPinned) ++m_pins;
  }

  void unpinOne() {
    if (const SlotId s = randomStored(); s != kNoSlot) m_engine->unpin(s);
  }

  void removeOne() {
    if (const SlotId s = randomStored(); s != kNoSlot) m_engine->remove(s, EvictReason::Capacity);
  }

  std::string check() const {
    const CacheEngine& e = *m_engine;
    Bytes sum = 0, pinned = 0, allLayer = 0;
    std::vector<Bytes> perLayer(kLayers, 0);
    for (const auto& [slot, s] : m_stored) {
      const EntryMeta& meta = e.entry(slot);
      if (!meta.live || !(meta.key == s.key) || meta.bytes != s.bytes)
        return "model entry not live in the engine";
      sum += s.bytes;
      if (meta.pinned) pinned += s.bytes;
      if (s.layer == kAllLayers)
        allLayer += s.bytes;
      else
        perLayer[std::size_t(s.layer)] += s.bytes;
    }
    for (Bytes& b : perLayer) b += allLayer / kLayers;
    if (e.usedBytes() > e.config().capacityBytes) return "usedBytes exceeds the max size";
    if (e.usedBytes() != sum) return "usedBytes != sum of stored entries";
    if (e.entryCount() != m_stored.size()) return "entryCount != stored entries";
    if (e.pinnedBytes() != pinned) return "pinnedBytes != sum of pinned entries";
    if (e.pinnedBytes() > e.config().pinnedBudgetBytes) return "pinned bytes over budget";
    if (e.layerBytes() != perLayer) return "layerBytes disagree with the model";
    const CacheCounters& k = e.counters();
    if (k.inserts - k.totalEvictions() != e.entryCount()) return "inserts - removals != entryCount";
    if (m_removals != k.totalEvictions()) return "removal listener calls != counted removals";
    const CacheSnapshot snap = e.snapshot();
    if (snap.usedBytes != sum || snap.entries != m_stored.size() || snap.pinnedBytes != pinned ||
        snap.capacityBytes != e.config().capacityBytes || snap.counters.inserts != k.inserts ||
        snap.counters.totalEvictions() != k.totalEvictions() || snap.policy != e.config().policy)
      return "published snapshot out of date";
    if (snap.peakBytes < snap.usedBytes) return "peak below current occupancy";
    return {};
  }

  ManualClock m_clock;
  std::mt19937_64 m_rng;
  std::unique_ptr<CacheEngine> m_engine;
  std::map<SlotId, Stored> m_stored;
  std::uint64_t m_removals = 0;
  std::uint64_t m_pins = 0;
  std::string m_error;
};

}  // namespace

class TestCacheProperty : public QObject {
  Q_OBJECT

private slots:
  void randomOperations_data();
  void randomOperations();
};

void TestCacheProperty::randomOperations_data() {
  QTest::addColumn<QByteArray>("policy");
  QTest::addColumn<quint64>("seed");
  for (const std::string& policy : policyNames())
    for (const quint64 seed : {1ull, 2ull, 3ull, 42ull, 20240611ull})
      QTest::addRow("%s seed %llu", policy.c_str(), seed) << QByteArray::fromStdString(policy) << seed;
}

void TestCacheProperty::randomOperations() {
  QFETCH(QByteArray, policy);
  QFETCH(quint64, seed);
  PropertyRun run(policy.toStdString(), seed);
  for (int i = 0; i < kSteps; ++i) {
    const std::string error = run.step();
    QVERIFY2(error.empty(),
             qPrintable(QStringLiteral("step %1: %2").arg(i).arg(QString::fromStdString(error))));
  }
  // The run reached every removal path, so the invariants above were checked where they matter.
  const CacheCounters& k = run.engine().counters();
  QVERIFY(k.evictions[std::size_t(EvictReason::Capacity)] > 0);
  QVERIFY(k.evictions[std::size_t(EvictReason::Ttl)] > 0);
  QVERIFY(k.evictions[std::size_t(EvictReason::PolicyChange)] > 0);
  QVERIFY(k.evictions[std::size_t(EvictReason::Clear)] > 0);
  QVERIFY(k.rejectedInserts > 0);
  QVERIFY(run.successfulPins() > 0);
}

QTEST_GUILESS_MAIN(TestCacheProperty)
#include "tst_cache_property.moc"
