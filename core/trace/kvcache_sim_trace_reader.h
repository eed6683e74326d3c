// SPDX-License-Identifier: MIT
#pragma once
// Reader for kvcache-simulator JSON Lines traces: one request per line, field order free, extra fields
// ignored:
//   {"timestamp": 1200, "input_length": 300, "output_length": 20, "block_size": 128,
//    "hash_ids": [7, 8, 9], "block_tokens": [128, 128, 44]}
// Quirks, and what the reader makes of them:
//  - block_size is on every line; the first line declares it for the trace and a line that says otherwise is
//    malformed (field block_size).
//  - block_tokens (optional) gives each id its own token count, which then counts instead of block_size
//    (trace_request.h). One count per id, each >= 1. Either every line has it or none (a trace that mixes
//    them is malformed on the first line that differs from line 1).
//  - timestamp (optional) is in ms, as Mooncake's (an integer or a float, rounded); a line without one
//    arrives with the previous line (0 at the start); non-decreasing. output_length is optional (0).
//  - the ids are not assumed to imply their prefix: the reader chains them (BlockChainer; ids that were
//    chained already lose nothing).
#include <memory>
#include <optional>
#include <string>

#include "core/trace/block_chainer.h"
#include "core/trace/line_reader.h"
#include "core/trace/trace_reader.h"

namespace kvlab {

struct TraceSniff;

class KvcacheSimTraceReader final : public TraceReader {
public:
  // Reads up to the first request (which declares the block size) at once. Throws InputError(path, 0, "",
  // ...) if the file cannot be opened, and the first line's errors (unless skipping).
  explicit KvcacheSimTraceReader(const std::string& path, TraceReadOptions options = {});
  ~KvcacheSimTraceReader() override;

  bool next(TraceRequest& out) override;
  std::uint64_t bytesRead() const override { return m_lines.bytesRead(); }
  std::uint64_t fileSize() const override { return m_lines.fileSize(); }

  // A first line with hash_ids and block_size (and no chat_id).
  static bool sniff(const TraceSniff& sniff);

private:
  struct Parser;
  bool readNext(TraceRequest& out);
  bool parse(std::string_view line, TraceRequest& out, std::uint64_t& blockSize, bool& hasTokens,
             std::string& field, std::string& message);

  LineReader m_lines;
  std::unique_ptr<Parser> m_parser;
  BlockChainer m_chainer;
  std::int64_t m_lastTimestampMs = 0;
  bool m_haveFirst = false;         // the first line's block size and block_tokens presence are known
  std::optional<TraceRequest> m_pending;  // the first request, read by the constructor
};

}  // namespace kvlab
