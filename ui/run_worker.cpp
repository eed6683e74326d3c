// SPDX-License-Identifier: MIT
#include "ui/run_worker.h"

#include <exception>

#include "core/runner/scenario_runner.h"
#include "ui/run_buffer.h"

namespace kvlab {

RunWorker::RunWorker(ScenarioRunner& runner, RunBuffer& buffer) : m_runner(runner), m_buffer(buffer) {}

void RunWorker::run(const RunSettings& settings, int runId) {
  m_runId = runId;
  m_finishedPushed = false;
  try {
    m_runner.run(settings, *this, runId);
  } catch (const std::exception& e) {
    notify(m_buffer.pushError(runId, e.what()));
  } catch (...) {
    notify(m_buffer.pushError(runId, "unknown error"));
  }
  if (!m_finishedPushed) {
    RunSummary summary;
    summary.runId = runId;
    summary.cancelled = true;
    notify(m_buffer.pushFinished(runId, summary));
  }
  Q_EMIT runEnded(runId);
}

void RunWorker::onRunStarted(const RunInfo& info) { notify(m_buffer.pushStarted(m_runId, info)); }

void RunWorker::onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) {
  notify(m_buffer.pushRequest(m_runId, record, cache));
  const int pauseAfter = m_pauseAfter.load();
  if (pauseAfter > 0 && record.index + 1 >= pauseAfter) {
    m_pauseAfter.store(0);
    m_runner.pause();  // takes effect before the next request
  }
}

void RunWorker::onCacheEvent(const CacheEvent& event) { notify(m_buffer.pushEvent(m_runId, event)); }

void RunWorker::onRunFinished(const RunSummary& summary) {
  m_finishedPushed = true;
  notify(m_buffer.pushFinished(m_runId, summary));
}

void RunWorker::notify(bool wasEmpty) {
  if (wasEmpty) Q_EMIT dataAvailable();
}

}  // namespace kvlab
