// SPDX-License-Identifier: MIT
#include "core/cache/clock.h"

#include <chrono>

namespace kvlab {

namespace {
std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

WallClock::WallClock() : m_startNs(steadyNs()) {}

TimeMs WallClock::nowMs() const { return (steadyNs() - m_startNs) / 1'000'000; }

}  // namespace kvlab
