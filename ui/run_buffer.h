// SPDX-License-Identifier: MIT
#pragma once
// The one piece of state the worker thread and the GUI thread share. The worker appends under the mutex;
// each push returns true when the buffer went from empty to non-empty, so the worker notifies the GUI
// once per drain (not once per event). The GUI moves everything out under the mutex in takeAll() and
// works on its copy without the lock.
// No Qt in here on purpose: the worker's side of the contract is plain C++.
#include <mutex>
#include <vector>

#include "ui/run_batch.h"

namespace kvlab {

class RunBuffer {
public:
  // Worker thread.
  bool pushStarted(int runId, const RunInfo& info);
  bool pushRequest(int runId, const RequestRecord& record, const CacheSnapshot& cache);
  bool pushEvent(int runId, const CacheEvent& event);
  bool pushDecodeStep(int runId, const DecodeStep& step);
  bool pushFinished(int runId, const RunSummary& summary);
  bool pushError(int runId, const std::string& error);

  // GUI thread: everything pushed since the last call, one batch per run id in push order.
  std::vector<RunBatch> takeAll();

private:
  RunBatch& batchFor(int runId);  // m_mutex held

  std::mutex m_mutex;  // std::mutex (pthread): visible to ThreadSanitizer, unlike Qt's futex-based QMutex
  std::vector<RunBatch> m_batches;  // guarded by m_mutex
};

}  // namespace kvlab
