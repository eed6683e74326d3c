// SPDX-License-Identifier: MIT
#pragma once
// GUI-thread front of a run. Owns the ScenarioRunner, the shared RunBuffer, the worker thread and the
// RunWorker living in it. The worker's queued dataAvailable() starts a single-shot 33 ms timer; when it
// fires the controller moves the whole buffer out under the lock and emits batchReady() once per batch of
// the current run (so charts redraw at most ~30 times a second). Batches of older run ids are dropped.
// Quiet timing (default): the worker notifies once per finished request and waits; the controller drains
// at once and releases it when the GUI event loop next goes idle, i.e. after the redraw, so no drawing
// overlaps a timed prefill. Each run has its own cancel token (ScenarioRunner::cancelRun).
//
// Nothing here blocks on compute: start/stop/pause only set the runner's flags or queue a call into the
// worker thread. Only the destructor waits, after cancelling: it joins the worker thread.
#include <QObject>
#include <QThread>
#include <QTimer>
#include <memory>

#include "core/runner/run_types.h"
#include "ui/run_batch.h"
#include "ui/run_buffer.h"
#include "ui/settled_idle.h"

namespace kvlab {

class RunWorker;
class ScenarioRunner;

class RunController : public QObject {
  Q_OBJECT
public:
  enum class State { Idle, Running, Paused, Stopping };
  Q_ENUM(State)

  explicit RunController(QObject* parent = nullptr);
  ~RunController() override;  // cancels the run and joins the worker thread

  // Starts a run (a running one is cancelled first; the new one starts when it has unwound). Returns the
  // new run id. Errors (bad scenario, no GPU) arrive later through runFailed().
  int start(const RunSettings& settings);
  void pause();
  void resume();
  void stop();
  // Paused: run one more request, then pause again. Idle: start `settings` and pause after its first request.
  void step(const RunSettings& settings);
  // Pause automatically once `count` requests of the next or current run are done (0 = off).
  void setPauseAfterRequests(int count);

  // Live controls: take effect at once in the running cache (shrinking evicts, reason PolicyChange).
  void setMaxBytes(Bytes bytes);
  void setTtlMs(TimeMs ttlMs);
  void setPolicy(const std::string& policy);
  void setPinnedBudget(Bytes bytes);
  // Pins the cached prefix of request `requestIndex` of the current run before its next request.
  void pinRequestPrefix(int requestIndex);

  // Quiet timing (default on): no drawing while a request is being timed; see RunWorker.
  void setQuietTiming(bool on);
  bool quietTiming() const;

  State state() const { return m_state; }
  bool isActive() const { return m_state != State::Idle; }
  int currentRunId() const { return m_runId; }
  // The settings the current run was started with (its source as given: a path, not just a file name).
  const RunSettings& currentSettings() const { return m_settings; }
  int requestsDone() const { return m_requestsDone; }

Q_SIGNALS:
  void stateChanged(kvlab::RunController::State state);
  void batchReady(const kvlab::RunBatch& batch);  // current run only, in order
  void runFailed(const QString& message);
  void runEnded(int runId);  // after the last batch of that run

private:
  void onDataAvailable();
  void drain();
  void onWorkerRunEnded(int runId);
  void onGuiSettled();  // releases the worker waiting for the last drained request (quiet timing)
  void setState(State state);

  std::unique_ptr<ScenarioRunner> m_runner;  // live setters are thread-safe; run() only in the worker
  RunBuffer m_buffer;                        // shared with the worker, mutex inside
  QThread m_thread;
  RunWorker* m_worker = nullptr;  // lives in m_thread; deleted by the destructor after join
  QTimer m_drainTimer;            // single-shot coalescing timer
  SettledIdle m_guiSettled;  // when the GUI thread is quiet after a drain (quiet timing)
  State m_state = State::Idle;
  int m_runId = 0;         // the run whose batches are shown
  RunSettings m_settings;  // of run m_runId
  int m_queuedRuns = 0;    // started and not yet ended in the worker
  int m_requestsDone = 0;
  int m_itemsDone = 0;  // requests + decode steps applied: what the worker waits for (RunWorker::acknowledge)
  int m_pauseAfter = 0;      // mirror of the worker's automatic pause, for the state
  bool m_simulated = false;  // the current run is a trace replay (nothing timed)
  int m_ackRunId = 0;
  int m_ackItems = 0;
};

}  // namespace kvlab
