// SPDX-License-Identifier: MIT
#include "core/trace/line_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/util/input_error.h"

namespace kvlab {

namespace {
constexpr std::size_t kChunkBytes = 4u << 20;  // read size; the buffer starts at this and grows for long lines
static_assert(LineReader::kPadding >= simdjson::SIMDJSON_PADDING);
}  // namespace

bool isBlankLine(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

LineReader::LineReader(const std::string& path) : m_path(path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, 0, "", "is a directory, not a trace file");
  m_file = std::fopen(path.c_str(), "rb");
  if (!m_file) throw InputError(path, 0, "", std::string("cannot open: ") + std::strerror(errno));
  const auto size = std::filesystem::file_size(path, ec);
  m_fileSize = ec ? 0 : static_cast<std::uint64_t>(size);
  m_capacity = kChunkBytes;
  m_buffer = std::make_unique_for_overwrite<char[]>(m_capacity + kPadding);
}

LineReader::~LineReader() {
  if (m_file) std::fclose(m_file);
}

// Appends up to the free space (after compacting, growing if a line fills the whole buffer).
// Returns false once the file is exhausted and nothing was added.
bool LineReader::fillBuffer() {
  if (m_eof) return false;
  if (m_begin > 0) {
    std::memmove(m_buffer.get(), m_buffer.get() + m_begin, m_end - m_begin);
    m_end -= m_begin;
    m_scanFrom -= m_begin;
    m_begin = 0;
  }
  if (m_end == m_capacity) {
    const std::size_t grown = std::min<std::size_t>(m_capacity * 2, kMaxTraceLineBytes + kChunkBytes);
    auto buffer = std::make_unique_for_overwrite<char[]>(grown + kPadding);
    std::memcpy(buffer.get(), m_buffer.get(), m_end);
    m_buffer = std::move(buffer);
    m_capacity = grown;
  }
  const std::size_t got = std::fread(m_buffer.get() + m_end, 1, m_capacity - m_end, m_file);
  if (got == 0) {
    if (std::ferror(m_file))
      throw InputError(m_path, static_cast<std::int64_t>(m_lineNumber), "",
                       std::string("read error: ") + std::strerror(errno));
    m_eof = true;
    return false;
  }
  m_end += got;
  return true;
}

// Drops the rest of an over-long line, reading until after its newline (or EOF).
void LineReader::discardRestOfLine() {
  while (true) {
    const char* start = m_buffer.get() + m_scanFrom;
    const void* nl = std::memchr(start, '\n', m_end - m_scanFrom);
    if (nl) {
      const std::size_t next = static_cast<std::size_t>(static_cast<const char*>(nl) - m_buffer.get()) + 1;
      m_bytesConsumed += next - m_begin;
      m_begin = m_scanFrom = next;
      return;
    }
    m_bytesConsumed += m_end - m_begin;
    m_begin = m_scanFrom = m_end;
    if (!fillBuffer()) return;
  }
}

LineReader::Status LineReader::next(std::string_view& line) {
  while (true) {
    const char* start = m_buffer.get() + m_scanFrom;
    const void* nl = std::memchr(start, '\n', m_end - m_scanFrom);
    if (nl) {
      const std::size_t lineEnd = static_cast<std::size_t>(static_cast<const char*>(nl) - m_buffer.get());
      ++m_lineNumber;
      if (lineEnd - m_begin > kMaxTraceLineBytes) {
        m_scanFrom = lineEnd;
        discardRestOfLine();
        return Status::TooLong;
      }
      line = std::string_view(m_buffer.get() + m_begin, lineEnd - m_begin);
      m_bytesConsumed += lineEnd + 1 - m_begin;
      m_begin = m_scanFrom = lineEnd + 1;
      break;
    }
    m_scanFrom = m_end;
    if (m_end - m_begin > kMaxTraceLineBytes) {
      ++m_lineNumber;
      discardRestOfLine();
      return Status::TooLong;
    }
    if (!fillBuffer()) {
      if (m_begin == m_end) return Status::End;
      ++m_lineNumber;  // last line without a newline
      line = std::string_view(m_buffer.get() + m_begin, m_end - m_begin);
      m_bytesConsumed += m_end - m_begin;
      m_begin = m_scanFrom = m_end;
      break;
    }
  }
  if (m_lineNumber == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 byte order mark
  return Status::Line;
}

}  // namespace kvlab
