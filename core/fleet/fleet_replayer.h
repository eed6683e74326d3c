// SPDX-License-Identifier: MIT
#pragma once
// A fleet of N replicas, each a full cache with trace replay's exact semantics (one TraceReplayer each),
// behind a router. Per request: the router reads the fleet view (load per replica, the KV block index fed by
// the replicas' insert/evict events) and names a replica; that replica replays the request at its timestamp.
// So with one replica the result is replay's, and each replica's result is replay's on the sub-trace it
// received. Not thread-safe: one thread drives it (the GUI's worker, or the CLI).
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/fleet/router.h"
#include "core/replay/trace_replayer.h"

namespace kvlab {

class KvBlockIndex;

struct FleetConfig {
  ReplayConfig replica;  // every replica's cache; replica.maxTokens is the capacity PER REPLICA
  std::size_t replicas = 1;
  std::string router = "round-robin";  // a name from routerRegistry()
  RouterParams routerParams;
  double eventLagMs = kDefaultEventLagMs;  // the KV index hears of blocks this late (trace ms)
};

struct FleetResult {
  std::string router;
  std::size_t replicaCount = 0;  // N, as configured
  bool sharedCache = false;      // oracle-shared: replicas holds ONE cache of N x capacity
  std::vector<ReplayResult> replicas;
  // Sums over replicas (requests, tokens, blocks, hits, misses by cause, evictions, peak and capacity
  // blocks); mean eviction figures weighted by each replica's evictions + expirations. Also the parse
  // figures (skipped lines, times) of the whole run.
  ReplayResult fleet;

  double tokenHitRate() const { return fleet.tokenHitRate(); }
  // max / mean prompt tokens per replica (1 = perfectly even; N = all on one replica). 1 for a shared cache.
  double loadImbalance() const;
};

class FleetReplayer {
public:
  // Throws std::invalid_argument for an unknown router, 0 or more than KvBlockIndex::kMaxReplicas
  // replicas, or a bad router parameter.
  explicit FleetReplayer(const FleetConfig& config);
  ~FleetReplayer();
  FleetReplayer(const FleetReplayer&) = delete;
  FleetReplayer& operator=(const FleetReplayer&) = delete;

  // Routes one request and replays it on the chosen cache; returns that cache's index. Requests must come
  // in timestamp order.
  std::size_t replay(const TraceRequest& request);
  FleetResult result() const;

  std::size_t cacheCount() const { return m_replicas.size(); }  // 1 for a shared cache, else N
  // Requests routed so far, per cache: the load figure routers see.
  std::span<const std::uint64_t> load() const { return m_load; }
  const KvBlockIndex& index() const { return *m_index; }
  std::uint64_t capacityBlocks() const { return m_capacityBlocks; }  // per cache

private:
  FleetConfig m_config;
  bool m_shared = false;
  std::uint64_t m_capacityBlocks = 0;  // per cache
  std::vector<std::unique_ptr<TraceReplayer>> m_replicas;
  std::unique_ptr<KvBlockIndex> m_index;
  std::unique_ptr<Router> m_router;
  std::vector<std::uint64_t> m_load;
  std::uint64_t m_routed = 0;
};

// Streams a trace file through a FleetReplayer. progress as replayTraceFile's; onRequest (optional) is
// called after each request with the cache it went to (the GUI samples its strips from it). Throws
// InputError on a malformed line (unless config.replica.skipBadLines) or an empty trace.
FleetResult replayFleetFile(
    const std::string& path, const FleetConfig& config,
    const std::function<void(const ReplayProgress&)>& progress = {},
    const std::function<void(const FleetReplayer&, std::size_t cache)>& onRequest = {});

}  // namespace kvlab
