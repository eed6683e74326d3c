// SPDX-License-Identifier: MIT
#pragma once
// Reads a text file line by line in large chunks (memory: one chunk, grown only for a long line), so
// multi-GB traces stream in constant memory. Every line-based reader (JSON Lines, CSV) uses it. Not
// thread-safe; one per thread.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace kvlab {

// Lines longer than this are malformed (the reader reports them), never buffered whole.
inline constexpr std::uint64_t kMaxTraceLineBytes = 64ull << 20;

class LineReader {
public:
  // Readable bytes guaranteed after every line handed out (simdjson parses in place with this padding).
  static constexpr std::size_t kPadding = 64;

  // Opens `path`; throws InputError(path, 0, "", ...) if it is a directory or cannot be opened.
  explicit LineReader(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  enum class Status { Line, TooLong, End };
  // The next line without its '\n' (a UTF-8 byte order mark at the start of the file removed). The view
  // stays valid until the next call; kPadding readable bytes follow it. TooLong: a line over
  // kMaxTraceLineBytes was skipped whole (lineNumber() names it).
  Status next(std::string_view& line);

  const std::string& path() const { return m_path; }
  std::uint64_t lineNumber() const { return m_lineNumber; }  // 1-based number of the last line returned
  std::uint64_t bytesRead() const { return m_bytesConsumed; }  // up to the end of the last line returned
  std::uint64_t fileSize() const { return m_fileSize; }        // 0 if unknown (e.g. a pipe)

private:
  bool fillBuffer();
  void discardRestOfLine();

  std::string m_path;
  std::FILE* m_file = nullptr;
  std::unique_ptr<char[]> m_buffer;  // m_capacity bytes + kPadding
  std::size_t m_capacity = 0;
  std::size_t m_begin = 0;     // start of the unconsumed data in m_buffer
  std::size_t m_end = 0;       // end of the valid data in m_buffer
  std::size_t m_scanFrom = 0;  // where to resume looking for '\n'
  bool m_eof = false;
  std::uint64_t m_lineNumber = 0;
  std::uint64_t m_bytesConsumed = 0;
  std::uint64_t m_fileSize = 0;
};

// True for a line of spaces, tabs and CR only (readers skip those, counting them as lines).
bool isBlankLine(std::string_view line);

}  // namespace kvlab
