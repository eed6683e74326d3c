// SPDX-License-Identifier: MIT
#include "core/runner/run_statistics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/workload/seeded_random.h"

namespace kvlab {

namespace {

double sortedPercentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double position = double(sorted.size() - 1) * std::clamp(q, 0.0, 100.0) / 100.0;
  const auto below = std::size_t(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - double(below);
  return sorted[below] + (sorted[above] - sorted[below]) * fraction;
}

}  // namespace

double percentile(std::span<const double> values, double q) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return sortedPercentile(sorted, q);
}

std::array<double, 2> bootstrapRatioInterval(std::span<const double> numerators,
                                             std::span<const double> denominators, double confidence,
                                             int resamples, std::uint64_t seed) {
  if (numerators.size() != denominators.size())
    throw std::invalid_argument("bootstrapRatioInterval: numerators and denominators differ in size");
  const std::size_t n = numerators.size();
  if (n < 2 || resamples < 1) return {0, 0};
  SeededRandom rng(seed);
  std::vector<double> ratios;
  ratios.reserve(std::size_t(resamples));
  for (int b = 0; b < resamples; ++b) {
    double num = 0, den = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const auto i = std::size_t(rng.uniformInt(0, n - 1));
      num += numerators[i];
      den += denominators[i];
    }
    if (den > 0) ratios.push_back(num / den);
  }
  if (ratios.empty()) return {0, 0};
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1.0 - confidence) / 2.0 * 100.0;
  return {sortedPercentile(ratios, tail), sortedPercentile(ratios, 100.0 - tail)};
}

}  // namespace kvlab
