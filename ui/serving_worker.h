// SPDX-License-Identifier: MIT
#pragma once
// Runs the serving simulator (core/serving) in the thread it was moved to. Its observer copies timeline
// points and finished requests into a buffer under a mutex and emits dataAvailable() only when the buffer
// went from empty to non-empty, so the GUI gets one queued notification per drain (the RunWorker pattern).
// A job serves its source twice, with prefix caching and without (the Serving page compares them side by
// side); each side's data goes into its own part of the batch. A run stops between steps as soon as the
// GUI wants another run id (setWantedRun), so a restart after a control change never waits for a stale
// simulation.
#include <QObject>
#include <QString>
#include <array>
#include <atomic>
#include <vector>

#include "core/serving/serving_types.h"
#include "core/trace/trace_reader.h"
#include "ui/batch_queue.h"

namespace kvlab {

// What to simulate: a trace (any format core/trace reads) or a scenario (bundled name or .json), and the
// engine. config.prefixCache is ignored: both ways are run.
struct ServingJob {
  std::string input;
  std::string scenarioDir;              // "" = the default directory
  std::uint32_t outputTokens = 0;       // scenarios only; 0 = each request's own (output_tokens)
  std::uint32_t blockSizeOverride = 0;  // 0: 512 for a trace, the scenario's block size for a scenario
  PromptTextOptions prompts;            // a prompts file's tokenizer and chat template (SourceSelection)
  std::uint64_t poolBlocks = 0;         // 0: 90 % of the hardware's memory minus the weights
  // Tiers under the pool, with prefix caching only (they hold its blocks), as simulate's --host-tokens,
  // --remote-tokens and --remote-write: tokens, 0 = none; cut into whole blocks of the source's size.
  std::uint64_t hostTokens = 0;
  std::uint64_t remoteTokens = 0;
  bool remoteWriteThrough = true;
  ServingConfig config;                 // blockSize and poolBlocks are filled in by the worker
};

// One side of a job (0: with prefix caching, 1: without), produced since the last drain.
struct ServingSideBatch {
  std::vector<ServingTimelinePoint> points;
  std::vector<ServingRequestResult> done;
  bool finished = false;
  ServingSummary summary;  // when finished
  double wallS = 0;        // measured simulation time, when finished
  std::vector<TierReport> tiers;  // when finished: the tiers under the pool (host, remote), if any
};

// Everything produced since the last drain, for one run id.
struct ServingBatch {
  int runId = 0;
  bool started = false;  // the config below is set (first batch of a run)
  ServingConfig config;  // as run: block size and pool resolved
  std::uint64_t requests = 0;
  double arrivalSpanS = 0;  // first to last arrival at the run's speed
  std::array<ServingSideBatch, 2> sides;
  QString error;  // non-empty: the run failed (bad input)
};

class ServingWorker : public QObject {
  Q_OBJECT
public:
  // Any thread: the run id the GUI wants; a running simulation with another id stops at its next step.
  void setWantedRun(int runId) { m_wantedRun.store(runId); }
  // GUI thread: moves out what was produced for runs since the last call.
  std::vector<ServingBatch> take();

  // Worker thread (queued by the page). Blocks until the run ends or is superseded.
  void run(const ServingJob& job, int runId);

Q_SIGNALS:
  void dataAvailable();  // the buffer went from empty to non-empty

private:
  friend class ServingWorkerObserver;
  template <typename Fill>
  void push(int runId, Fill fill);  // worker thread: adds to the run's batch under the lock

  BatchQueue<ServingBatch> m_queue;
  std::atomic<int> m_wantedRun{0};
};

}  // namespace kvlab
