// SPDX-License-Identifier: MIT
#pragma once
// The live controls of a run (max size, TTL, policy, pause, cancel): set from any thread, applied by the
// run thread between requests (or decode steps). Internal to core/runner; ScenarioRunner forwards to it.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "core/cache/cache_engine.h"

namespace kvlab {

class RunControls {
public:
  // Any thread.
  void setMaxBytes(Bytes bytes);
  void setTtlMs(TimeMs ttlMs);
  void setPolicy(const std::string& policy);
  void pause();
  void resume();
  void cancel();
  bool isPaused() const;

  // Run thread. A new run starts uncancelled.
  void resetCancel() { m_cancelled = false; }
  bool cancelled() const { return m_cancelled.load(); }
  // Checked by the model between layers.
  const std::atomic<bool>* cancelFlag() const { return &m_cancelled; }
  // Applies pending changes to engine; while paused, waits, applying each change as it arrives (so a
  // max-size shrink evicts at once even in a paused run). engine nullptr (a run without a shared cache):
  // changes stay pending, pause and cancel still work.
  void apply(CacheEngine* engine);

private:
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;  // resume, cancel or a pending change
  bool m_paused = false;
  std::optional<Bytes> m_pendingMaxBytes;
  std::optional<TimeMs> m_pendingTtlMs;
  std::optional<std::string> m_pendingPolicy;
  std::atomic<bool> m_cancelled{false};
};

}  // namespace kvlab
