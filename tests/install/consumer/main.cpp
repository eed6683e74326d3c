// SPDX-License-Identifier: MIT
// Uses kvlab::SimpleKVCache from an installed prefix with real tensors. Its output is checked line by line by
// tests/install/check_install.cmake; the first half is the README's "Use the cache from C++" example.
#include <ATen/ATen.h>
#include <kvlab/simple_kv_cache.h>

#include <cstdio>

int main() {
  using namespace kvlab::literals;
  using namespace std::chrono_literals;

  kvlab::SimpleKVCache cache(
      {.maxSizeBytes = 10_GiB, .ttl = 1h, .ttlMode = kvlab::TtlMode::Age, .storageDevice = "cpu"});
  // One layer's K and V for a 128-token prompt: (kv_heads, tokens, head_dim), fp32 = 256 KiB each.
  const at::Tensor k = at::randn({8, 128, 64});
  const at::Tensor v = at::randn({8, 128, 64});
  cache.cacheKv("You are a helpful assistant.", /*layer=*/0, k, v);

  if (auto kv = cache.getCachedKv("You are a helpful assistant.", /*layer=*/0))
    std::printf("hit: %s\n", at::equal(kv->first, k) && at::equal(kv->second, v) ? "same K/V" : "DIFFERENT");
  const kvlab::SimpleKVCache::Stats s = cache.stats();
  std::printf("hits %llu, misses %llu, entries %llu, bytes %llu, hit rate %.1f %%\n",
              (unsigned long long)s.hits, (unsigned long long)s.misses, (unsigned long long)s.entries,
              (unsigned long long)s.bytes, s.hitRatePercent);

  cache.clear();
  std::printf("after clear: %s\n", cache.getCachedKv("You are a helpful assistant.", 0) ? "hit" : "miss");

  // The TTL measures age since insertion (as the original's dict of timestamps): a hit at 59 minutes does not
  // extend it. An injected clock replaces waiting an hour.
  std::chrono::milliseconds now{0};
  kvlab::SimpleKVCache aging({.ttl = 1h, .ttlMode = kvlab::TtlMode::Age, .clock = [&now] { return now; }});
  aging.cacheKv("prompt", 0, k, v);
  now = 59min;
  std::printf("at 59 min: %s\n", aging.getCachedKv("prompt", 0) ? "hit" : "miss");
  now = 61min;
  std::printf("at 61 min: %s\n", aging.getCachedKv("prompt", 0) ? "hit" : "miss");
  std::printf("expirations %llu\n", (unsigned long long)aging.stats().expirations);
  return 0;
}
