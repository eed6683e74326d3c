// SPDX-License-Identifier: MIT
#include "core/workload/seeded_random.h"

#include <algorithm>
#include <cmath>

namespace kvlab {

namespace {

uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

SeededRandom::SeededRandom(uint64_t seed, uint64_t stream)
    : m_engine(splitMix64(splitMix64(seed) ^ (stream * 0xd1b54a32d192ed03ull + 1))) {}

uint64_t SeededRandom::nextU64() { return m_engine(); }

uint64_t SeededRandom::uniformInt(uint64_t lo, uint64_t hi) {
  const uint64_t span = hi - lo;
  if (span == UINT64_MAX) return nextU64();
  const uint64_t range = span + 1;
  // Reject the top partial bucket so every value is equally likely.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % range + 1) % range;
  uint64_t x = nextU64();
  while (x > limit) x = nextU64();
  return lo + x % range;
}

double SeededRandom::uniform01() { return static_cast<double>(nextU64() >> 11) * 0x1.0p-53; }

double SeededRandom::exponential(double mean) { return -mean * std::log1p(-uniform01()); }

size_t SeededRandom::pickCumulative(const std::vector<double>& cumulative) {
  const double target = uniform01() * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  return std::min(static_cast<size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

std::vector<double> SeededRandom::zipfCumulative(uint32_t n, double s) {
  std::vector<double> cumulative(n);
  double sum = 0;
  for (uint32_t rank = 0; rank < n; ++rank) {
    sum += 1.0 / std::pow(static_cast<double>(rank) + 1.0, s);
    cumulative[rank] = sum;
  }
  return cumulative;
}

}  // namespace kvlab
