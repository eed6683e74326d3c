// SPDX-License-Identifier: MIT
#pragma once
// Runs ScenarioRunner::run in the thread it was moved to. Its observer callbacks copy each value into the
// shared RunBuffer and emit dataAvailable() only when the buffer was empty, so the GUI gets one queued
// notification per drain.
//
// Quiet timing (on by default): the GUI must not draw while a request's prefill is being timed, or the
// drawing competes with the prefill for the cores and the measured speedup drops. Then cache events never
// notify, each finished request (and each decode step of the decode scenario) notifies, and the worker
// waits (at most kAckTimeoutMs) until the GUI acknowledges that it has applied and drawn it before the next
// timed prefill (or step) starts. Owns nothing the GUI touches: the runner and the buffer belong to
// RunController, which outlives the worker thread.
#include <QObject>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "core/runner/run_types.h"

namespace kvlab {

class RunBuffer;
class ScenarioRunner;

class RunWorker : public QObject, private RunObserver {
  Q_OBJECT
public:
  RunWorker(ScenarioRunner& runner, RunBuffer& buffer);

  // Any thread: pause the runner once request number `count` (1-based) is done; 0 = never.
  void setPauseAfterRequests(int count) { m_pauseAfter.store(count); }
  // Any thread. See the class comment.
  void setQuietTiming(bool on);
  bool quietTiming() const { return m_quiet.load(); }
  // Any thread: the GUI has applied and drawn the first `itemsDone` items of run runId; items = finished
  // requests and decode steps (the decode scenario), counted together in push order.
  void acknowledge(int runId, int itemsDone);
  static constexpr int kAckTimeoutMs = 2000;  // never hang the run on a GUI that does not answer

public Q_SLOTS:
  // Worker thread (queued from RunController). Blocks until the run ends; always pushes a finished or an
  // error value for runId.
  void run(const kvlab::RunSettings& settings, int runId);

Q_SIGNALS:
  void dataAvailable();  // the buffer went from empty to non-empty
  void runEnded(int runId);

private:
  void onRunStarted(const RunInfo& info) override;
  void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) override;
  void onCacheEvent(const CacheEvent& event) override;
  void onDecodeStep(const DecodeStep& step) override;
  void onRunFinished(const RunSummary& summary) override;
  void notify(bool wasEmpty);

  ScenarioRunner& m_runner;
  RunBuffer& m_buffer;
  bool waitsForGui() const;       // worker thread: quiet timing on and the run times something
  int m_runId = 0;                // worker thread only
  bool m_simulated = false;       // worker thread only: the current run is a trace replay
  bool m_finishedPushed = false;  // worker thread only
  int m_itemsPushed = 0;          // worker thread only: requests and decode steps pushed in this run
  void waitForGui();              // worker thread: until the GUI acknowledges m_itemsPushed (or time-out)
  std::atomic<int> m_pauseAfter{0};
  std::atomic<bool> m_quiet{true};
  std::mutex m_ackMutex;
  std::condition_variable m_acked;
  int m_ackRunId = 0;  // guarded by m_ackMutex
  int m_ackItems = 0;
};

}  // namespace kvlab
