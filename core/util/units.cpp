// SPDX-License-Identifier: MIT
#include "core/util/units.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/util/input_error.h"

namespace kvlab {

namespace {

constexpr std::string_view kSizeExample = "a size like 4096, 512MiB or 1.5GB";
constexpr std::string_view kDurationExample = "a duration like 250ms, 30s, 5m or 2h (or 0/off)";

struct Unit {
  std::string_view name;
  uint64_t factor;
};

constexpr std::array kSizeUnits = {
    Unit{"b", 1ull},
    Unit{"kb", 1000ull},
    Unit{"mb", 1000ull * 1000},
    Unit{"gb", 1000ull * 1000 * 1000},
    Unit{"tb", 1000ull * 1000 * 1000 * 1000},
    Unit{"pb", 1000ull * 1000 * 1000 * 1000 * 1000},
    Unit{"eb", 1000ull * 1000 * 1000 * 1000 * 1000 * 1000},
    Unit{"k", 1ull << 10},
    Unit{"m", 1ull << 20},
    Unit{"g", 1ull << 30},
    Unit{"t", 1ull << 40},
    Unit{"kib", 1ull << 10},
    Unit{"mib", 1ull << 20},
    Unit{"gib", 1ull << 30},
    Unit{"tib", 1ull << 40},
    Unit{"pib", 1ull << 50},  // formatBytes prints PiB/EiB, so they must parse back
    Unit{"eib", 1ull << 60},
};

constexpr std::array kDurationUnits = {
    Unit{"ms", 1ull},        Unit{"s", 1000ull},        Unit{"sec", 1000ull},
    Unit{"m", 60ull * 1000}, Unit{"min", 60ull * 1000}, Unit{"h", 3600ull * 1000},
};

bool isSpace(char c) { return c == ' ' || c == '\t'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

[[noreturn]] void fail(std::string_view field, std::string message) {
  throw InputError("", 0, std::string(field), std::move(message));
}

// A non-negative decimal number followed by an optional unit: "1.5", "2e3", "12".
struct SplitNumber {
  std::string_view number;
  std::string_view unit;
  bool isInteger = true;  // no '.' and no exponent
};

// Splits `text` (already trimmed, non-empty) into number and unit, or throws with `expected`.
SplitNumber splitNumber(std::string_view text, std::string_view field, std::string_view expected) {
  if (text.front() == '-') fail(field, "must not be negative, got " + quoteForError(text));
  SplitNumber out;
  size_t i = 0;
  size_t mantissaDigits = 0;
  while (i < text.size() && isDigit(text[i])) {
    ++i;
    ++mantissaDigits;
  }
  if (i < text.size() && text[i] == '.') {
    out.isInteger = false;
    ++i;
    while (i < text.size() && isDigit(text[i])) {
      ++i;
      ++mantissaDigits;
    }
  }
  if (mantissaDigits == 0) fail(field, "expected " + std::string(expected) + ", got " + quoteForError(text));
  // An exponent only when digits follow; otherwise the 'e' starts a unit (and is rejected there).
  if (i < text.size() && lower(text[i]) == 'e') {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    if (j < text.size() && isDigit(text[j])) {
      while (j < text.size() && isDigit(text[j])) ++j;
      out.isInteger = false;
      i = j;
    }
  }
  out.number = text.substr(0, i);
  out.unit = trim(text.substr(i));
  return out;
}

template <size_t N>
const Unit* findUnit(const std::array<Unit, N>& units, std::string_view name) {
  for (const Unit& u : units) {
    if (equalsIgnoreCase(u.name, name)) return &u;
  }
  return nullptr;
}

// number * factor, rounded to the nearest integer; false if the result exceeds `limit`.
bool scale(const SplitNumber& n, uint64_t factor, uint64_t limit, uint64_t& out) {
  if (n.isInteger) {
    uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(n.number.data(), n.number.data() + n.number.size(), value);
    if (ec != std::errc() || ptr != n.number.data() + n.number.size())
      return false;  // only out-of-range can get here: the scanner accepted digits only
    if (__builtin_mul_overflow(value, factor, &out)) return false;
    return out <= limit;
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(n.number.data(), n.number.data() + n.number.size(), value);
  if (ec != std::errc() || ptr != n.number.data() + n.number.size() || !std::isfinite(value)) return false;
  const long double scaled = static_cast<long double>(value) * static_cast<long double>(factor);
  // limit + 0.5 rounds up past the limit; long double has a 64-bit mantissa on x86, and on
  // platforms where it does not the comparison is still conservative by at most an ulp.
  if (!(scaled < static_cast<long double>(limit) + 0.5L)) return false;
  out = static_cast<uint64_t>(scaled + 0.5L);
  return out <= limit;
}

std::vector<std::string_view> splitList(std::string_view text, std::string_view field) {
  std::vector<std::string_view> items;
  if (trim(text).empty()) fail(field, "is empty; expected a comma-separated list");
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    items.push_back(
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

std::string indexedField(std::string_view field, size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

std::string formatFixed(double value, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %s", value, suffix);
  return buf;
}

}  // namespace

uint64_t parseSize(std::string_view text, std::string_view field) {
  const std::string_view t = trim(text);
  if (t.empty()) fail(field, "is empty; expected " + std::string(kSizeExample));
  const SplitNumber n = splitNumber(t, field, kSizeExample);
  uint64_t factor = 1;
  if (!n.unit.empty()) {
    const Unit* unit = findUnit(kSizeUnits, n.unit);
    if (!unit) {
      fail(field, "unknown unit " + quoteForError(n.unit) + " in " + quoteForError(t) +
                      "; use B, KB, MB, GB, TB, PB (x1000) or KiB, MiB, GiB, TiB, PiB (x1024)");
    }
    factor = unit->factor;
  }
  uint64_t bytes = 0;
  if (!scale(n, factor, std::numeric_limits<uint64_t>::max(), bytes))
    fail(field, "is too large (more than 16 EiB), got " + quoteForError(t));
  return bytes;
}

int64_t parseDurationMs(std::string_view text, std::string_view field) {
  const std::string_view t = trim(text);
  if (t.empty()) fail(field, "is empty; expected " + std::string(kDurationExample));
  if (equalsIgnoreCase(t, "off") || equalsIgnoreCase(t, "none")) return 0;
  const SplitNumber n = splitNumber(t, field, kDurationExample);
  uint64_t factor = 1000;  // no unit = seconds
  if (!n.unit.empty()) {
    const Unit* unit = findUnit(kDurationUnits, n.unit);
    if (!unit) {
      fail(field, "unknown unit " + quoteForError(n.unit) + " in " + quoteForError(t) +
                      "; use ms, s, m (minutes) or h");
    }
    factor = unit->factor;
  }
  uint64_t ms = 0;
  if (!scale(n, factor, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), ms))
    fail(field, "is too large, got " + quoteForError(t));
  return static_cast<int64_t>(ms);
}

uint64_t parseCount(std::string_view text, std::string_view field, uint64_t minValue, uint64_t maxValue) {
  const std::string_view t = trim(text);
  std::string range = "[";
  range += std::to_string(minValue);
  range += ", ";
  range += std::to_string(maxValue);
  range += "]";
  if (t.empty()) fail(field, "is empty; expected an integer in " + range);
  if (t.front() == '-') fail(field, "must not be negative, got " + quoteForError(t));
  for (char c : t) {
    if (!isDigit(c)) fail(field, "expected a whole number in " + range + ", got " + quoteForError(t));
  }
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size() || value < minValue || value > maxValue)
    fail(field, "must be an integer in " + range + ", got " + quoteForError(t));
  return value;
}

std::vector<uint64_t> parseSizeList(std::string_view text, std::string_view field) {
  std::vector<uint64_t> out;
  const auto items = splitList(text, field);
  for (size_t i = 0; i < items.size(); ++i) out.push_back(parseSize(items[i], indexedField(field, i)));
  return out;
}

std::vector<uint64_t> parseCountList(std::string_view text, std::string_view field, uint64_t minValue,
                                     uint64_t maxValue) {
  std::vector<uint64_t> out;
  const auto items = splitList(text, field);
  for (size_t i = 0; i < items.size(); ++i)
    out.push_back(parseCount(items[i], indexedField(field, i), minValue, maxValue));
  return out;
}

namespace {
bool isUnlimited(std::string_view text) {
  const std::string_view t = trim(text);
  return equalsIgnoreCase(t, "unlimited") || equalsIgnoreCase(t, "inf");
}
}  // namespace

uint64_t parseSizeOrUnlimited(std::string_view text, std::string_view field) {
  return isUnlimited(text) ? kUnlimited : parseSize(text, field);
}

uint64_t parseCountOrUnlimited(std::string_view text, std::string_view field, uint64_t minValue) {
  // kUnlimited itself is reserved for "no bound": the largest finite count is one less.
  return isUnlimited(text) ? kUnlimited : parseCount(text, field, minValue, kUnlimited - 1);
}

std::vector<uint64_t> parseSizeOrUnlimitedList(std::string_view text, std::string_view field) {
  std::vector<uint64_t> out;
  const auto items = splitList(text, field);
  for (size_t i = 0; i < items.size(); ++i)
    out.push_back(parseSizeOrUnlimited(items[i], indexedField(field, i)));
  return out;
}

std::vector<uint64_t> parseCountOrUnlimitedList(std::string_view text, std::string_view field,
                                                uint64_t minValue) {
  std::vector<uint64_t> out;
  const auto items = splitList(text, field);
  for (size_t i = 0; i < items.size(); ++i)
    out.push_back(parseCountOrUnlimited(items[i], indexedField(field, i), minValue));
  return out;
}

std::string formatCapacity(uint64_t bytes) { return bytes == kUnlimited ? "unlimited" : formatBytes(bytes); }

std::string formatBytes(uint64_t bytes) {
  static constexpr std::array<const char*, 6> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  // Switch unit before the value would print as "1024.00".
  while (value >= 1024.0 - 0.005 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  return formatFixed(value, kUnits[unit]);
}

std::string formatDurationMs(int64_t ms) {
  if (ms < 0) {
    // INT64_MIN has no positive counterpart; print INT64_MAX's magnitude instead.
    const uint64_t magnitude = std::min<uint64_t>(0ull - static_cast<uint64_t>(ms),
                                                  static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
    std::string out = "-";
    out += formatDurationMs(static_cast<int64_t>(magnitude));
    return out;
  }
  if (ms < 1000) return std::to_string(ms) + " ms";
  const double v = static_cast<double>(ms);
  if (v < 60.0 * 1000 - 5) return formatFixed(v / 1000.0, "s");
  if (v < 3600.0 * 1000 - 300) return formatFixed(v / 60000.0, "min");
  return formatFixed(v / 3600000.0, "h");
}

}  // namespace kvlab
