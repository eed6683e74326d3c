// SPDX-License-Identifier: MIT
#pragma once
// Lists and ranges of values for sweeps, on the command line and in the GUI:
//   "250000,1000000,4000000"     a comma-separated list (as parseCountList / parseSizeList)
//   "100000:8000000:log12"       12 values from 100000 to 8000000, evenly spaced on a log scale
//   "0:1000000:lin5"             5 values evenly spaced (0, 250000, 500000, 750000, 1000000)
// Range values are rounded to the nearest integer; both ends are exact; repeats after rounding are dropped.
// Errors throw InputError naming `field` (an item of a list as "field[i]").
#include <cstdint>
#include <string_view>
#include <vector>

namespace kvlab {

// Token counts (plain integers, 0 allowed).
std::vector<std::uint64_t> parseCountSeries(std::string_view text, std::string_view field);
// Byte sizes with units ("8GiB:80GiB:log10").
std::vector<std::uint64_t> parseSizeSeries(std::string_view text, std::string_view field);
// Durations in ms, a comma-separated list ("0,30s,5m"; "0"/"off" = no TTL).
std::vector<std::int64_t> parseDurationList(std::string_view text, std::string_view field);

}  // namespace kvlab
