// SPDX-License-Identifier: MIT
#include "core/runner/run_controls.h"

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

void RunControls::apply(CacheEngine* engine) {
  std::unique_lock lock(m_mutex);
  while (true) {
    const bool pending = m_pendingMaxBytes || m_pendingTtlMs || m_pendingPolicy;
    if (engine && pending) {
      const std::optional<Bytes> maxBytes = std::exchange(m_pendingMaxBytes, std::nullopt);
      const std::optional<TimeMs> ttlMs = std::exchange(m_pendingTtlMs, std::nullopt);
      const std::optional<std::string> policy = std::exchange(m_pendingPolicy, std::nullopt);
      lock.unlock();  // the engine's observers run user code: never call it under our lock
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
    const auto woken = [this, engine] {
      return !m_paused || m_cancelled || (engine && (m_pendingMaxBytes || m_pendingTtlMs || m_pendingPolicy));
    };
    m_changed.wait(lock, woken);
  }
}

}  // namespace kvlab
