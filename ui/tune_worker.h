// SPDX-License-Identifier: MIT
#pragma once
// Runs the Tune page's sweeps (core/replay TraceSweep) in the thread it was moved to. A job reads its
// source once (a Mooncake trace, or a scenario turned into its token-block stream: no model runs), replays
// it with an unbounded cache (the infinite-cache bound and the footprint that sizes the auto range), then
// sweeps every curve policy x size (TTL off) and the heatmap policy x TTL x size. Each finished point is
// copied into a buffer under a mutex; dataAvailable() is emitted when the buffer goes from empty to
// non-empty (the ServingWorker pattern), so the GUI drains once per notification and never waits.
// Cancellation: the job's own atomic flag, checked by the sweep between requests.
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/trace/trace_reader.h"
#include "ui/batch_queue.h"
#include "ui/tune_results.h"

namespace kvlab {

struct TuneJob {
  std::string source;           // trace (any format), bundled scenario name or scenario .json
  std::string scenarioDir;      // where bundled names resolve ("" = the default directory)
  std::uint32_t blockSize = 0;  // 0: 512 for a trace (Mooncake), the scenario's block size for a scenario
  PromptTextOptions prompts;    // a prompts file's tokenizer and chat template (SourceSelection)
  std::string sizes;            // "" = auto (footprint/1024 .. footprint, 16 sizes, log), else a series
  std::vector<std::string> policies;  // curve policies (replay names, opt allowed)
  std::string heatmapPolicy = "lru";
  std::vector<TimeMs> ttlsMs{0};  // heatmap rows
  bool ttlsAuto = false;          // rows: off and the 50th/75th/90th percentiles of the source's reuse times
  std::uint32_t outputTokens = 128;  // scenarios only (a scenario says no reply length)
  unsigned threads = 0;              // sweep threads, 0 = one per hardware thread
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
};

// What a job produced since the last drain.
struct TuneBatch {
  int runId = 0;
  bool started = false;  // info is set (first batch of a run)
  TuneSourceInfo info;
  std::vector<SweepPoint> curves;
  std::vector<SweepPoint> heatmap;
  std::size_t done = 0;  // points finished so far (of total)
  std::size_t total = 0;
  bool finished = false;  // the last batch of a run (completed or cancelled)
  bool cancelled = false;
  double elapsedS = 0;
  QString error;  // non-empty: the run failed (bad input)
};

class TuneWorker : public QObject {
  Q_OBJECT
public:
  // GUI thread: moves out what was produced since the last call.
  std::vector<TuneBatch> take();
  // Worker thread (queued by the page). Blocks until the sweep ends or job.cancel is set.
  void run(const TuneJob& job, int runId);

  // The auto size range for a footprint: max(block, footprint / 1024) .. footprint, 16 sizes on a log
  // scale (fewer when the range is narrow); one size when the footprint is a single block. Wide enough
  // below that the smaller sizes, where policies differ most, and their knees are covered.
  static std::vector<std::uint64_t> autoSizes(std::uint64_t footprintTokens, std::uint32_t blockSize);

Q_SIGNALS:
  void dataAvailable();

private:
  template <typename Fill>
  void push(int runId, Fill fill);

  BatchQueue<TuneBatch> m_queue;
};

}  // namespace kvlab
