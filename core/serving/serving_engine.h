// SPDX-License-Identifier: MIT
#pragma once
// The serving simulator as a step-wise engine: requests are submitted one by one (in arrival order) and
// simulated time is advanced explicitly, so a fleet can look at every replica's queue at each arrival
// before its router decides. Scheduling, cost and pool semantics are exactly those documented in
// serving_simulator.h; ServingSimulator::run is "submit every request, then drain()".
//
// Time: a request's arrival is timestampMs / 1e3 / speed seconds (arrivalS()). A step starts at now() and
// sees every request submitted with arrival <= now(); a request arriving while a step runs is seen at the
// next step. When nothing is waiting or running, now() jumps to the next submitted arrival.
//
// Equivalence with run(): if every request with arrival <= t has been submitted before advanceTo(t) is
// called, and requests are submitted in timestamp order, the steps taken are those run() takes on the same
// requests, because advanceTo(t) only starts steps whose start time is < t (a step starting exactly at t
// could still see a request arriving at t that is not submitted yet).
// Not thread-safe: one thread drives one engine.
#include <cstdint>
#include <memory>
#include <span>

#include "core/serving/serving_types.h"
#include "core/trace/trace_request.h"

namespace kvlab {

class CacheEngine;
class KvPoolObserver;
class ServingObserver;

// Throws std::invalid_argument for a config no engine can run (0 blocks, 0 budget, bad speed, unknown
// policy, a profile without figures). Allocates nothing.
void validateServingConfig(const ServingConfig& config);

class ServingEngine {
public:
  // Throws std::invalid_argument for a config that cannot run (0 blocks, 0 budget, unknown policy...).
  // observer (optional, not owned) sees timeline points and finished requests; its cancelled() is checked
  // between steps. A forced timeline point is taken at time 0 here. sharedRemote (optional, not owned,
  // outlives this): the remote tier's engine, shared with other engines (a fleet's global pool); it adds a
  // remote tier even when config.remoteBlocks is 0. Throws std::invalid_argument for tiers without the
  // prefix cache or an unknown tier policy.
  explicit ServingEngine(ServingConfig config, ServingObserver* observer = nullptr,
                         CacheEngine* sharedRemote = nullptr);
  ~ServingEngine();
  ServingEngine(const ServingEngine&) = delete;
  ServingEngine& operator=(const ServingEngine&) = delete;

  // The pool's hash stored/removed events go to observer (not owned; nullptr to stop). Set it before the
  // first submit so the observer sees every event.
  void setPoolObserver(KvPoolObserver* observer);

  // Queues a request; it arrives at arrivalS(request). Timestamps must not decrease (std::invalid_argument
  // naming the engine's request index otherwise). Returns the request's index in this engine (0, 1, ...),
  // which is its index in result().requests.
  std::uint32_t submit(TraceRequest request);
  // Runs every step that starts before timeS (and the idle jumps to arrivals before it). Returns false if
  // the observer cancelled.
  bool advanceTo(double timeS);
  // Runs until every submitted request has completed or been rejected (or the observer cancels), then takes
  // a forced timeline point. Returns false if cancelled.
  bool drain();

  double arrivalS(const TraceRequest& request) const;
  double now() const;             // simulated seconds: the start of the next step
  std::uint32_t waiting() const;  // arrived (by now()), not running: queued or preempted
  std::uint32_t running() const;  // in the running batch
  std::uint32_t pending() const;  // submitted, arrival after now()
  // Leading blocks of hashIds whose K/V the pool holds (in use or cached-free): what a prefix lookup now
  // would find (before the last-token rule). 0 with the prefix cache off.
  std::uint32_t cachedLeadingBlocks(std::span<const std::uint64_t> hashIds) const;
  // Distinct trace hash ids the pool holds (in use or cached-free): what the stored/removed events add up
  // to. Blocks filled by generated tokens hold private keys and are not counted.
  std::uint32_t hashedBlocks() const;

  // Per-request results and the summary of what has happened so far; after drain(), run()'s result.
  // wallS is the measured time spent inside submit/advanceTo/drain.
  ServingResult result() const;
  const ServingConfig& config() const;

private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kvlab
