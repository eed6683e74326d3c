// SPDX-License-Identifier: MIT
#include "ui/serving_worker.h"

#include <exception>

#include "core/hardware/kv_pool_plan.h"
#include "core/runner/scenario_runner.h"
#include "core/serving/serving_simulator.h"
#include "core/trace/scenario_trace.h"
#include "core/trace/trace.h"
#include "core/trace/uniform_blocks.h"

namespace kvlab {

class ServingWorkerObserver final : public ServingObserver {
public:
  ServingWorkerObserver(ServingWorker& worker, int runId) : m_worker(worker), m_runId(runId) {}
  void onTimelinePoint(const ServingTimelinePoint& point) override {
    m_worker.push(m_runId, [&](ServingBatch& b) { b.points.push_back(point); });
  }
  void onRequestDone(const ServingRequestResult& request) override {
    m_worker.push(m_runId, [&](ServingBatch& b) { b.done.push_back(request); });
  }
  bool cancelled() const override { return m_worker.m_wantedRun.load() != m_runId; }

private:
  ServingWorker& m_worker;
  int m_runId;
};

template <typename Fill>
void ServingWorker::push(int runId, Fill fill) {
  if (m_queue.push(runId, fill)) Q_EMIT dataAvailable();
}

std::vector<ServingBatch> ServingWorker::take() { return m_queue.take(); }

void ServingWorker::run(const ServingJob& job, int runId) {
  if (m_wantedRun.load() != runId) return;  // superseded before it started
  try {
    ServingConfig config = job.config;
    std::vector<TraceRequest> requests;
    if (looksLikeTrace(job.input)) {
      // Any format; per-block-count traces re-cut into uniform blocks; length-only ones run without reuse.
      // A prompts file (token ids; text needs the CLI's --tokenizer) is cut at the block size asked for.
      TraceOpenOptions options;
      options.prompts.blockSize = job.blockSizeOverride;
      const Trace trace = loadTrace(job.input, options);
      requests = servingRequests(trace, job.blockSizeOverride, &config.blockSize);
    } else {
      const ScenarioSpec spec = loadScenarioFile(resolveScenario(job.input, defaultScenarioDir()));
      config.blockSize = job.blockSizeOverride ? job.blockSizeOverride : spec.cache.blockSize;
      requests = scenarioToTrace(spec, config.blockSize,
                                 job.outputTokens ? std::optional(job.outputTokens) : std::nullopt);
    }
    std::uint64_t blocks = job.poolBlocks;
    if (blocks == 0)  // throws InputError naming the figures when the model does not fit
      blocks = planKvPool(config.model, config.hardware, int(config.tensorParallel), config.blockSize,
                          config.maxRunning)
                   .blocks;
    config.poolBlocks = std::uint32_t(std::min<std::uint64_t>(blocks, UINT32_MAX - 1));
    // About 1500 points over the trace's arrivals (an overloaded run goes on longer, with more points).
    const double spanS = requests.empty() ? 1.0 : double(requests.back().timestampMs) / 1e3 / config.speed;
    config.timelineIntervalS = std::max(spanS / 1500.0, 1e-3);
    push(runId, [&](ServingBatch& b) {
      b.started = true;
      b.config = config;
      b.requests = requests.size();
    });
    ServingWorkerObserver observer(*this, runId);
    const ServingResult result = ServingSimulator(config).run(requests, &observer);
    if (observer.cancelled()) return;
    push(runId, [&](ServingBatch& b) {
      b.finished = true;
      b.summary = result.summary;
      b.wallS = result.wallS;
    });
  } catch (const std::exception& e) {
    push(runId, [&](ServingBatch& b) { b.error = QString::fromStdString(e.what()); });
  }
}

}  // namespace kvlab
