// SPDX-License-Identifier: MIT
#pragma once
// session-affinity: sticky per session id. The first request of a session goes to the least-loaded replica
// (the fleet's load figure, lowest index among equals) and every later request of that session follows it,
// so a conversation's growing prefix stays on one cache. Least-loaded rather than a consistent hash for new
// sessions: sessions are few and long-lived, and a hash ring ignores load (its imbalance at a few hundred
// sessions is what prefix-hash shows); stickiness comes from the table, not the hash. The table is never
// pruned (a fleet replay is bounded by its trace).
// Needs a trace whose requests carry a session id (TraceRequest::session: RAGPulse session_id, Qwen-Bailian
// chat_id / parent_chat_id chains, kv-cache-tester conversations): a request without one throws
// std::invalid_argument naming the formats that carry one.
#include <absl/container/flat_hash_map.h>

#include "core/fleet/router.h"

namespace kvlab {

class SessionAffinityRouter : public Router {
public:
  std::size_t route(const TraceRequest& request, const FleetView& view) override;

private:
  absl::flat_hash_map<std::uint32_t, std::size_t> m_owner;  // session label -> replica
};

}  // namespace kvlab
