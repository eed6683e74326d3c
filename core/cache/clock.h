// SPDX-License-Identifier: MIT
#pragma once
#include <atomic>

#include "core/cache/cache_types.h"

namespace kvlab {

// The engine's notion of "now": scenario time for live runs, trace time for replay, manual in tests.
class Clock {
public:
  virtual ~Clock() = default;
  virtual TimeMs nowMs() const = 0;
};

// Set by its owner: the replayer advances it to each request's timestamp; tests step it by hand.
class ManualClock final : public Clock {
public:
  TimeMs nowMs() const override { return m_now.load(std::memory_order_relaxed); }
  void setMs(TimeMs now) { m_now.store(now, std::memory_order_relaxed); }
  void advanceMs(TimeMs delta) { m_now.fetch_add(delta, std::memory_order_relaxed); }

private:
  std::atomic<TimeMs> m_now{0};
};

}  // namespace kvlab
