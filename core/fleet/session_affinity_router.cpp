// SPDX-License-Identifier: MIT
#include "core/fleet/session_affinity_router.h"

#include <stdexcept>
#include <string>

namespace kvlab {

std::size_t SessionAffinityRouter::route(const TraceRequest& request, const FleetView& view) {
  if (request.session == kNoLabel)
    throw std::invalid_argument(
        "session-affinity needs a session id on every request (request " + std::to_string(view.requestId) +
        " has none); formats that carry one: ragpulse (session_id), qwen-bailian (chat_id / parent_chat_id "
        "chains), kv-cache-tester (conversations). For prefix affinity on any trace use prefix-hash");
  const auto [it, fresh] = m_owner.try_emplace(request.session, 0);
  if (fresh) it->second = leastLoaded(view.load);
  return it->second;
}

}  // namespace kvlab
