// SPDX-License-Identifier: MIT
#include "core/replay/next_use_index.h"

namespace kvlab {

void NextUseIndex::add(const TraceRequest& request) {
  const std::uint64_t base = m_nextUse.size();
  const std::size_t n = request.hashIds.size();
  m_nextUse.resize(base + n, kNever);
  // Touch order within the request: last block first. The first touch of an id in this request settles
  // the next use of its previous request's touch; repeats within the request are not touches of a later
  // request.
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = n - 1 - k;
    const std::uint64_t touch = m_touches + k;
    auto [it, fresh] = m_pending.try_emplace(request.hashIds[i], Pending{m_requests, base + i});
    if (fresh) continue;
    if (it->second.request == m_requests) continue;
    m_nextUse[it->second.block] = touch;
    it->second = Pending{m_requests, base + i};
  }
  m_touches += n;
  ++m_requests;
}

std::shared_ptr<const NextUseIndex> NextUseIndex::fromRequests(const std::vector<TraceRequest>& requests) {
  auto index = std::make_shared<NextUseIndex>();
  for (const TraceRequest& r : requests) index->add(r);
  index->m_pending = {};
  return index;
}

std::shared_ptr<const NextUseIndex> NextUseIndex::fromFile(const std::string& path,
                                                           const TraceOpenOptions& options) {
  auto index = std::make_shared<NextUseIndex>();
  const std::unique_ptr<TraceReader> reader = openTraceReader(path, options);
  TraceRequest request;
  while (reader->next(request)) index->add(request);
  index->m_pending = {};
  return index;
}

}  // namespace kvlab
