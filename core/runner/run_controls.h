// SPDX-License-Identifier: MIT
#pragma once
// The live controls of a run (max size, TTL, policy, pause, cancel): set from any thread, applied by the
// run thread between requests (or decode steps). Internal to core/runner; ScenarioRunner forwards to it.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/cache/cache_engine.h"

namespace kvlab {

class RunControls {
public:
  // Any thread.
  void setMaxBytes(Bytes bytes);
  void setTtlMs(TimeMs ttlMs);
  void setPolicy(const std::string& policy);
  void setPinnedBudget(Bytes bytes);
  void pinRequestPrefix(int requestIndex);  // applied by live runs (pinRequest in apply())
  void pause();
  void resume();
  void cancel();  // the run in progress
  // Cancels run `runId` and every earlier one, also one that has not started yet: a per-run token, so a
  // Stop pressed while the previous run is still unwinding is not lost when the next run starts.
  void cancelRun(int runId);
  bool isPaused() const;

  // Run thread. A new run starts uncancelled unless cancelRun() already named it; pins of an earlier run
  // are dropped.
  void beginRun(int runId);
  bool cancelled() const { return m_cancelled.load(); }
  // Checked by the model between layers.
  const std::atomic<bool>* cancelFlag() const { return &m_cancelled; }
  // Applies pending changes to engine; while paused, waits, applying each change as it arrives (so a
  // max-size shrink evicts at once even in a paused run). engine nullptr (a run without a shared cache):
  // changes stay pending, pause and cancel still work.
  // pinRequest: pins the prefix of a request index (live runs); empty = pin requests are dropped.
  void apply(CacheEngine* engine, const std::function<void(int)>& pinRequest = {});

private:
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;  // resume, cancel or a pending change
  bool m_paused = false;
  std::optional<Bytes> m_pendingMaxBytes;
  std::optional<TimeMs> m_pendingTtlMs;
  std::optional<std::string> m_pendingPolicy;
  std::optional<Bytes> m_pendingPinnedBudget;
  std::vector<int> m_pendingPins;  // request indices whose prefix to pin
  std::atomic<bool> m_cancelled{false};
  int m_currentRunId = 0;                                    // guarded by m_mutex
  int m_cancelledThrough = std::numeric_limits<int>::min();  // runs with id <= this are cancelled

  bool hasPending() const {
    return m_pendingMaxBytes || m_pendingTtlMs || m_pendingPolicy || m_pendingPinnedBudget ||
           !m_pendingPins.empty();
  }
};

}  // namespace kvlab
