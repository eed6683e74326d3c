// SPDX-License-Identifier: MIT
#pragma once
// A fleet of N serving replicas behind a router (`kvlab-cli fleet --serving`): each replica is a full
// ServingEngine (queue, continuous batching, KV block pool with prefix caching, step cost model), exactly
// as `kvlab-cli simulate` runs one. Per request, in arrival order:
//   1. every replica advances to the request's arrival time (ServingEngine::advanceTo), so what the router
//      reads is the state at that moment;
//   2. the router reads the fleet view: load(r) = waiting + running requests on r, plus requests already
//      routed to r at this same instant that no step has seen yet (what a router that counts its own
//      dispatches knows), and the KvBlockIndex fed by each replica's pool stored/removed events;
//   3. the request is submitted to the chosen replica.
// So with one replica the result is simulate's, and with round-robin each replica's result is simulate's
// on the sub-trace it received. Every time is cost model. oracle-shared (a cache bound, not a fleet of
// engines) is refused. Tiers, as Mooncake builds them: replica.hostBlocks gives every replica its own host
// (DRAM) tier; replica.remoteBlocks > 0 makes ONE remote tier that every replica files into and walks (its
// global pool, Mooncake Store). Not thread-safe: one thread drives it.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/fleet/router.h"
#include "core/serving/serving_types.h"
#include "core/trace/trace_request.h"

namespace kvlab {

class CacheEngine;
class KvBlockIndex;
class ManualClock;
class ServingEngine;

struct ServingFleetConfig {
  ServingConfig replica;  // every replica's engine; replica.poolBlocks and hostBlocks are PER REPLICA,
                          // replica.remoteBlocks the one remote tier all replicas share
  std::size_t replicas = 1;
  std::string router = "round-robin";  // a name from routerRegistry(), not a shared-cache one
  RouterParams routerParams;
  double eventLagMs = kDefaultEventLagMs;  // the KV index hears of blocks this late (simulated ms)
};

struct ServingFleetResult {
  std::string router;
  std::vector<ServingResult> replicas;              // one per replica; requests in the order it received them
  std::vector<std::uint64_t> routedRequests;        // per replica: requests routed to it
  std::vector<std::uint64_t> routedPromptTokens;    // per replica: input tokens of those requests
  std::vector<std::vector<std::uint32_t>> routing;  // per replica: the fleet-wide index of each request

  // Fleet figures (cost model): sums over replicas, percentiles over every completed request of the fleet.
  std::uint64_t requests = 0, completed = 0, rejected = 0;
  std::uint64_t promptTokens = 0, hitTokens = 0;  // over completed requests, as ServingSummary
  std::uint64_t tierHitTokens = 0;                // of hitTokens: loaded from a host or the remote tier
  std::vector<TierReport> tiers;  // host (summed over replicas), remote (the shared one: hits, bytes and
                                  // transfer time summed over replicas, entries and evictions once)
  std::uint64_t preemptions = 0, evictions = 0;
  double ttftMsP50 = 0, ttftMsP90 = 0, ttftMsP99 = 0, tpotMsP50 = 0;
  double simDurationS = 0;  // trace start to the fleet's last completion
  double wallS = 0;         // measured: simulation time on this machine

  double tokenHitRate() const { return promptTokens ? double(hitTokens) / double(promptTokens) : 0.0; }
  // max / mean routed prompt tokens per replica (1 = perfectly even, N = all on one replica).
  double loadImbalance() const;
};

class ServingFleet {
public:
  // Throws std::invalid_argument for an unknown or shared-cache router, 0 or more than
  // KvBlockIndex::kMaxReplicas replicas, or a config an engine cannot run.
  explicit ServingFleet(const ServingFleetConfig& config);
  ~ServingFleet();
  ServingFleet(const ServingFleet&) = delete;
  ServingFleet& operator=(const ServingFleet&) = delete;

  // Advances every replica to the request's arrival, routes it and submits it; returns the replica.
  // Timestamps must not decrease (std::invalid_argument naming the request otherwise).
  std::size_t route(const TraceRequest& request);
  // Runs every replica until all its requests completed or were rejected, then collects the result.
  ServingFleetResult finish();

  std::size_t replicaCount() const { return m_engines.size(); }
  const ServingEngine& replica(std::size_t r) const { return *m_engines[r]; }
  // The load figures the router saw for the last routed request (waiting + running + unseen routed).
  std::span<const std::uint64_t> load() const { return m_load; }
  const KvBlockIndex& index() const { return *m_index; }

private:
  class PoolFeed;
  class DoneFeed;
  ServingFleetConfig m_config;
  std::unique_ptr<KvBlockIndex> m_index;
  std::unique_ptr<ManualClock> m_remoteClock;
  std::unique_ptr<CacheEngine> m_sharedRemote;  // null without a remote tier; outlives the engines below
  std::vector<std::unique_ptr<PoolFeed>> m_feeds;
  std::vector<std::unique_ptr<DoneFeed>> m_doneFeeds;
  std::vector<std::unique_ptr<ServingEngine>> m_engines;
  std::unique_ptr<Router> m_router;
  std::vector<std::uint64_t> m_load;
  ServingFleetResult m_result;  // routing bookkeeping, filled in as requests are routed
  std::int64_t m_lastTimestampMs = 0;
  std::uint32_t m_routed = 0;
};

// Adds one replica's tier reports to a fleet's, tier by tier (by name); every figure summed.
void addTierReports(std::vector<TierReport>& total, const std::vector<TierReport>& replica);

// Routes a whole trace through a ServingFleet and returns the result.
ServingFleetResult simulateFleet(const std::vector<TraceRequest>& requests, const ServingFleetConfig& config);

}  // namespace kvlab
