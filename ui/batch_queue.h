// SPDX-License-Identifier: MIT
#pragma once
// A worker thread's outbox to the GUI: values are added to the current run's batch under a mutex, and the
// GUI takes every batch at once. push() says whether the queue was empty before, so the worker emits one
// notification per drain instead of one per value. Batch needs an `int runId` member.
#include <QMutex>
#include <QMutexLocker>
#include <utility>
#include <vector>

namespace kvlab {

template <typename Batch>
class BatchQueue {
public:
  // Any thread: fill(batch) on runId's batch (a new one when the last batch belongs to another run).
  // Returns true when the queue was empty before: the caller then notifies the GUI.
  template <typename Fill>
  bool push(int runId, Fill fill) {
    QMutexLocker lock(&m_mutex);
    const bool wasEmpty = m_batches.empty();
    if (m_batches.empty() || m_batches.back().runId != runId) {
      m_batches.emplace_back();
      m_batches.back().runId = runId;
    }
    fill(m_batches.back());
    return wasEmpty;
  }

  // Any thread (the GUI's): moves out everything pushed since the last call.
  std::vector<Batch> take() {
    QMutexLocker lock(&m_mutex);
    return std::exchange(m_batches, {});
  }

private:
  QMutex m_mutex;
  std::vector<Batch> m_batches;  // guarded by m_mutex
};

}  // namespace kvlab
