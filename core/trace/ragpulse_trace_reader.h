// SPDX-License-Identifier: MIT
#pragma once
// Reader for RAGPulse (flashserve/RAGPulse, data/): a directory holding 0_trace.jsonl, one RAG request per
// line,
//   {"timestamp": "82", "input_length": 3112, "output_length": 192, "session_id": "1757476916095-afh",
//    "hash_ids": {"sys_prompt": [8302, 14332], "passages_ids": [7398, 7370], "history": [15200],
//                 "web_search": [], "user_input": [26923]}}
// and side files 1_sys_prompt.jsonl ... 5_web_search.jsonl, one chunk per line, {"<kind>_id": N,
// "token_length": L}. Quirks, and what the reader makes of them:
//  - hash_ids is an object of segments, laid out in the prompt in the order sys_prompt, passages_ids,
//    history, web_search, user_input (whatever the key order in the line); each segment's index per block
//    is kept (TraceRequest::segments, TraceInfo::segments).
//  - chunk ids are global across the side files, and NOT prefix-chained (a passage recurs at other
//    positions). The reader chains them (a chunk is a prefix hit only after the same chunk path) and keeps
//    the raw ids (chunkIds) for chunk-level reuse, CacheBlend-style (trace_bounds.h).
//  - each chunk weighs its token_length (<= 512); the chunks of a request sum to its input_length minus
//    6-12 template tokens, which are never hits. One key per chunk: the declared block size is 512 (a
//    cache slot holds the largest chunk).
//  - timestamp is a string of seconds (a number is accepted too); records are out of time order: the
//    reader sorts them (stable: equal times keep file order). The file ends with a blank line (skipped).
// The whole directory is read at construction (a few MB); next() hands out the sorted requests. Opening
// 0_trace.jsonl itself opens its directory.
#include <string>
#include <vector>

#include "core/trace/trace_reader.h"

namespace kvlab {

struct TraceSniff;

class RagpulseTraceReader final : public TraceReader {
public:
  // path: the directory, or its 0_trace.jsonl. Throws InputError naming the file, line and field of what is
  // malformed (unless skipping; then that request or chunk line is counted and left out).
  explicit RagpulseTraceReader(const std::string& path, TraceReadOptions options = {});

  bool next(TraceRequest& out) override;
  std::uint64_t bytesRead() const override { return m_next < m_requests.size() ? 0 : m_bytes; }
  std::uint64_t fileSize() const override { return m_bytes; }

  // A directory holding 0_trace.jsonl, or a file whose first line has hash_ids as an object.
  static bool sniff(const TraceSniff& sniff);

  // The segments in prompt order.
  static const std::vector<std::string>& segmentOrder();

private:
  std::vector<TraceRequest> m_requests;  // sorted by arrival
  std::size_t m_next = 0;
  std::uint64_t m_bytes = 0;  // of every file read
};

}  // namespace kvlab
