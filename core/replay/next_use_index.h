// SPDX-License-Identifier: MIT
#pragma once
// The first of opt's two passes: for every block of a trace (file order), the position in the touch order
// of its id's first touch by a later request. Touch order = request by request, each request's blocks last
// to first, counted from 0 (the order in which replay touches blocks). Memory O(trace): 8 bytes per block,
// plus a hash map of the distinct ids while building. Immutable once built: one index serves any number of
// replays (NextUseCursor) on any thread.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/trace/trace_format.h"
#include "core/trace/trace_request.h"

namespace kvlab {

class NextUseIndex {
public:
  static constexpr std::uint64_t kNever = UINT64_MAX;

  // Reads the whole trace (any format, openTraceReader's rules and errors; skipped lines are skipped here
  // too, so the index lines up with a replay using the same options).
  static std::shared_ptr<const NextUseIndex> fromFile(const std::string& path, const TraceOpenOptions& options);
  static std::shared_ptr<const NextUseIndex> fromRequests(const std::vector<TraceRequest>& requests);

  // Building: requests in trace order, then use.
  void add(const TraceRequest& request);

  // Per block, file order (request by request, blocks first to last): its next use, or kNever. Only the
  // last occurrence of an id within one request carries the value (the first one replay touches).
  const std::vector<std::uint64_t>& blockNextUse() const { return m_nextUse; }
  std::uint64_t touches() const { return m_touches; }

private:
  struct Pending {
    std::uint64_t request;
    std::uint64_t block;  // index into m_nextUse waiting for the id's next touch
  };
  std::vector<std::uint64_t> m_nextUse;
  absl::flat_hash_map<std::uint64_t, Pending> m_pending;  // id -> its latest touch (building only)
  std::uint64_t m_requests = 0;
  std::uint64_t m_touches = 0;
};

}  // namespace kvlab
