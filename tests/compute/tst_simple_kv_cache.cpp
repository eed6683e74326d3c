// SPDX-License-Identifier: MIT
// kvlab::SimpleKVCache, the public library (include/kvlab/simple_kv_cache.h), against hand-worked cases:
// stored tensors come back equal, sizes are K bytes + V bytes, LRU victims, the TTL in both modes on an
// injected clock (no sleeps), clear, bad input, and concurrent callers.
#include <ATen/ATen.h>
#include <kvlab/simple_kv_cache.h>

#include <QTest>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace kvlab;
using namespace kvlab::literals;
using namespace std::chrono_literals;

namespace {

// A clock the test sets by hand (ms).
struct ManualTime {
  std::atomic<std::int64_t> ms{0};
  std::function<std::chrono::milliseconds()> fn() {
    return [this] { return std::chrono::milliseconds(ms.load()); };
  }
};

// (2, 3, 4) float K and (2, 3, 5) float V: 24 + 30 = 54 elements * 4 bytes = 216 bytes per entry.
constexpr std::uint64_t kEntryBytes = (2 * 3 * 4 + 2 * 3 * 5) * 4;
at::Tensor makeK(double seed) { return at::arange(24, at::kFloat).reshape({2, 3, 4}) + seed; }
at::Tensor makeV(double seed) { return at::arange(30, at::kFloat).reshape({2, 3, 5}) * 2 + seed; }

}  // namespace

class TestSimpleKvCache : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void defaultsAreTheOriginals() {
    // The original: max_size_gb=10 (10 GiB here: 10 * 1024^3 = 10737418240 bytes), TTL 1 hour = 3600000 ms,
    // entries expire by age, tensors kept on the CPU, LRU eviction.
    const SimpleKVCache::Options o;
    QCOMPARE(o.maxSizeBytes, std::uint64_t(10737418240ull));
    QCOMPARE(o.ttl.count(), std::int64_t(3600000));
    QVERIFY(o.ttlMode == TtlMode::Age);
    QCOMPARE(o.storageDevice, std::string("cpu"));
    QCOMPARE(o.policy, std::string("lru"));
    static_assert(10_GiB == 10737418240ull);
    static_assert(3_MiB == 3145728ull);
    static_assert(5_KiB == 5120ull);
    static_assert(2_TiB == 2199023255552ull);
    static_assert(7_KB == 7000ull && 7_MB == 7000000ull && 7_GB == 7000000000ull && 1_TB == 1000000000000ull);
  }

  void hitAfterCacheKv() {
    SimpleKVCache cache({.maxSizeBytes = 10_GiB, .ttl = 1h, .ttlMode = TtlMode::Age, .storageDevice = "cpu"});
    at::Tensor k = makeK(0.5);
    const at::Tensor v = makeV(0.25);
    QVERIFY(cache.cacheKv("user query", 0, k, v));
    k.add_(100);  // the cache holds a copy: writing the caller's tensor does not change it
    const auto kv = cache.getCachedKv("user query", 0);
    QVERIFY(kv.has_value());
    QVERIFY(at::equal(kv->first, makeK(0.5)));
    QVERIFY(at::equal(kv->second, v));
    QCOMPARE(kv->first.sizes().vec(), (std::vector<std::int64_t>{2, 3, 4}));
    QCOMPARE(kv->second.sizes().vec(), (std::vector<std::int64_t>{2, 3, 5}));
    QVERIFY(kv->first.device().is_cpu());
    const SimpleKVCache::Stats s = cache.stats();
    QCOMPARE(s.hits, std::uint64_t(1));
    QCOMPARE(s.misses, std::uint64_t(0));
    QCOMPARE(s.entries, std::uint64_t(1));
    QCOMPARE(s.bytes, kEntryBytes);
    QCOMPARE(s.hitRatePercent, 100.0);
  }

  void keysArePromptAndLayer() {
    SimpleKVCache cache;
    QVERIFY(cache.cacheKv("abc", 3, makeK(0), makeV(0)));
    QVERIFY(!cache.getCachedKv("abc", 2));
    QVERIFY(!cache.getCachedKv("abcd", 3));
    QVERIFY(!cache.getCachedKv("ab", 3));
    QVERIFY(cache.getCachedKv("abc", 3));
    // 1 hit of 4 lookups = 25 %.
    const SimpleKVCache::Stats s = cache.stats();
    QCOMPARE(s.hits, std::uint64_t(1));
    QCOMPARE(s.misses, std::uint64_t(3));
    QCOMPARE(s.hitRatePercent, 25.0);
  }

  void dtypeAndShapeKept() {
    SimpleKVCache cache;
    const at::Tensor k = at::ones({4, 8}, at::kHalf);
    const at::Tensor v = at::full({8, 4}, 3.0, at::kHalf).t();  // a non-contiguous view
    QVERIFY(cache.cacheKv("p", 0, k, v));
    const auto kv = cache.getCachedKv("p", 0);
    QVERIFY(kv.has_value());
    QVERIFY(kv->first.scalar_type() == at::kHalf);
    QVERIFY(at::equal(kv->second, v));
    QCOMPARE(cache.stats().bytes, std::uint64_t((32 + 32) * 2));  // 64 halves of 2 bytes
  }

  void missAfterClear() {
    SimpleKVCache cache;
    QVERIFY(cache.cacheKv("q", 0, makeK(0), makeV(0)));
    QVERIFY(cache.cacheKv("q", 1, makeK(1), makeV(1)));
    cache.clear();
    QVERIFY(!cache.getCachedKv("q", 0));
    const SimpleKVCache::Stats s = cache.stats();
    QCOMPARE(s.entries, std::uint64_t(0));
    QCOMPARE(s.bytes, std::uint64_t(0));
    QCOMPARE(s.misses, std::uint64_t(1));
    QCOMPARE(s.evictions, std::uint64_t(0));  // clear() is not an eviction
    // Usable again afterwards.
    QVERIFY(cache.cacheKv("q", 0, makeK(2), makeV(2)));
    QVERIFY(at::equal(cache.getCachedKv("q", 0)->first, makeK(2)));
  }

  void replaceKeepsOneEntry() {
    SimpleKVCache cache;
    QVERIFY(cache.cacheKv("q", 0, makeK(0), makeV(0)));
    QVERIFY(cache.cacheKv("q", 0, at::zeros({3}), at::zeros({5})));
    const auto kv = cache.getCachedKv("q", 0);
    QVERIFY(at::equal(kv->first, at::zeros({3})));
    const SimpleKVCache::Stats s = cache.stats();
    QCOMPARE(s.entries, std::uint64_t(1));
    QCOMPARE(s.bytes, std::uint64_t((3 + 5) * 4));
    QCOMPARE(s.evictions, std::uint64_t(0));
  }

  void lruEviction() {
    // Room for exactly 3 entries of 216 bytes (648 of 700). Store a, b, c; use a; storing d needs room and
    // evicts the least recently used: b (a was used after b was stored, c was stored after b).
    SimpleKVCache cache({.maxSizeBytes = 700});
    for (const char* p : {"a", "b", "c"}) QVERIFY(cache.cacheKv(p, 0, makeK(0), makeV(0)));
    QVERIFY(cache.getCachedKv("a", 0));
    QVERIFY(cache.cacheKv("d", 0, makeK(0), makeV(0)));
    QVERIFY(!cache.getCachedKv("b", 0));
    for (const char* p : {"a", "c", "d"}) QVERIFY2(cache.getCachedKv(p, 0), p);
    const SimpleKVCache::Stats s = cache.stats();
    QCOMPARE(s.evictions, std::uint64_t(1));
    QCOMPARE(s.entries, std::uint64_t(3));
    QCOMPARE(s.bytes, 3 * kEntryBytes);
    QCOMPARE(s.hits, std::uint64_t(4));  // a, then a, c, d
    QCOMPARE(s.misses, std::uint64_t(1));
  }

  void tooLargeStoresNothing() {
    // 216 bytes cannot fit in 200: refused, and the entry already there (none here; then one) stays.
    SimpleKVCache cache({.maxSizeBytes = 300});
    QVERIFY(cache.cacheKv("small", 0, at::zeros({10}), at::zeros({10})));  // 80 bytes
    QVERIFY(cache.cacheKv("x", 0, makeK(0), makeV(0)));                    // 216: fits with it (296)
    QVERIFY(!cache.cacheKv("big", 0, at::zeros({40}), at::zeros({40})));   // 320 > 300
    QVERIFY(!cache.getCachedKv("big", 0));
    QVERIFY(cache.getCachedKv("small", 0));
    QVERIFY(cache.getCachedKv("x", 0));
    QCOMPARE(cache.stats().evictions, std::uint64_t(0));
  }

  void ttl_data() {
    QTest::addColumn<int>("mode");                // 0 = Age, 1 = Idle
    QTest::addColumn<std::int64_t>("useAtMs");    // a hit at this time (-1: none)
    QTest::addColumn<std::int64_t>("queryAtMs");  // then a lookup at this time
    QTest::addColumn<bool>("hit");
    // TTL 60 min = 3600000 ms, stored at t = 0. An entry expires when the measured time exceeds the TTL.
    // Age: measured from the insert (0); Idle: from the last use.
    QTest::newRow("age: 60 min exactly, still served")
        << 0 << std::int64_t(-1) << std::int64_t(3600000) << true;
    QTest::newRow("age: 60 min + 1 ms, expired") << 0 << std::int64_t(-1) << std::int64_t(3600001) << false;
    // Used at 40 min: age ignores it, 70 min after the insert is past the TTL.
    QTest::newRow("age: use at 40 min does not extend")
        << 0 << std::int64_t(2400000) << std::int64_t(4200000) << false;
    // Idle: the use at 40 min restarts it; at 70 min it was idle 30 min.
    QTest::newRow("idle: use at 40 min extends")
        << 1 << std::int64_t(2400000) << std::int64_t(4200000) << true;
    QTest::newRow("idle: 60 min + 1 ms unused, expired")
        << 1 << std::int64_t(-1) << std::int64_t(3600001) << false;
  }
  void ttl() {
    QFETCH(int, mode);
    QFETCH(std::int64_t, useAtMs);
    QFETCH(std::int64_t, queryAtMs);
    QFETCH(bool, hit);
    ManualTime time;
    SimpleKVCache cache({.ttl = 1h, .ttlMode = mode == 0 ? TtlMode::Age : TtlMode::Idle, .clock = time.fn()});
    QVERIFY(cache.cacheKv("p", 0, makeK(0), makeV(0)));
    if (useAtMs >= 0) {
      time.ms = useAtMs;
      QVERIFY(cache.getCachedKv("p", 0));
    }
    time.ms = queryAtMs;
    QCOMPARE(cache.getCachedKv("p", 0).has_value(), hit);
    const SimpleKVCache::Stats s = cache.stats();
    QCOMPARE(s.expirations, std::uint64_t(hit ? 0 : 1));
    QCOMPARE(s.entries, std::uint64_t(hit ? 1 : 0));
    QCOMPARE(s.evictions, std::uint64_t(0));
  }

  void statsDropsExpiredEntries() {
    // Nothing looked up: stats() itself removes what expired, so entries and bytes are what can be served.
    ManualTime time;
    SimpleKVCache cache({.ttl = 10s, .clock = time.fn()});
    QVERIFY(cache.cacheKv("old", 0, makeK(0), makeV(0)));
    time.ms = 5000;
    QVERIFY(cache.cacheKv("new", 0, makeK(0), makeV(0)));
    time.ms = 12000;  // "old" is 12 s old, "new" 7 s
    const SimpleKVCache::Stats s = cache.stats();
    QCOMPARE(s.entries, std::uint64_t(1));
    QCOMPARE(s.bytes, kEntryBytes);
    QCOMPARE(s.expirations, std::uint64_t(1));
  }

  void zeroTtlNeverExpires() {
    ManualTime time;
    SimpleKVCache cache({.ttl = 0ms, .clock = time.fn()});
    QVERIFY(cache.cacheKv("p", 0, makeK(0), makeV(0)));
    time.ms = std::int64_t(1) << 50;
    QVERIFY(cache.getCachedKv("p", 0));
  }

  void requestedDevice() {
    SimpleKVCache cache;
    QVERIFY(cache.cacheKv("p", 0, makeK(0), makeV(0)));
    const auto kv = cache.getCachedKv("p", 0, c10::Device(c10::kCPU));
    QVERIFY(kv && kv->first.device().is_cpu() && kv->second.device().is_cpu());
    if (!at::hasCUDA()) QSKIP("no CUDA device: the transfer to it is not tested here");
    const auto onGpu = cache.getCachedKv("p", 0, c10::Device(c10::kCUDA));
    QVERIFY(onGpu->first.device().is_cuda());
    QVERIFY(at::equal(onGpu->first.cpu(), makeK(0)));
  }

  void badInput_data() {
    QTest::addColumn<int>("which");
    QTest::newRow("dtypes differ") << 0;
    QTest::newRow("undefined k") << 1;
    QTest::newRow("layer -1") << 2;
    QTest::newRow("layer = maxLayers") << 3;
    QTest::newRow("unknown policy") << 4;
    QTest::newRow("negative ttl") << 5;
    QTest::newRow("unknown device") << 6;
    QTest::newRow("maxLayers 0") << 7;
  }
  void badInput() {
    QFETCH(int, which);
    try {
      switch (which) {
        case 0:
          SimpleKVCache().cacheKv("p", 0, at::zeros({2}), at::zeros({2}, at::kDouble));
          break;
        case 1:
          SimpleKVCache().cacheKv("p", 0, at::Tensor(), at::zeros({2}));
          break;
        case 2:
          SimpleKVCache().cacheKv("p", -1, at::zeros({2}), at::zeros({2}));
          break;
        case 3:
          SimpleKVCache({.maxLayers = 4}).getCachedKv("p", 4);
          break;
        case 4:
          SimpleKVCache({.policy = "mru"});
          break;
        case 5:
          SimpleKVCache({.ttl = -1s});
          break;
        case 6:
          SimpleKVCache({.storageDevice = "floppy"});
          break;
        case 7:
          SimpleKVCache({.maxLayers = 0});
          break;
      }
      QFAIL("no exception");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(which != 2 && which != 3, e.what());
    } catch (const std::out_of_range& e) {
      QVERIFY2(which == 2 || which == 3, e.what());
    }
  }

  void concurrentCallers() {
    // 4 threads, each stores 50 prompts of its own and reads each back once: every read is a hit (the cache
    // is large enough), so hits = 200 and the contents are 200 entries. Data races show up under TSan.
    SimpleKVCache cache;
    constexpr int kThreads = 4;
    constexpr int kPrompts = 50;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPrompts; ++i) {
          const std::string prompt = std::to_string(t) + "/" + std::to_string(i);
          cache.cacheKv(prompt, t, makeK(i), makeV(t));
          const auto kv = cache.getCachedKv(prompt, t);
          if (!kv || !at::equal(kv->first, makeK(i)) || !at::equal(kv->second, makeV(t))) ++wrong;
        }
      });
    }
    for (std::thread& th : threads) th.join();
    QCOMPARE(wrong.load(), 0);
    const SimpleKVCache::Stats s = cache.stats();
    QCOMPARE(s.hits, std::uint64_t(kThreads * kPrompts));
    QCOMPARE(s.entries, std::uint64_t(kThreads * kPrompts));
    QCOMPARE(s.bytes, kThreads * kPrompts * kEntryBytes);
  }
};

QTEST_GUILESS_MAIN(TestSimpleKvCache)
#include "tst_simple_kv_cache.moc"
