// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace kvlab {

// Portable random numbers for workload generation: std::mt19937_64 is specified bit-for-bit by the
// standard, the std:: distributions are not, so every distribution here is our own code and a seed
// gives the same workload with libstdc++, libc++ and MSVC. Not thread-safe; one per generator.
class SeededRandom {
public:
  // `stream` selects an independent sequence for the same seed (seed and stream are mixed with
  // splitmix64), so separate concerns (text, lengths, arrivals) do not shift each other.
  explicit SeededRandom(uint64_t seed, uint64_t stream = 0);

  uint64_t nextU64();
  // Uniform in [lo, hi], inclusive, unbiased (rejection sampling). Requires lo <= hi.
  uint64_t uniformInt(uint64_t lo, uint64_t hi);
  // Uniform in [0, 1) with 53 random bits.
  double uniform01();
  // Exponential with the given mean (> 0).
  double exponential(double mean);
  // Index i with probability (cumulative[i] - cumulative[i-1]) / cumulative.back();
  // `cumulative` is non-empty and non-decreasing with a positive last element.
  size_t pickCumulative(const std::vector<double>& cumulative);

  // Cumulative Zipf weights for ranks 0..n-1: weight(rank) = 1 / (rank + 1)^s; s = 0 is uniform.
  static std::vector<double> zipfCumulative(uint32_t n, double s);

private:
  std::mt19937_64 m_engine;
};

}  // namespace kvlab
