// SPDX-License-Identifier: MIT
#include "core/trace/trace_reader.h"

#include "core/trace/line_reader.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {
constexpr std::size_t kMaxSkipReasons = 10;
}

TraceReader::TraceReader(std::string path, std::string format, TraceReadOptions options)
    : m_options(options) {
  m_info.path = std::move(path);
  m_info.format = std::move(format);
}

void TraceReader::reportBadLine(const std::string& file, std::uint64_t line, const std::string& field,
                                const std::string& message) {
  InputError error(file, static_cast<std::int64_t>(line), field, message);
  if (!m_options.skipBadLines) throw error;
  ++m_skippedLines;
  if (m_firstSkipReasons.size() < kMaxSkipReasons) m_firstSkipReasons.emplace_back(error.what());
}

bool TraceReader::nextContentLine(LineReader& lines, const std::string& file, std::string_view& line) {
  while (true) {
    const LineReader::Status status = lines.next(line);
    if (status == LineReader::Status::End) return false;
    if (status == LineReader::Status::TooLong) {
      reportBadLine(file, lines.lineNumber(), "", "line is longer than 64 MiB");
      continue;
    }
    if (!isBlankLine(line)) return true;
  }
}

bool TraceReader::acceptInTimeOrder(std::int64_t timestampMs, std::int64_t& last, std::uint64_t line) {
  if (timestampMs < last) {
    reportBadLine(m_info.path, line, "timestamp",
                  "is " + std::to_string(timestampMs) + " ms, earlier than the previous request's " +
                      std::to_string(last) + " ms; traces must be sorted by timestamp");
    return false;
  }
  last = timestampMs;
  return true;
}

}  // namespace kvlab
