// SPDX-License-Identifier: MIT
#include "ui/run_controller.h"

#include <limits>

#include "core/runner/scenario_runner.h"
#include "ui/run_worker.h"

namespace kvlab {

namespace {
constexpr int kDrainIntervalMs = 33;  // <= 30 redraws per second
// Quiet timing releases the worker once the GUI thread has been idle this long after its last wake-up: longer
// than the platform's repaint timer after the loop first blocks and the X server's drawing after it (15 ms
// still left the next cached prefill 4-7 ms slow in the agentic scenario, 30 ms did not), short against a
// request.
constexpr int kAckSettleMs = 30;
constexpr int kAckFallbackMs = 100;  // when the loop never blocks (QTest's QTRY_* spin processEvents); far
                                     // below the worker's own time-out
}  // namespace

RunController::RunController(QObject* parent)
    : QObject(parent), m_runner(std::make_unique<ScenarioRunner>()), m_guiSettled(kAckSettleMs, kAckFallbackMs) {
  qRegisterMetaType<RunBatch>("kvlab::RunBatch");
  m_thread.setObjectName(QStringLiteral("kvlab-run-worker"));
  m_worker = new RunWorker(*m_runner, m_buffer);
  m_worker->moveToThread(&m_thread);
  connect(m_worker, &RunWorker::dataAvailable, this, &RunController::onDataAvailable, Qt::QueuedConnection);
  connect(m_worker, &RunWorker::runEnded, this, &RunController::onWorkerRunEnded, Qt::QueuedConnection);
  m_drainTimer.setSingleShot(true);
  m_drainTimer.setInterval(kDrainIntervalMs);
  connect(&m_drainTimer, &QTimer::timeout, this, &RunController::drain);
  connect(&m_guiSettled, &SettledIdle::settled, this, &RunController::onGuiSettled);
  m_thread.start();
}

RunController::~RunController() {
  m_worker->setQuietTiming(false);  // releases a worker waiting for a GUI that is going away
  m_runner->cancelRun(m_runId);
  m_runner->cancel();
  m_runner->resume();
  m_thread.quit();
  m_thread.wait();
  delete m_worker;
}

int RunController::start(const RunSettings& settings) {
  // Per-run tokens: cancels the previous run even if the worker has not started it yet.
  if (m_queuedRuns > 0) m_runner->cancelRun(m_runId);
  m_runner->resume();  // a pause left over from the previous run must not hold the new one
  m_runId += 1;
  m_settings = settings;
  m_requestsDone = 0;
  m_itemsDone = 0;
  m_simulated = false;
  m_worker->setPauseAfterRequests(m_pauseAfter);
  ++m_queuedRuns;
  const int runId = m_runId;
  RunWorker* worker = m_worker;
  QMetaObject::invokeMethod(
      m_worker, [worker, settings, runId] { worker->run(settings, runId); }, Qt::QueuedConnection);
  setState(State::Running);
  return runId;
}

void RunController::pause() {
  if (m_state != State::Running) return;
  m_runner->pause();
  setState(State::Paused);
}

void RunController::resume() {
  if (m_state != State::Paused) return;
  m_runner->resume();
  setState(State::Running);
}

void RunController::stop() {
  if (m_state == State::Idle || m_state == State::Stopping) return;
  m_pauseAfter = 0;
  m_worker->setPauseAfterRequests(0);
  m_runner->cancelRun(m_runId);  // this run, also when it is still queued behind an unwinding one
  m_runner->resume();
  setState(State::Stopping);
}

void RunController::step(const RunSettings& settings) {
  if (m_state == State::Idle) {
    setPauseAfterRequests(1);
    start(settings);
  } else if (m_state == State::Paused) {
    setPauseAfterRequests(m_requestsDone + 1);
    resume();
  }
}

void RunController::setPauseAfterRequests(int count) {
  m_pauseAfter = count;
  m_worker->setPauseAfterRequests(count);
}

void RunController::setMaxBytes(Bytes bytes) { m_runner->setMaxBytes(bytes); }
void RunController::setTtlMs(TimeMs ttlMs) { m_runner->setTtlMs(ttlMs); }
void RunController::setPolicy(const std::string& policy) { m_runner->setPolicy(policy); }
void RunController::setPinnedBudget(Bytes bytes) { m_runner->setPinnedBudget(bytes); }
void RunController::pinRequestPrefix(int requestIndex) { m_runner->pinRequestPrefix(requestIndex); }

void RunController::setQuietTiming(bool on) { m_worker->setQuietTiming(on); }
bool RunController::quietTiming() const { return m_worker->quietTiming(); }

void RunController::onDataAvailable() {
  // Quiet timing: the worker waits for us between requests, so draw now (no prefill is being timed).
  if (m_worker->quietTiming() && !m_simulated) {
    drain();
    return;
  }
  if (!m_drainTimer.isActive()) m_drainTimer.start();
}

void RunController::drain() {
  m_drainTimer.stop();
  for (const RunBatch& batch : m_buffer.takeAll()) {
    if (batch.runId != m_runId) {  // a cancelled run's late results: release its worker at once
      m_worker->acknowledge(batch.runId, std::numeric_limits<int>::max());
      continue;
    }
    if (batch.started) m_simulated = batch.started->simulated;  // replays: coalesced redraws, no waiting
    m_requestsDone += int(batch.requests.size());
    m_itemsDone += int(batch.requests.size() + batch.decodeSteps.size());
    Q_EMIT batchReady(batch);
    if (!batch.error.empty()) Q_EMIT runFailed(QString::fromStdString(batch.error));
    if (m_pauseAfter > 0 && m_requestsDone >= m_pauseAfter && m_state == State::Running) {
      m_pauseAfter = 0;
      setState(State::Paused);
    }
  }
  // Released once the event loop has settled (SettledIdle): by then every repaint this batch scheduled
  // (queued scene updates, low-priority UpdateRequests, the platform's repaint timer) has run, so the next
  // timed prefill starts on a quiet GUI thread.
  m_ackRunId = m_runId;
  m_ackItems = m_itemsDone;
  m_guiSettled.arm();
}

void RunController::onGuiSettled() { m_worker->acknowledge(m_ackRunId, m_ackItems); }

void RunController::onWorkerRunEnded(int runId) {
  --m_queuedRuns;
  drain();
  if (runId == m_runId) {
    m_pauseAfter = 0;
    m_worker->setPauseAfterRequests(0);
    setState(State::Idle);
  }
  Q_EMIT runEnded(runId);
}

void RunController::setState(State state) {
  if (m_state == state) return;
  m_state = state;
  Q_EMIT stateChanged(state);
}

}  // namespace kvlab
