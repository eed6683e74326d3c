// SPDX-License-Identifier: MIT
#pragma once
// A fleet router places each request on one of N replicas. It reads only what a real router can see — a load
// figure per replica and the KV block index fed by the replicas' stored/removed events (NVIDIA Dynamo's KV
// router) — never a replica's cache. One file pair per router, one line in router_registry.cpp.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/trace/trace_request.h"

namespace kvlab {

class KvBlockIndex;

// Options of every router, with defaults; each router reads the fields it needs.
struct RouterParams {
  std::uint64_t seed = 1;            // random: seed of its portable generator (SeededRandom)
  std::uint32_t affinityBlocks = 1;  // session: how many leading hash ids form the affinity key (>= 1)
  std::uint32_t virtualNodes = 64;   // session: points per replica on the hash ring (>= 1)
  double loadWeight = 1.0;           // kv-aware: score = cached leading blocks - loadWeight x load
};

// What a router may read when it places one request. Valid for the duration of one route() call.
struct FleetView {
  // Per replica, the load the fleet reports: requests routed so far (replay), or waiting + running
  // requests at the arrival, plus those routed at the same instant that no step has seen yet (serving
  // simulation, ServingFleet). Size = number of replicas.
  std::span<const std::uint64_t> load;
  const KvBlockIndex* index = nullptr;  // which replica holds which block (never null)
};

class Router {
public:
  virtual ~Router() = default;
  // The replica, in [0, view.load.size()), for request. Called once per request, in arrival order, on the
  // thread that drives the fleet.
  virtual std::size_t route(const TraceRequest& request, const FleetView& view) = 0;
};

// The replica with the smallest load, the lowest index among equals. Shared by least-loaded and kv-aware's
// tie-break.
std::size_t leastLoaded(std::span<const std::uint64_t> load);

}  // namespace kvlab
