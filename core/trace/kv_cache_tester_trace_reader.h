// SPDX-License-Identifier: MIT
#pragma once
// Reader for WEKA's agent-coding traces as published with callanjfox/kv-cache-tester (traces/*.json): one
// JSON document per conversation, or a directory of them.
//   {"id": "trace_0001", "models": [...], "block_size": 64, "hash_id_scope": "local",
//    "requests": [{"t": 0.0, "type": "n", "model": "claude-opus-4-5", "in": 71175, "out": 169,
//                  "hash_ids": [1, 2, ...], ...},
//                 {"t": 40.0, "type": "subagent", "agent_id": "...", "subagent_type": "Explore",
//                  "requests": [{"t": 0.0, ...}, ...]}, ...]}
// Quirks, and what the reader makes of them:
//  - block_size (64) is declared per file; every file of a directory must agree.
//  - hash_id_scope "local": ids are local to the file (sub-agents share their parent's ids): each file gets
//    its own namespace, so equal ids in two files are different blocks. "global": one namespace for every
//    file. Anything else (older traces, "per_context"): one namespace per context (each sub-agent its own).
//    Within a namespace the ids are chained (BlockChainer) so a key implies its path.
//  - hash_ids hold the full 64-token blocks of the prompt (floor(in/64), sometimes one more): tokens past
//    the last id are never hits, an id past `in` weighs 0 (trace_request.h).
//  - type "subagent" entries nest requests whose t counts from the sub-agent's own t (itself relative to its
//    parent's context): every depth is flattened into one timeline (t in s, to ms), sorted stably by time.
//  - lineage: session = "<file stem>" or "<file stem>/<agent path>" per context; parentId = the previous
//    request of the same context (a sub-agent's first request: the parent's request before it); requestId
//    = order of appearance; requestType "main" or "subagent:<subagent_type>"; model from each request.
// The whole input is read at construction (MBs of JSON); next() hands out the flattened timeline.
// JSON documents have no useful line numbers: errors name the file and the field path
// ("requests[12].requests[3].hash_ids"); skipping skips that request entry.
#include <string>
#include <vector>

#include "core/trace/block_chainer.h"
#include "core/trace/trace_reader.h"

namespace simdjson::dom {
class array;
}

namespace kvlab {

struct TraceSniff;

class KvCacheTesterTraceReader final : public TraceReader {
public:
  // path: one trace file, or a directory whose *.json files are traces.
  explicit KvCacheTesterTraceReader(const std::string& path, TraceReadOptions options = {});

  bool next(TraceRequest& out) override;
  std::uint64_t bytesRead() const override { return m_next < m_requests.size() ? 0 : m_bytes; }
  std::uint64_t fileSize() const override { return m_bytes; }

  // A file whose head is a JSON object with "requests" and "hash_id_scope" or "block_size"; a directory of
  // *.json files the first of which is one.
  static bool sniff(const TraceSniff& sniff);

private:
  struct Context;  // one conversation or sub-agent being flattened
  void readFile(const std::string& file);
  // Flattens one context's requests (recursing into sub-agents); path names them in errors.
  void walk(const std::string& file, const simdjson::dom::array& requests, const std::string& path,
            Context& context);

  std::vector<TraceRequest> m_requests;  // sorted by arrival
  std::size_t m_next = 0;
  std::uint64_t m_bytes = 0;
  bool m_haveBlockSize = false;
  std::string m_blockSizeFile;  // the file that declared it
  std::int64_t m_nextRequestId = 0;
  std::uint32_t m_nextNamespace = 1;  // 0 is the shared namespace of "global" files
  BlockChainer m_chainer;             // one key space for every namespace
};

}  // namespace kvlab
