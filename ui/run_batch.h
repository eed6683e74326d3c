// SPDX-License-Identifier: MIT
#pragma once
// What the worker hands the GUI: plain values of one run, copied out of the runner's callbacks. No
// engine or tensor pointer; safe to move between threads.
#include <QMetaType>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/runner/run_types.h"

namespace kvlab {

struct RequestUpdate {
  RequestRecord record;
  CacheSnapshot cache;  // the cache right after this request
};

// Everything one run produced since the GUI last looked, in order within each kind.
struct RunBatch {
  int runId = 0;
  std::optional<RunInfo> started;
  std::vector<RequestUpdate> requests;
  std::deque<CacheEvent> events;  // the newest kMaxEvents; older ones only counted
  std::uint64_t droppedEvents = 0;
  std::size_t eventsAfterLastRequest = 0;  // the tail of `events` that came after requests.back()
  std::vector<DecodeStep> decodeSteps;     // the decode scenario: its steps, in order
  std::optional<RunSummary> finished;
  std::string error;  // non-empty: the run could not start or stopped with an error
  static constexpr std::size_t kMaxEvents = 50000;
};

}  // namespace kvlab

Q_DECLARE_METATYPE(kvlab::RunSettings)
