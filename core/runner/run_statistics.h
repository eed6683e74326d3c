// SPDX-License-Identifier: MIT
#pragma once
// Spread of a run's per-request timings: percentiles and a bootstrap interval for the speedup. Plain
// functions of numbers (torch-free, Qt-free); deterministic for a given seed.
#include <array>
#include <cstdint>
#include <span>

namespace kvlab {

// The q-th percentile (q in [0, 100]) with linear interpolation between closest ranks (numpy's default,
// "linear"): position (n - 1) * q / 100 in the sorted values. Empty input: 0.
double percentile(std::span<const double> values, double q);

// Percentile-bootstrap interval for the ratio sum(numerators) / sum(denominators) of paired samples
// (request i contributes numerators[i] and denominators[i]): `resamples` times, draw n indices with
// replacement, compute the ratio of the drawn sums; return the (1 - confidence) / 2 and
// (1 + confidence) / 2 percentiles of those ratios. Sizes must match; fewer than 2 pairs or a zero
// denominator sum give {0, 0}.
std::array<double, 2> bootstrapRatioInterval(std::span<const double> numerators,
                                             std::span<const double> denominators, double confidence = 0.95,
                                             int resamples = 2000, std::uint64_t seed = 20240601);

}  // namespace kvlab
