// SPDX-License-Identifier: MIT
#pragma once
// A continuous-batching serving engine on a cost model: vLLM v1's scheduler and prefix-cached block pool,
// block for block (tools/vllm_v1_reference.py, a port of vLLM's source, agrees per request; docs/serving.md
// names the vLLM commits and what is not modelled):
//  - one KvBlockPool shared by the running sequences and the prefix cache;
//  - per step, a token budget (maxBatchedTokens) is spent on running sequences first (a decoding sequence
//    takes 1 token, one still in prefill takes the rest of its prompt or what the budget leaves: chunked
//    prefill), in admission order; then waiting requests are admitted FCFS while the budget, maxRunning and
//    free blocks allow (a request whose first chunk does not fit blocks the queue behind it);
//  - when a running sequence needs a block and none is free or cached-free, the newest running sequence is
//    preempted: its blocks are released (last block first) and it goes back to the front of the queue to
//    be recomputed from scratch (prompt and the tokens it had generated), as vLLM's recompute preemption;
//    no requests are admitted in a step that preempted;
//  - prefix hits: on admission the longest run of the sequence's leading full blocks whose keys are cached
//    is reused (shared, ref-counted) and skipped; at least the last known token is always computed, so a
//    prompt fully in cache still costs one token (its logits);
//  - a block is filed under its key when the step that fills it is scheduled (vLLM's allocate_slots ->
//    cache_blocks), so a request admitted later in the same step hits it. Full prompt blocks with a trace
//    hash id are keyed by it (shared); every other full block (generated tokens fill it, or the trace has
//    no id for it) gets a key private to its request; a partial block is never keyed (the trace's id for a
//    partial last prompt block is unused);
//  - step time from StepCostModel; a token produced by a step exists at the end of that step.
// A request whose prompt + output cannot fit in the whole pool, or whose prompt is empty, is rejected at
// arrival with a reason (the lab's rule); every other request completes. Deterministic; single-threaded.
// run() drives a ServingEngine (serving_engine.h), the step-wise form a fleet of replicas uses.
#include <vector>

#include "core/serving/serving_types.h"
#include "core/trace/trace_request.h"

namespace kvlab {

// Optional live view of a run (the GUI's worker). Called on the simulating thread.
class ServingObserver {
public:
  virtual ~ServingObserver() = default;
  virtual void onTimelinePoint(const ServingTimelinePoint& /*point*/) {}
  virtual void onRequestDone(const ServingRequestResult& /*request*/) {}  // completed or rejected
  virtual bool cancelled() const { return false; }                        // checked between steps
};

class ServingSimulator {
public:
  // Throws std::invalid_argument for a config that cannot run (0 blocks, 0 budget, unknown policy...).
  explicit ServingSimulator(ServingConfig config);

  // Simulates `requests` (timestamps non-decreasing, hashIds one per blockSize tokens). A cancelled run
  // returns what it has, with unfinished requests neither completed nor rejected.
  ServingResult run(const std::vector<TraceRequest>& requests, ServingObserver* observer = nullptr) const;

  const ServingConfig& config() const { return m_config; }

private:
  ServingConfig m_config;
};

// Nearest-rank percentile (p in [0, 100]) of unsorted values; 0 for none. Sorts a copy.
double nearestRankPercentile(std::vector<double> values, double p);

}  // namespace kvlab
