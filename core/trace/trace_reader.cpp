// SPDX-License-Identifier: MIT
#include "core/trace/trace_reader.h"

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

}  // namespace kvlab
