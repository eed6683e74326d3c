// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Parsing and printing of the human-written quantities in scenario files and on the command line.
// Every parser trims surrounding spaces/tabs, rejects anything it does not fully understand and
// throws kvlab::InputError naming `field` (no file: callers that know it use withLocation()).

namespace kvlab {

// A capacity (bytes, tokens, blocks) meaning "no bound": the infinite cache every size is compared with.
// Capacity arithmetic saturates at it (saturatingMul), so an unbounded size stays unbounded.
inline constexpr uint64_t kUnlimited = ~uint64_t(0);
inline constexpr uint64_t saturatingMul(uint64_t a, uint64_t b) {
  return (b != 0 && a > kUnlimited / b) ? kUnlimited : a * b;
}

// Bytes. "4096", "512 KB", "1.5GiB", "2 tib", "1e3MB". Units (case-insensitive): B, KB/MB/GB/TB/PB/EB
// (powers of 1000), KiB/MiB/GiB/TiB/PiB/EiB (powers of 1024), also K/M/G/T meaning the binary units
// (so everything formatBytes() prints parses back).
// No unit = bytes. Decimals and exponents are allowed; the result is rounded to the nearest byte.
// 0 is accepted (callers that need a positive size check). Rejects: empty, sign, nan/inf, junk,
// unknown unit, a value above UINT64_MAX bytes.
uint64_t parseSize(std::string_view text, std::string_view field = "size");

// Milliseconds. "250ms", "30s", "1.5 m", "2h", "90" (no unit = seconds, like TTLs in Redis or
// memcached). "0", "off", "none" (case-insensitive) all mean "disabled" and return 0. Units
// (case-insensitive): ms, s/sec, m/min, h. Rounded to the nearest ms; the result fits int64.
int64_t parseDurationMs(std::string_view text, std::string_view field = "duration");

// A plain decimal integer in [minValue, maxValue] (default: positive). No sign, no unit, no
// exponent, no separators.
uint64_t parseCount(std::string_view text, std::string_view field = "count", uint64_t minValue = 1,
                    uint64_t maxValue = UINT64_MAX);

// Comma-separated lists ("1GiB,2GiB, 4GiB"). Empty items are errors; the field of an item's error
// is "field[i]" (0-based). The empty string is an error, not an empty list.
std::vector<uint64_t> parseSizeList(std::string_view text, std::string_view field = "sizes");
std::vector<uint64_t> parseCountList(std::string_view text, std::string_view field = "counts",
                                     uint64_t minValue = 1, uint64_t maxValue = UINT64_MAX);

// Cache capacities: as parseSize() / parseCount(), and also "unlimited" or "inf" (case-insensitive),
// which return kUnlimited. Lists accept either in any item ("1GiB,4GiB,unlimited").
uint64_t parseSizeOrUnlimited(std::string_view text, std::string_view field = "max-size");
uint64_t parseCountOrUnlimited(std::string_view text, std::string_view field = "max-tokens",
                               uint64_t minValue = 1);
std::vector<uint64_t> parseSizeOrUnlimitedList(std::string_view text, std::string_view field = "max-size");
std::vector<uint64_t> parseCountOrUnlimitedList(std::string_view text, std::string_view field = "max-tokens",
                                                uint64_t minValue = 1);

// "512 B", "1.00 KiB", "1.50 GiB": binary units, two decimals from KiB up.
std::string formatBytes(uint64_t bytes);
// formatBytes(), or "unlimited" for kUnlimited.
std::string formatCapacity(uint64_t bytes);

// "0 ms", "250 ms", "1.50 s", "2.50 min", "3.00 h"; negative values get a leading '-'.
std::string formatDurationMs(int64_t ms);

}  // namespace kvlab
