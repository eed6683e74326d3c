// SPDX-License-Identifier: MIT
#pragma once
// Plain values in and out of the serving simulator. Every time here is simulated time from the cost model
// (StepCostModel), never a measurement, except ServingResult::wallS.
#include <cstdint>
#include <string>
#include <vector>

#include "core/arch/model_config.h"
#include "core/hardware/hardware_profile.h"
#include "core/tiers/tier_cost_model.h"
#include "core/tiers/tier_report.h"

namespace kvlab {

struct ServingConfig {
  std::uint32_t blockSize = 512;          // tokens per KV block = tokens per trace hash id
  std::uint32_t poolBlocks = 0;           // KV pool size in blocks, >= 1
  std::string policy = "lru";             // eviction policy (registry name) for cached-free blocks
  bool prefixCache = true;                // false: no block is ever hashed, so nothing is reused
  std::uint32_t maxBatchedTokens = 8192;  // per-step token budget (decodes + prefill chunks), >= 1
  std::uint32_t maxRunning = 256;         // most sequences in the running batch, >= 1
  double speed = 1.0;                     // arrival time = timestamp / speed (2 = twice the load), > 0
  ModelConfig model;                      // shapes for the cost model and K/V bytes
  HardwareProfile hardware;               // peak FLOP/s and bandwidth for the cost model
  std::uint32_t tensorParallel = 1;       // devices the model is split over (--tp): cost model per device
  double timelineIntervalS = 0;           // > 0: record a ServingTimelinePoint at most this often
  bool checkInvariants = false;           // tests: verify pool and sequences after every step (O(pool))
  // Tiers under the pool (Mooncake's DRAM per node and its global store; LMCache's CPU and remote
  // backends), one TierHierarchy (core/tiers/tier_hierarchy.h): blocks the pool evicts go down, a request's
  // prefix walk continues past the pool's hits into them, and what they serve is loaded, not computed.
  std::uint64_t hostBlocks =
      0;  // host (DRAM) tier of this engine, in blocks; 0 = none; kUnlimited = no bound
  std::string hostPolicy = "lru";  // its eviction policy (a live policy)
  std::uint64_t remoteBlocks = 0;  // remote tier, blocks; 0 = none (a fleet passes its shared one instead)
  std::string remotePolicy = "lru";
  bool remoteWriteThrough = true;  // every block the pool files is written to the remote tier at once
  TierCostModel tierCost;          // load times of tier hits, added to the step that admits the request
};

// One request's fate. Times in seconds since the trace start (simulated).
struct ServingRequestResult {
  std::uint32_t index = 0;  // line order in the input
  double arrivalS = 0;      // timestamp / speed
  // Steps the engine had run when the request arrived: it joined the queue before step arrivalStep
  // (0-based). What a clock-free replay (tools/vllm_v1_reference.py) needs to see the same arrivals.
  std::uint64_t arrivalStep = 0;
  std::uint32_t inputTokens = 0;
  std::uint32_t outputTokens = 0;  // as requested (0 is served as 1: the first token is always produced)
  bool completed = false;
  std::string rejectReason;     // non-empty iff rejected (never admitted)
  std::uint32_t hitTokens = 0;  // prompt tokens not computed at its first admission: pool hits + tier loads
  std::uint32_t tierHitTokens = 0;  // of hitTokens: loaded from the host or remote tier
  std::uint32_t preemptions = 0;
  std::uint64_t recomputedTokens = 0;    // computed tokens whose K/V preemptions discarded
  std::uint64_t recomputeHitTokens = 0;  // of those, served from the prefix cache on re-admission
  double waitingS =
      0;  // simulated s in the waiting queue: arrival to admission, + each preemption to re-admission
  double firstTokenS = 0;  // end of the step that produced the first token
  double finishS = 0;      // end of the step that produced the last token
  double ttftMs() const { return (firstTokenS - arrivalS) * 1e3; }
  double latencyMs() const { return (finishS - arrivalS) * 1e3; }
  // Mean time per output token after the first; < 0 when only one token was produced (no TPOT).
  double tpotMs() const {
    const std::uint32_t out = outputTokens > 1 ? outputTokens : 1;
    return out > 1 ? (finishS - firstTokenS) * 1e3 / double(out - 1) : -1.0;
  }
};

// State of the engine at one moment, for charts.
struct ServingTimelinePoint {
  double timeS = 0;
  std::uint32_t waiting = 0;
  std::uint32_t running = 0;
  std::uint32_t usedBlocks = 0;        // held by running sequences
  std::uint32_t cachedFreeBlocks = 0;  // evictable, still hit-able
  std::uint32_t freeBlocks = 0;        // empty
  std::uint64_t preemptions = 0;       // cumulative
  std::uint64_t completed = 0;         // cumulative
};

struct ServingSummary {
  std::uint64_t requests = 0;
  std::uint64_t completed = 0;
  std::uint64_t rejected = 0;
  double ttftMsP50 = 0, ttftMsP90 = 0, ttftMsP99 = 0;  // nearest-rank percentiles over completed requests
  double tpotMsP50 = 0, tpotMsP90 = 0;                 // over completed requests with >= 2 output tokens
  double latencyMsMean = 0;                            // arrival to last token
  double throughputTokensPerS = 0;                     // output tokens of completed requests / duration
  double tokenHitRate = 0;  // sum hitTokens / sum inputTokens over completed requests
  std::uint64_t promptTokens = 0;
  std::uint64_t hitTokens = 0;
  std::uint64_t outputTokens = 0;
  std::uint64_t preemptions = 0;
  std::uint64_t recomputedTokens = 0;
  std::uint64_t recomputeHitTokens = 0;
  std::uint64_t tierHitTokens = 0;  // of hitTokens: loaded from the host or remote tier
  std::uint64_t evictions = 0;      // cached-free blocks reallocated
  std::uint32_t poolBlocks = 0;
  std::uint32_t poolPeakBlocks = 0;  // most blocks held by running sequences at once
  double meanWaiting = 0;            // time average of the waiting queue length over [0, duration]
  double meanInSystem = 0;           // time average of waiting + running over [0, duration]
  double simDurationS = 0;           // trace start to the last completion
  std::uint64_t steps = 0;
};

struct ServingResult {
  ServingSummary summary;
  std::vector<ServingRequestResult> requests;  // one per input request, input order
  std::vector<ServingTimelinePoint> timeline;  // empty unless config.timelineIntervalS > 0
  std::vector<TierReport> tiers;               // host, remote (those configured): hits, bytes, transfer ms
  double wallS = 0;                            // measured: how long the simulation took on this machine
};

}  // namespace kvlab
