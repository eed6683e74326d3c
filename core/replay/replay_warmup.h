// SPDX-License-Identifier: MIT
#pragma once
// --warmup, as published hit-rate tables count: the first requests of a trace fill the cache and are not
// measured; hits, prompt tokens and hit rates cover the rest.
#include <cstdint>
#include <string>

namespace kvlab {

struct WarmupSpec {
  bool fraction = false;  // true: `value` of the requests; false: `count` requests
  double value = 0;
  std::uint64_t count = 0;
  bool any() const { return fraction ? value > 0 : count > 0; }
  // The warmup requests of a trace of `requests` requests: floor(value x requests), or min(count, requests).
  std::uint64_t requestsOf(std::uint64_t requests) const;
};

// "0.5" (a fraction in [0, 1): written with a '.'), or "1000" (a count of requests); "" = none. Throws
// InputError naming 'warmup'.
WarmupSpec parseWarmup(const std::string& text);

}  // namespace kvlab
