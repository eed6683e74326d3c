// SPDX-License-Identifier: MIT
#pragma once
// Reader for Alibaba's Qwen-Bailian traces (alibaba-edu/qwen-bailian-usagetraces-anon, e.g.
// qwen_traceA_blksz_16.jsonl): JSON Lines, one request per line, field order free, extra fields ignored:
//   {"chat_id": 159, "parent_chat_id": 55, "timestamp": 61.114, "input_length": 521, "output_length": 132,
//    "type": "text", "turn": 2, "hash_ids": [1089, 1090, 1091, 6326]}
// Quirks, and what the reader makes of them:
//  - timestamp is in seconds (a float): ms = round(seconds x 1000); non-decreasing (as Mooncake's).
//  - hash_ids are salted SipHash ids of each 16-token block's own content, NOT of its prefix: the same
//    block under another prefix keeps its id. The reader chains them (BlockChainer) so a key implies its
//    path, and keeps the raw ids as chunkIds (what chunk-level reuse could add). 16 tokens per id: declared.
//  - parent_chat_id is -1 for a session's first request (optional, default -1); the session is the root
//    of the parent chain (a parent never seen, e.g. cut off by the trace's window, is taken as the root).
//  - type (text/search/image/file) and turn are optional annotations.
#include <absl/container/flat_hash_map.h>

#include <memory>
#include <string>

#include "core/trace/block_chainer.h"
#include "core/trace/line_reader.h"
#include "core/trace/trace_reader.h"

namespace kvlab {

struct TraceSniff;

class BailianTraceReader final : public TraceReader {
public:
  // Throws InputError(path, 0, "", ...) if the file cannot be opened.
  explicit BailianTraceReader(const std::string& path, TraceReadOptions options = {});
  ~BailianTraceReader() override;

  bool next(TraceRequest& out) override;
  std::uint64_t bytesRead() const override { return m_lines.bytesRead(); }
  std::uint64_t fileSize() const override { return m_lines.fileSize(); }

  // A first line with chat_id and hash_ids.
  static bool sniff(const TraceSniff& sniff);

private:
  struct Parser;
  // Parses one line into out; false with field and message set when it is malformed.
  bool parse(std::string_view line, TraceRequest& out, std::string& field, std::string& message);

  LineReader m_lines;
  std::unique_ptr<Parser> m_parser;
  BlockChainer m_chainer;
  absl::flat_hash_map<std::int64_t, std::int64_t> m_rootOf;  // chat_id -> its session's root chat_id
  std::int64_t m_lastTimestampMs = 0;
};

}  // namespace kvlab
