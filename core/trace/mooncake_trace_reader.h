// SPDX-License-Identifier: MIT
#pragma once
// Reader for Mooncake-format request traces (FAST'25 "Mooncake" traces, e.g. conversation_trace.jsonl):
// JSON Lines, one request per line, field order free, extra fields ignored:
//   {"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 2, 3]}
// timestamp: arrival in ms since trace start; input_length / output_length: tokens; hash_ids: one id per
// prompt block (512 tokens in the published traces; the file does not say, so --block-size may set it);
// equal ids = equal block contents including the whole prefix before them, so the ids are kept as they are
// (already chained). input_length is not cross-checked against hash_ids.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/line_reader.h"
#include "core/trace/trace_reader.h"

namespace kvlab {

struct TraceSniff;

// Streams a trace (LineReader: constant memory). Rules per line:
//  - blank lines (only spaces, tabs, CR) are ignored but counted in lineNumber();
//  - timestamp: integer >= 0 and >= the previous accepted line's timestamp (real traces are
//    sorted; replay relies on it), otherwise the line is malformed;
//  - input_length, output_length: integers in [0, UINT32_MAX];
//  - hash_ids: array of integers in [0, UINT64_MAX] (may be empty);
//  - any of the four missing or duplicated, a non-object line, invalid JSON, invalid UTF-8,
//    trailing content, or a line over kMaxTraceLineBytes: malformed.
// A malformed line throws InputError(path, line, field, message) unless options.skipBadLines.
class MooncakeTraceReader final : public TraceReader {
public:
  // Opens `path` for reading; throws InputError(path, 0, "", ...) if it cannot be opened.
  explicit MooncakeTraceReader(const std::string& path, TraceReadOptions options = {});
  ~MooncakeTraceReader() override;

  // Fills `out` with the next request (reusing its hashIds capacity; the other vectors stay empty).
  bool next(TraceRequest& out) override;

  std::uint64_t lineNumber() const { return m_lines.lineNumber(); }  // 1-based number of the last line read
  std::uint64_t bytesRead() const override { return m_lines.bytesRead(); }
  std::uint64_t fileSize() const override { return m_lines.fileSize(); }

  // The registry's sniffer: a first line that is a JSON object with Mooncake's fields and none of the fields
  // that mark the other JSON Lines formats (chat_id, block_size, block_tokens, an object of hash_ids).
  static bool sniff(const TraceSniff& sniff);

private:
  struct Parser;

  LineReader m_lines;
  std::unique_ptr<Parser> m_parser;
  std::int64_t m_lastTimestampMs = 0;
};

// Reads a whole Mooncake file into memory with this reader (tests, tools; an empty file gives no requests).
// Consumers read any format with loadTrace (trace.h).
std::vector<TraceRequest> readWholeTrace(const std::string& path, TraceReadOptions options = {});

// Parses one line (no trailing newline needed; CR and surrounding whitespace allowed) without file
// context. Returns false on a malformed line and sets errorField ("" = the line as a whole) and
// errorMessage. Does not check timestamp order (that needs the previous line). Thread-safe (a
// thread-local parser); the fuzz target's entry point.
bool parseTraceLine(std::string_view line, TraceRequest& out, std::string& errorField,
                    std::string& errorMessage);

}  // namespace kvlab
