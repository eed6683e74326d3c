// SPDX-License-Identifier: MIT
#pragma once
// kv-aware: NVIDIA Dynamo's KV router cost (DefaultWorkerSelector::select_worker in
// lib/llm/src/kv_router/scheduler.rs, with ActiveSequences::potential_blocks_and_tokens in sequence.rs, at
// ai-dynamo/dynamo commit db19bd2a659d4cb04998fb4101cd0dbfbbeba9d4), temperature 0. For each replica r:
//   prefill_tokens(r) = max(0, isl - overlap(r) x blockSize) + activeTokens(r)
//   decode_blocks(r)  = newBlocks(r) + activeBlocks(r)
//   logit(r)          = overlapWeight x prefill_tokens(r) / blockSize + decode_blocks(r)     (lower wins)
// overlap(r) = leading blocks of the request the (event-fed, possibly lagging) KV index lists on r;
// activeTokens(r) = prefill tokens (isl - overlap x blockSize at routing) of requests the router sent to r
// that have not finished; activeBlocks(r) = distinct hash ids of those requests' prompts (a refcounted set,
// Dynamo's unique_blocks); newBlocks(r) = the request's hash ids not in that set. Both are the router's own
// bookkeeping, not the engine's. Ties (exactly equal logits, Dynamo's temperature-0 rule) go to the replica
// whose index lists the fewest blocks (Dynamo's tree-size tie-break), then the lowest index (Dynamo: hash
// map order). Differences from Dynamo, stated: the prefill tokens of a request are released when it
// finishes, not at its first token (the fleet learns only completions); output blocks are not tracked
// (Dynamo's optional add_output_block). tools/fleet_reference.py implements the same rule apart.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <vector>

#include "core/fleet/router.h"

namespace kvlab {

class KvAwareRouter : public Router {
public:
  KvAwareRouter(std::size_t replicas, double overlapWeight);
  std::size_t route(const TraceRequest& request, const FleetView& view) override;
  void finished(std::uint64_t requestId) override;

  // The logit of the last route() call, per replica (tests and the reference compare them).
  const std::vector<double>& lastLogits() const { return m_logits; }

private:
  struct Active {
    std::size_t replica = 0;
    std::uint64_t prefillTokens = 0;
    std::vector<std::uint64_t> blocks;
  };
  struct Replica {
    absl::flat_hash_map<std::uint64_t, std::uint32_t> uniqueBlocks;  // hash id -> active requests holding it
    std::uint64_t activeTokens = 0;
  };
  double m_overlapWeight;
  std::vector<Replica> m_replicas;
  absl::flat_hash_map<std::uint64_t, Active> m_active;  // request id -> what it holds
  std::vector<std::uint32_t> m_overlap;                 // reused per request
  std::vector<double> m_logits;
};

}  // namespace kvlab
