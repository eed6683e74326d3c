// SPDX-License-Identifier: MIT
#include "ui/run_buffer.h"

#include <algorithm>

namespace kvlab {

RunBatch& RunBuffer::batchFor(int runId) {
  if (m_batches.empty() || m_batches.back().runId != runId) {
    m_batches.emplace_back();
    m_batches.back().runId = runId;
  }
  return m_batches.back();
}

bool RunBuffer::pushStarted(int runId, const RunInfo& info) {
  std::lock_guard lock(m_mutex);
  const bool wasEmpty = m_batches.empty();
  batchFor(runId).started = info;
  return wasEmpty;
}

bool RunBuffer::pushRequest(int runId, const RequestRecord& record, const CacheSnapshot& cache) {
  std::lock_guard lock(m_mutex);
  const bool wasEmpty = m_batches.empty();
  RunBatch& batch = batchFor(runId);
  batch.requests.push_back({record, cache});
  batch.eventsAfterLastRequest = 0;
  return wasEmpty;
}

bool RunBuffer::pushEvent(int runId, const CacheEvent& event) {
  std::lock_guard lock(m_mutex);
  const bool wasEmpty = m_batches.empty();
  RunBatch& batch = batchFor(runId);
  if (batch.events.size() >= RunBatch::kMaxEvents) {
    batch.events.pop_front();
    ++batch.droppedEvents;
  }
  batch.events.push_back(event);
  batch.eventsAfterLastRequest = std::min(batch.eventsAfterLastRequest + 1, batch.events.size());
  return wasEmpty;
}

bool RunBuffer::pushDecodeStep(int runId, const DecodeStep& step) {
  std::lock_guard lock(m_mutex);
  const bool wasEmpty = m_batches.empty();
  batchFor(runId).decodeSteps.push_back(step);
  return wasEmpty;
}

bool RunBuffer::pushFinished(int runId, const RunSummary& summary) {
  std::lock_guard lock(m_mutex);
  const bool wasEmpty = m_batches.empty();
  batchFor(runId).finished = summary;
  return wasEmpty;
}

bool RunBuffer::pushError(int runId, const std::string& error) {
  std::lock_guard lock(m_mutex);
  const bool wasEmpty = m_batches.empty();
  batchFor(runId).error = error;
  return wasEmpty;
}

std::vector<RunBatch> RunBuffer::takeAll() {
  std::vector<RunBatch> out;
  std::lock_guard lock(m_mutex);
  out.swap(m_batches);
  return out;
}

}  // namespace kvlab
