// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// Reader for Mooncake-format request traces (FAST'25 "Mooncake" traces, e.g. conversation_trace.jsonl):
// JSON Lines, one request per line, field order free, extra fields ignored:
//   {"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 2, 3]}
// timestamp: arrival in ms since trace start; input_length / output_length: tokens; hash_ids: one
// id per prompt block (512 tokens in the published traces); equal ids = equal block contents
// including the whole prefix before them. input_length is not cross-checked against hash_ids.

namespace kvlab {

struct TraceRequest {
  int64_t timestampMs = 0;        // arrival, ms since trace start; >= 0, non-decreasing in a file
  uint32_t inputLength = 0;       // prompt tokens
  uint32_t outputLength = 0;      // generated tokens
  std::vector<uint64_t> hashIds;  // one id per prompt block, in prompt order
};

struct TraceReadOptions {
  bool skipBadLines = false;  // count and skip malformed lines instead of throwing
};

// Lines longer than this are malformed (error or skipped), never buffered whole.
inline constexpr uint64_t kMaxTraceLineBytes = 64ull << 20;

// Streams a trace in large chunks (memory: one chunk, grown only for a long line), so multi-GB
// traces replay in constant memory. Not thread-safe; one reader per thread. Rules per line:
//  - blank lines (only spaces, tabs, CR) are ignored but counted in lineNumber();
//  - timestamp: integer >= 0 and >= the previous accepted line's timestamp (real traces are
//    sorted; replay relies on it), otherwise the line is malformed;
//  - input_length, output_length: integers in [0, UINT32_MAX];
//  - hash_ids: array of integers in [0, UINT64_MAX] (may be empty);
//  - any of the four missing or duplicated, a non-object line, invalid JSON, invalid UTF-8,
//    trailing content, or a line over kMaxTraceLineBytes: malformed.
// A malformed line throws InputError(path, line, field, message) unless options.skipBadLines.
class MooncakeTraceReader {
public:
  // Opens `path` for reading; throws InputError(path, 0, "", ...) if it cannot be opened.
  explicit MooncakeTraceReader(const std::string& path, TraceReadOptions options = {});
  ~MooncakeTraceReader();
  MooncakeTraceReader(const MooncakeTraceReader&) = delete;
  MooncakeTraceReader& operator=(const MooncakeTraceReader&) = delete;

  // Fills `out` with the next request (reusing its hashIds capacity); false at end of file.
  bool next(TraceRequest& out);

  uint64_t lineNumber() const { return m_lineNumber; }  // 1-based number of the last line read
  uint64_t skippedLines() const { return m_skippedLines; }
  // Full messages ("file:line: field 'x': ...") of the first 10 skipped lines.
  const std::vector<std::string>& firstSkipReasons() const { return m_firstSkipReasons; }
  uint64_t bytesRead() const { return m_bytesConsumed; }  // bytes up to the end of the last line read
  uint64_t fileSize() const { return m_fileSize; }        // 0 if unknown (e.g. a pipe)

private:
  struct Parser;

  bool nextLine(std::string_view& line);
  bool fillBuffer();
  void discardRestOfLine();
  void reportBadLine(const std::string& field, const std::string& message);

  std::string m_path;
  TraceReadOptions m_options;
  std::FILE* m_file = nullptr;
  std::unique_ptr<Parser> m_parser;
  std::unique_ptr<char[]> m_buffer;  // m_capacity bytes + simdjson padding
  size_t m_capacity = 0;
  size_t m_begin = 0;     // start of the unconsumed data in m_buffer
  size_t m_end = 0;       // end of the valid data in m_buffer
  size_t m_scanFrom = 0;  // where to resume looking for '\n'
  bool m_eof = false;
  uint64_t m_lineNumber = 0;
  uint64_t m_skippedLines = 0;
  uint64_t m_bytesConsumed = 0;
  uint64_t m_fileSize = 0;
  int64_t m_lastTimestampMs = 0;
  std::vector<std::string> m_firstSkipReasons;
};

// Reads a whole trace into memory (tests, small traces). Same rules and errors as the reader.
std::vector<TraceRequest> readWholeTrace(const std::string& path, TraceReadOptions options = {});

// Parses one line (no trailing newline needed; CR and surrounding whitespace allowed) without file
// context. Returns false on a malformed line and sets errorField ("" = the line as a whole) and
// errorMessage. Does not check timestamp order (that needs the previous line). Thread-safe (a
// thread-local parser); the fuzz target's entry point.
bool parseTraceLine(std::string_view line, TraceRequest& out, std::string& errorField,
                    std::string& errorMessage);

}  // namespace kvlab
