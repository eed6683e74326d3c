// SPDX-License-Identifier: MIT
#include "ui/run_worker.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include "core/runner/scenario_runner.h"
#include "ui/run_buffer.h"

namespace kvlab {

RunWorker::RunWorker(ScenarioRunner& runner, RunBuffer& buffer) : m_runner(runner), m_buffer(buffer) {}

void RunWorker::run(const RunSettings& settings, int runId) {
  m_runId = runId;
  m_finishedPushed = false;
  m_itemsPushed = 0;
  m_simulated = false;
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

void RunWorker::onRunStarted(const RunInfo& info) {
  m_simulated = info.simulated;  // a trace replay times nothing: no reason to wait for the GUI
  notify(m_buffer.pushStarted(m_runId, info));
}

bool RunWorker::waitsForGui() const { return m_quiet.load() && !m_simulated; }

void RunWorker::setQuietTiming(bool on) {
  {
    std::lock_guard lock(m_ackMutex);  // a waiter re-checks m_quiet after this
    m_quiet.store(on);
  }
  m_acked.notify_all();
}

void RunWorker::acknowledge(int runId, int itemsDone) {
  {
    std::lock_guard lock(m_ackMutex);
    if (runId < m_ackRunId) return;
    if (runId > m_ackRunId) m_ackItems = 0;
    m_ackRunId = runId;
    m_ackItems = std::max(m_ackItems, itemsDone);
  }
  m_acked.notify_all();
}

void RunWorker::onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) {
  // Pause before the GUI can see this request: the GUI shows "Paused" once it has drained it, and a Resume
  // clicked then must find the runner already paused (pausing after the ack wait lost that Resume and the
  // run never finished).
  const int pauseAfter = m_pauseAfter.load();
  if (pauseAfter > 0 && record.index + 1 >= pauseAfter) {
    m_pauseAfter.store(0);
    m_runner.pause();  // takes effect before the next request
  }
  const bool wasEmpty = m_buffer.pushRequest(m_runId, record, cache);
  ++m_itemsPushed;
  if (!waitsForGui()) {
    notify(wasEmpty);
    return;
  }
  Q_EMIT dataAvailable();  // events did not notify: this request always does
  waitForGui();
}

void RunWorker::waitForGui() {
  std::unique_lock lock(m_ackMutex);
  m_acked.wait_for(lock, std::chrono::milliseconds(kAckTimeoutMs), [&] {
    return m_ackRunId > m_runId || (m_ackRunId == m_runId && m_ackItems >= m_itemsPushed) || !m_quiet.load();
  });
}

void RunWorker::onCacheEvent(const CacheEvent& event) {
  const bool wasEmpty = m_buffer.pushEvent(m_runId, event);
  if (!waitsForGui())
    notify(wasEmpty);
  else if (m_runner.isPaused())
    Q_EMIT dataAvailable();  // a live change applied during a pause: nothing is timed, show it at once
}

void RunWorker::onDecodeStep(const DecodeStep& step) {
  // Quiet timing: like a request, each step waits until the GUI has drawn it, so no drawing overlaps the
  // next timed step and the decode chart still grows step by step.
  const bool wasEmpty = m_buffer.pushDecodeStep(m_runId, step);
  ++m_itemsPushed;
  if (!waitsForGui()) {
    notify(wasEmpty);
    return;
  }
  Q_EMIT dataAvailable();
  waitForGui();
}

void RunWorker::onRunFinished(const RunSummary& summary) {
  m_finishedPushed = true;
  notify(m_buffer.pushFinished(m_runId, summary));
}

void RunWorker::notify(bool wasEmpty) {
  if (wasEmpty) Q_EMIT dataAvailable();
}

}  // namespace kvlab
