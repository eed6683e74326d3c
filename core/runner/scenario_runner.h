// SPDX-License-Identifier: MIT
#pragma once
// Drives one run: generates the scenario's requests, serves each with the cache (reusing cached K/V in a
// real prefill) and, for the baseline, without it, then decodes its output tokens (live_run.h); the
// `decode` scenario compares decoding with and without the per-sequence K/V cache (decode_run.h); a
// Mooncake trace is replayed in simulate mode (trace_run.h). Reports through a RunObserver. Torch-free
// header.
//
// Threads: run() blocks and is called on a worker thread. setMaxBytes/setTtlMs/setPolicy, pause/resume
// and cancel may be called from any thread; they take effect between requests (cancel also between layers).
#include <memory>

#include "core/runner/run_types.h"

namespace kvlab {

class ScenarioRunner {
public:
  ScenarioRunner();
  ~ScenarioRunner();
  ScenarioRunner(const ScenarioRunner&) = delete;
  ScenarioRunner& operator=(const ScenarioRunner&) = delete;

  // Runs to completion, cancel or error; always ends with observer.onRunFinished. Bad settings (unknown
  // scenario, malformed file, unknown policy, cuda without a GPU, a size the machine cannot hold) throw
  // InputError / std::runtime_error before anything starts.
  RunSummary run(const RunSettings& settings, RunObserver& observer, int runId = 0);

  // Live controls, any thread.
  void setMaxBytes(Bytes bytes);
  void setTtlMs(TimeMs ttlMs);
  void setPolicy(const std::string& policy);
  void setPinnedBudget(Bytes bytes);
  // Pins the cached K/V of the reusable prefix of request `requestIndex` (its segments up to the last
  // boundary) within the pinned budget, between requests. Live runs, block and prompt granularity.
  void pinRequestPrefix(int requestIndex);
  void pause();
  void resume();
  void cancel();  // the run in progress
  // Cancels run `runId` and every earlier one, also when it has not started yet: a per-run token, so a
  // Stop pressed while the previous run is still unwinding is not lost when the next run starts.
  void cancelRun(int runId);
  bool isPaused() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The directory bundled scenarios resolve in when RunSettings::scenarioDir is empty: $KVLAB_SCENARIO_DIR,
// else <exe dir>/../share/kvlab/scenarios, else the source tree's scenarios/ (compile definition).
std::string defaultScenarioDir();

}  // namespace kvlab
