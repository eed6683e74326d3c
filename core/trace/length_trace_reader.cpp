// SPDX-License-Identifier: MIT
#include "core/trace/length_trace_reader.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "core/trace/trace_format.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// Plain comma-separated fields (neither published file quotes commas).
std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    const std::size_t comma = line.find(',');
    fields.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return fields;
    line.remove_prefix(comma + 1);
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

int columnOf(const std::vector<std::string_view>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (lower(header[i]) == lower(name)) return int(i);
  return -1;
}

std::string firstLineOf(const TraceSniff& s) { return lower(s.firstLine); }

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + std::int64_t(doe) - 719468;
}

// "YYYY-MM-DD HH:MM:SS[.fraction]" as ms since the epoch (UTC), rounded; false if malformed.
bool parseDateTimeMs(std::string_view text, std::int64_t& outMs) {
  unsigned v[6] = {};
  const char seps[5] = {'-', '-', ' ', ':', ':'};
  const int widths[6] = {4, 2, 2, 2, 2, 2};
  std::size_t at = 0;
  for (int i = 0; i < 6; ++i) {
    if (at + std::size_t(widths[i]) > text.size()) return false;
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + widths[i], v[i]);
    if (ec != std::errc() || end != text.data() + at + widths[i]) return false;
    at += std::size_t(widths[i]);
    if (i < 5) {
      if (at >= text.size() || (text[at] != seps[i] && !(i == 2 && text[at] == 'T'))) return false;
      ++at;
    }
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) return false;
  double fraction = 0;
  if (at < text.size()) {
    if (text[at] != '.' || at + 1 >= text.size()) return false;
    double scale = 0.1;
    for (std::size_t i = at + 1; i < text.size(); ++i, scale /= 10) {
      if (text[i] < '0' || text[i] > '9') return false;
      fraction += (text[i] - '0') * scale;
    }
  }
  const std::int64_t seconds =
      daysFromCivil(v[0], v[1], v[2]) * 86400 + std::int64_t(v[3]) * 3600 + v[4] * 60 + v[5];
  outMs = seconds * 1000 + std::llround(fraction * 1000);
  return true;
}

bool parseUnsigned(std::string_view text, std::uint64_t maxValue, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out <= maxValue;
}

}  // namespace

bool LengthTraceReader::sniffAzure(const TraceSniff& s) {
  const std::string line = firstLineOf(s);
  return !s.isDirectory && line.find("contexttokens") != std::string::npos &&
         line.find("generatedtokens") != std::string::npos;
}

bool LengthTraceReader::sniffBurstGpt(const TraceSniff& s) {
  const std::string line = firstLineOf(s);
  return !s.isDirectory && line.find("request tokens") != std::string::npos &&
         line.find("response tokens") != std::string::npos;
}

LengthTraceReader::LengthTraceReader(const std::string& path, Layout layout, TraceReadOptions options)
    : TraceReader(path, layout == Layout::Azure ? "azure-llm" : "burstgpt", options), m_lines(path), m_layout(layout) {
  m_info.hasBlockIds = false;
  m_info.blockSizeSource = "none (lengths only)";
  std::string_view line;
  LineReader::Status status;
  while ((status = m_lines.next(line)) == LineReader::Status::Line && isBlankLine(line)) {
  }
  if (status != LineReader::Status::Line)
    throw InputError(path, std::int64_t(m_lines.lineNumber()), "",
                     status == LineReader::Status::End ? "is empty: expected a CSV header line"
                                                       : "header line is longer than 64 MiB");
  const std::vector<std::string_view> header = splitFields(line);
  m_columns = header.size();
  const char* names[3] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
  if (layout == Layout::BurstGpt) {
    names[0] = "Timestamp";
    names[1] = "Request tokens";
    names[2] = "Response tokens";
    m_model = columnOf(header, "Model");
    m_type = columnOf(header, "Log Type");
  }
  int* const targets[3] = {&m_time, &m_input, &m_output};
  for (int i = 0; i < 3; ++i) {
    *targets[i] = columnOf(header, names[i]);
    if (*targets[i] < 0)
      throw InputError(path, std::int64_t(m_lines.lineNumber()), names[i],
                       "column is missing from the header " + quoteForError(line, 120));
  }
}

bool LengthTraceReader::next(TraceRequest& out) {
  std::string_view line;
  while (true) {
    if (!nextContentLine(m_lines, m_info.path, line)) return false;
    const std::uint64_t lineNo = m_lines.lineNumber();
    const std::vector<std::string_view> fields = splitFields(line);
    if (fields.size() != m_columns) {
      reportBadLine(m_info.path, lineNo, "",
                    "has " + std::to_string(fields.size()) + " fields, the header " + std::to_string(m_columns));
      continue;
    }
    const std::string_view timeText = fields[std::size_t(m_time)];
    std::int64_t ms = 0;
    if (m_layout == Layout::Azure) {
      if (!parseDateTimeMs(timeText, ms)) {
        reportBadLine(m_info.path, lineNo, "TIMESTAMP",
                      "expected a date and time like 2023-11-16 18:17:03.9799600, got " + quoteForError(timeText));
        continue;
      }
      if (!m_haveFirst) m_firstMs = ms;
      ms -= m_firstMs;
    } else {
      const std::string copy(timeText);
      char* end = nullptr;
      const double seconds = std::strtod(copy.c_str(), &end);
      if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(seconds) || seconds < 0 ||
          seconds > 9.2e15) {
        reportBadLine(m_info.path, lineNo, "Timestamp", "must be a number of seconds >= 0, got " + quoteForError(timeText));
        continue;
      }
      ms = std::int64_t(std::llround(seconds * 1000));
    }
    std::uint64_t input = 0, output = 0;
    const char* inputName = m_layout == Layout::Azure ? "ContextTokens" : "Request tokens";
    const char* outputName = m_layout == Layout::Azure ? "GeneratedTokens" : "Response tokens";
    if (!parseUnsigned(fields[std::size_t(m_input)], std::numeric_limits<std::uint32_t>::max(), input)) {
      reportBadLine(m_info.path, lineNo, inputName,
                    "must be a non-negative integer below 2^32 (tokens), got " + quoteForError(fields[std::size_t(m_input)]));
      continue;
    }
    if (!parseUnsigned(fields[std::size_t(m_output)], std::numeric_limits<std::uint32_t>::max(), output)) {
      reportBadLine(m_info.path, lineNo, outputName,
                    "must be a non-negative integer below 2^32 (tokens), got " +
                        quoteForError(fields[std::size_t(m_output)]));
      continue;
    }
    if (m_haveFirst && ms < m_lastTimestampMs) {
      reportBadLine(m_info.path, lineNo, m_layout == Layout::Azure ? "TIMESTAMP" : "Timestamp",
                    "goes back in time (" + std::to_string(ms) + " ms after the first row, the previous row " +
                        std::to_string(m_lastTimestampMs) + "); rows must be in time order");
      continue;
    }
    m_haveFirst = true;
    m_lastTimestampMs = ms;
    out = TraceRequest{};
    out.timestampMs = ms;
    out.inputLength = std::uint32_t(input);
    out.outputLength = std::uint32_t(output);
    if (m_model >= 0) out.model = m_info.models.intern(fields[std::size_t(m_model)]);
    if (m_type >= 0) out.requestType = m_info.requestTypes.intern(fields[std::size_t(m_type)]);
    return true;
  }
}

}  // namespace kvlab
