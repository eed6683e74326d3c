// SPDX-License-Identifier: MIT
#pragma once
// The one interface every trace format's reader implements (libCacheSim's reader family): next(request) in
// arrival order, plus what the reader knows about the trace (info()) and what it skipped. Readers stream
// where the format allows it (Mooncake, Qwen-Bailian, kvcache-simulator, the CSV traces: one line at a
// time, constant memory); formats that need the whole input first (RAGPulse: side files and out-of-order
// records; kv-cache-tester: one JSON document per conversation) read it in their constructor.
//
// Adding a format: a reader class in its own file pair deriving from TraceReader, and one line in the
// registry (trace_format.cpp) with its name, sniffer and factory.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/trace_info.h"
#include "core/trace/trace_request.h"

namespace kvlab {

class LineReader;

// How the prompts reader (prompt_trace_reader.h) turns your own prompts into block keys; every other reader
// ignores it. The CLI's --tokenizer, --chat-template and --block-size fill it.
struct PromptTextOptions {
  std::string tokenizerPath;          // a tokenizer.json; required for text, not for token ids
  std::string chatTemplate = "auto";  // llama-3 | chatml | raw | auto (from the tokenizer's added tokens)
  std::uint32_t blockSize = 0;        // tokens per block; 0 = the format's default (16)
};

struct TraceReadOptions {
  bool skipBadLines = false;  // count and skip malformed lines (records) instead of throwing
  PromptTextOptions prompts;
};

class TraceReader {
public:
  virtual ~TraceReader() = default;
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  // Fills `out` with the next request (reusing its vectors' capacity); false at the end. Timestamps never
  // decrease. A malformed line throws InputError(file, line, field, message) unless skipBadLines.
  virtual bool next(TraceRequest& out) = 0;

  // The trace's format, block size, what requests carry; label tables grow as requests are read (complete
  // once next() returned false). Valid from construction.
  const TraceInfo& info() const { return m_info; }
  std::uint64_t skippedLines() const { return m_skippedLines; }
  // Full messages ("file:line: field 'x': ...") of the first 10 skipped lines.
  const std::vector<std::string>& firstSkipReasons() const { return m_firstSkipReasons; }
  // Progress: bytes consumed of fileSize() (0 = unknown). Readers that load everything up front report
  // their whole size at once.
  virtual std::uint64_t bytesRead() const { return 0; }
  virtual std::uint64_t fileSize() const { return 0; }

protected:
  TraceReader(std::string path, std::string format, TraceReadOptions options);
  // A malformed line or record: throws InputError(file, line, field, message), or counts and remembers it
  // when skipping.
  void reportBadLine(const std::string& file, std::uint64_t line, const std::string& field,
                     const std::string& message);
  // The next line of `file` that holds something: a line past the LineReader's limit is reported (and
  // passed over when skipping), blank lines are passed over. False at the end of the file.
  bool nextContentLine(LineReader& lines, const std::string& file, std::string_view& line);
  // Requests come sorted by timestamp: one earlier than `last` is reported as a bad line (false); otherwise
  // it becomes `last` (true).
  bool acceptInTimeOrder(std::int64_t timestampMs, std::int64_t& last, std::uint64_t line);

  TraceInfo m_info;
  TraceReadOptions m_options;

private:
  std::uint64_t m_skippedLines = 0;
  std::vector<std::string> m_firstSkipReasons;
};

}  // namespace kvlab
