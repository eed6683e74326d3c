// SPDX-License-Identifier: MIT
#include "core/runner/run_controls.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace kvlab {

void RunControls::setMaxBytes(Bytes bytes) {
  {
    std::lock_guard lock(m_mutex);
    m_pendingMaxBytes = bytes;
  }
  m_changed.notify_all();
}

void RunControls::setTtlMs(TimeMs ttlMs) {
  {
    std::lock_guard lock(m_mutex);
    m_pendingTtlMs = ttlMs;
  }
  m_changed.notify_all();
}

void RunControls::setPolicy(const std::string& policy) {
  {
    std::lock_guard lock(m_mutex);
    m_pendingPolicy = policy;
  }
  m_changed.notify_all();
}

void RunControls::setPinnedBudget(Bytes bytes) {
  {
    std::lock_guard lock(m_mutex);
    m_pendingPinnedBudget = bytes;
  }
  m_changed.notify_all();
}

void RunControls::pinRequestPrefix(int requestIndex) {
  {
    std::lock_guard lock(m_mutex);
    m_pendingPins.push_back(requestIndex);
  }
  m_changed.notify_all();
}

void RunControls::cancelRun(int runId) {
  {
    std::lock_guard lock(m_mutex);
    m_cancelledThrough = std::max(m_cancelledThrough, runId);
    if (m_currentRunId <= m_cancelledThrough) m_cancelled = true;
  }
  m_changed.notify_all();
}

void RunControls::beginRun(int runId) {
  std::lock_guard lock(m_mutex);
  m_currentRunId = runId;
  m_cancelled = runId <= m_cancelledThrough;  // cancelled before it started
  m_pendingPins.clear();                      // indices of an earlier run
}

void RunControls::pause() {
  std::lock_guard lock(m_mutex);
  m_paused = true;
}

void RunControls::resume() {
  {
    std::lock_guard lock(m_mutex);
    m_paused = false;
  }
  m_changed.notify_all();
}

void RunControls::cancel() {
  {
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
  }
  m_changed.notify_all();
}

bool RunControls::isPaused() const {
  std::lock_guard lock(m_mutex);
  return m_paused;
}

void RunControls::apply(CacheEngine* engine, const std::function<void(int)>& pinRequest) {
  std::unique_lock lock(m_mutex);
  while (true) {
    if (engine && hasPending()) {
      const std::optional<Bytes> maxBytes = std::exchange(m_pendingMaxBytes, std::nullopt);
      const std::optional<TimeMs> ttlMs = std::exchange(m_pendingTtlMs, std::nullopt);
      const std::optional<std::string> policy = std::exchange(m_pendingPolicy, std::nullopt);
      const std::optional<Bytes> pinnedBudget = std::exchange(m_pendingPinnedBudget, std::nullopt);
      const std::vector<int> pins = std::exchange(m_pendingPins, {});
      lock.unlock();  // the engine's observers run user code: never call it under our lock
      if (pinnedBudget) engine->setPinnedBudget(*pinnedBudget);
      if (pinRequest)
        for (const int index : pins) pinRequest(index);
      if (maxBytes) engine->setCapacity(*maxBytes);
      if (ttlMs) engine->setTtlMs(*ttlMs);
      if (policy) {
        try {
          engine->setPolicy(*policy);
        } catch (const std::invalid_argument&) {
          // An unknown name from a caller: keep the current policy (the GUI only offers registered names).
        }
      }
      engine->publish();
      lock.lock();
      continue;
    }
    if (!m_paused || m_cancelled) return;
    const auto woken = [this, engine] { return !m_paused || m_cancelled || (engine && hasPending()); };
    m_changed.wait(lock, woken);
  }
}

}  // namespace kvlab
