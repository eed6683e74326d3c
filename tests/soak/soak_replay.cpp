// SPDX-License-Identifier: MIT
// kvlab-soak: replays a Mooncake trace N times in a row through one TraceReplayer (one engine, state kept
// across passes; timestamps shifted so time keeps moving forward) while the cache's max size jumps
// between very different values (zero included) every K requests. After every resize and at the end of
// every pass it checks the engine's invariants; per pass it prints the process RSS. Exit 0 = bounded and
// consistent, 1 = an invariant broke or RSS kept growing, 2 = bad arguments. Run by tools/soak.sh.
//   kvlab-soak TRACE [passes=10] [resize_every=1000] [max_tokens=20000000] [policy=lru]
#include <array>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/replay/trace_replayer.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "core/trace/mooncake_trace_reader.h"

namespace {

using namespace kvlab;

// VmRSS / VmHWM of this process in bytes (0 if /proc is unavailable).
Bytes procStatusBytes(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string name;
  while (in >> name) {
    if (name == key) {
      Bytes kib = 0;
      in >> kib;
      return kib * 1024;
    }
    std::getline(in, name);
  }
  return 0;
}

// Max sizes, as multiples of the base size in 1/64ths: shrink hard, grow past the base, drop to zero.
constexpr std::array<std::uint64_t, 8> kSizeSixtyFourths = {64, 4, 32, 256, 1, 128, 0, 16};

struct Checker {
  CacheEngine& engine;
  Bytes bytesPerBlock = 0;
  std::uint64_t failures = 0;

  void expect(bool ok, const char* what, std::uint64_t request) {
    if (ok) return;
    if (++failures <= 20)
      std::fprintf(stderr, "soak: invariant broken after request %llu: %s\n", (unsigned long long)request,
                   what);
  }

  void check(std::uint64_t request, std::uint64_t replayed) {
    const CacheCounters& c = engine.counters();
    expect(engine.usedBytes() <= engine.config().capacityBytes, "used bytes <= max size", request);
    expect(engine.usedBytes() == engine.entryCount() * bytesPerBlock, "used bytes == entries x block bytes",
           request);
    expect(engine.peakBytes() >= engine.usedBytes(), "peak >= used", request);
    expect(c.lookups == replayed, "lookups == requests replayed", request);
    expect(c.hitUnits <= c.queriedUnits && c.hitTokens <= c.queriedTokens, "hits <= queries", request);
    std::uint64_t missed = 0;
    for (const std::uint64_t m : c.missUnits) missed += m;
    expect(missed == c.queriedUnits - c.hitUnits, "missed blocks by cause == queried - hit", request);
    expect(c.inserts - c.totalEvictions() == engine.entryCount(), "inserts - removals == live entries",
           request);
    expect(c.hits + c.misses == c.lookups, "hit + miss lookups == lookups", request);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: kvlab-soak TRACE [passes=10] [resize_every=1000] [max_tokens=20000000] [policy=lru]\n");
    return 2;
  }
  const std::string trace = argv[1];
  if (!std::filesystem::exists(trace)) {
    std::printf("soak: skipped: trace %s not found\n", trace.c_str());
    return 0;
  }
  try {
    const std::uint64_t passes = argc > 2 ? parseCount(argv[2], "passes", 1, 1000) : 10;
    const std::uint64_t resizeEvery = argc > 3 ? parseCount(argv[3], "resize_every", 1) : 1000;
    ReplayConfig config;
    config.maxTokens = argc > 4 ? parseCount(argv[4], "max_tokens", 1, 1ull << 40) : 20000000;
    config.policy = argc > 5 ? argv[5] : "lru";
    config.bytesPerToken = 1;
    TraceReplayer replayer(config);
    CacheEngine& engine = replayer.engine();
    const Bytes baseBytes = engine.config().capacityBytes;
    const Bytes bytesPerBlock = Bytes(config.blockSize) * config.bytesPerToken;
    Checker checker{engine, bytesPerBlock};

    std::printf(
        "soak: %s, %llu passes, max size changes every %llu requests around %s (%llu blocks), policy %s\n",
        trace.c_str(), (unsigned long long)passes, (unsigned long long)resizeEvery,
        formatBytes(baseBytes).c_str(), (unsigned long long)(baseBytes / bytesPerBlock),
        config.policy.c_str());
    std::printf("%5s %10s %8s %12s %10s %12s %10s %10s\n", "pass", "requests", "resizes", "hit rate",
                "entries", "evictions", "RSS MiB", "peak MiB");
    TraceRequest request;
    std::uint64_t replayed = 0;
    std::uint64_t resizes = 0;
    std::int64_t timeOffset = 0;
    Bytes rssAfterFirstPass = 0;
    Bytes rssLast = 0;
    for (std::uint64_t pass = 1; pass <= passes; ++pass) {
      MooncakeTraceReader reader(trace);
      std::int64_t lastTs = 0;
      while (reader.next(request)) {
        lastTs = request.timestampMs;
        request.timestampMs += timeOffset;
        replayer.replay(request);
        if (++replayed % resizeEvery == 0) {
          const std::uint64_t step = kSizeSixtyFourths[resizes++ % kSizeSixtyFourths.size()];
          engine.setCapacity(baseBytes / 64 * step);
          checker.check(replayed, replayed);
        }
      }
      timeOffset += lastTs + 1;
      checker.check(replayed, replayed);
      const Bytes rss = procStatusBytes("VmRSS:");
      if (pass == 1) rssAfterFirstPass = rss;
      rssLast = rss;
      const CacheCounters& c = engine.counters();
      std::printf("%5llu %10llu %8llu %11.3f%% %10zu %12llu %10.1f %10.1f\n", (unsigned long long)pass,
                  (unsigned long long)replayed, (unsigned long long)resizes, 100.0 * c.tokenHitRate(),
                  engine.entryCount(), (unsigned long long)c.totalEvictions(), double(rss) / (1 << 20),
                  double(procStatusBytes("VmHWM:")) / (1 << 20));
      std::fflush(stdout);
    }
    // Bounded: after the first pass has sized every structure, later passes may not keep growing.
    const bool bounded = rssLast <= rssAfterFirstPass + rssAfterFirstPass / 10 + (8u << 20);
    std::printf("soak: %s; RSS after pass 1 %s, after pass %llu %s (%s); %llu invariant failures\n",
                checker.failures == 0 && bounded ? "PASS" : "FAIL", formatBytes(rssAfterFirstPass).c_str(),
                (unsigned long long)passes, formatBytes(rssLast).c_str(), bounded ? "bounded" : "GROWING",
                (unsigned long long)checker.failures);
    return checker.failures == 0 && bounded ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soak: %s\n", e.what());
    return 2;
  }
}
