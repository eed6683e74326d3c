// SPDX-License-Identifier: MIT
#include "core/util/value_series.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t from = 0;
  for (std::size_t at; (at = text.find(sep, from)) != std::string_view::npos; from = at + 1)
    parts.push_back(text.substr(from, at - from));
  parts.push_back(text.substr(from));
  return parts;
}

template <typename ParseOne>
std::vector<std::uint64_t> parseSeries(std::string_view text, std::string_view field, ParseOne parseOne,
                                       std::vector<std::uint64_t> (*parseList)(std::string_view,
                                                                               std::string_view)) {
  if (text.find(':') == std::string_view::npos)
    return text.find(',') == std::string_view::npos
               ? std::vector<std::uint64_t>{parseOne(text, std::string(field))}
               : parseList(text, field);
  const std::string f(field);
  const auto parts = split(text, ':');
  const std::string usage =
      "a range is FROM:TO:logN or FROM:TO:linN (N values, 2 to 1000), got " + quoteForError(text);
  if (parts.size() != 3) throw InputError("", 0, f, usage);
  const std::uint64_t from = parseOne(parts[0], f + ".from");
  const std::uint64_t to = parseOne(parts[1], f + ".to");
  std::string_view step = parts[2];
  while (!step.empty() && step.front() == ' ') step.remove_prefix(1);
  const bool log = step.starts_with("log");
  if (!log && !step.starts_with("lin")) throw InputError("", 0, f, usage);
  const std::uint64_t n = parseCount(step.substr(3), f + ".steps", 2, 1000);
  if (from >= to) throw InputError("", 0, f, "range must go up (FROM < TO), got " + quoteForError(text));
  if (log && from == 0)
    throw InputError("", 0, f, "a log range must start above 0, got " + quoteForError(text));
  std::vector<std::uint64_t> values;
  for (std::uint64_t i = 0; i < n; ++i) {
    const double t = double(i) / double(n - 1);
    double v = log ? double(from) * std::pow(double(to) / double(from), t)
                   : double(from) + (double(to) - double(from)) * t;
    std::uint64_t rounded = i == 0 ? from : i + 1 == n ? to : std::uint64_t(std::llround(v));
    rounded = std::clamp(rounded, from, to);
    if (values.empty() || rounded > values.back()) values.push_back(rounded);
  }
  return values;
}

std::vector<std::uint64_t> countList(std::string_view text, std::string_view field) {
  return parseCountList(text, field, 0);
}

}  // namespace

std::vector<std::uint64_t> parseCountSeries(std::string_view text, std::string_view field) {
  return parseSeries(
      text, field, [](std::string_view t, const std::string& f) { return parseCount(t, f, 0); }, &countList);
}

std::vector<std::uint64_t> parseSizeSeries(std::string_view text, std::string_view field) {
  return parseSeries(
      text, field, [](std::string_view t, const std::string& f) { return parseSize(t, f); },
      [](std::string_view t, std::string_view f) { return parseSizeList(t, f); });
}

std::vector<std::int64_t> parseDurationList(std::string_view text, std::string_view field) {
  std::vector<std::int64_t> values;
  const auto parts = split(text, ',');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string itemField =
        parts.size() == 1 ? std::string(field) : std::string(field) + "[" + std::to_string(i) + "]";
    values.push_back(parseDurationMs(parts[i], itemField));
  }
  return values;
}

}  // namespace kvlab
