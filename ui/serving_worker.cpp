// SPDX-License-Identifier: MIT
#include "ui/serving_worker.h"

#include <exception>

#include "core/hardware/kv_pool_plan.h"
#include "core/serving/serving_simulator.h"
#include "core/tiers/tier_capacity.h"
#include "core/util/input_error.h"
#include "ui/source_requests.h"

namespace kvlab {

class ServingWorkerObserver final : public ServingObserver {
public:
  ServingWorkerObserver(ServingWorker& worker, int runId, std::size_t side)
      : m_worker(worker), m_runId(runId), m_side(side) {}
  void onTimelinePoint(const ServingTimelinePoint& point) override {
    m_worker.push(m_runId, [&](ServingBatch& b) { b.sides[m_side].points.push_back(point); });
  }
  void onRequestDone(const ServingRequestResult& request) override {
    if (!request.completed) return;  // the page shows completed requests; the summary counts the rest
    m_worker.push(m_runId, [&](ServingBatch& b) { b.sides[m_side].done.push_back(request); });
  }
  bool cancelled() const override { return m_worker.m_wantedRun.load() != m_runId; }

private:
  ServingWorker& m_worker;
  int m_runId;
  std::size_t m_side;
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
    const SourceRequests source =
        loadSourceRequests(job.input, job.scenarioDir, job.blockSizeOverride,
                           job.outputTokens ? std::optional(job.outputTokens) : std::nullopt, std::nullopt,
                           SourceUse::Serving, job.prompts);
    const std::vector<TraceRequest>& requests = source.requests;
    config.blockSize = source.blockSize;
    // Whole blocks of the source's size, as simulate's tier flags; less than one block is refused.
    const std::uint64_t hostBlocks = tierBlocksFromTokens(job.hostTokens, config.blockSize, "host tier");
    const std::uint64_t remoteBlocks = tierBlocksFromTokens(job.remoteTokens, config.blockSize, "remote tier");
    config.remoteWriteThrough = job.remoteWriteThrough;
    config.hostBlocks = hostBlocks;  // as the run with prefix caching has them (the page's status line)
    config.remoteBlocks = remoteBlocks;
    std::uint64_t blocks = job.poolBlocks;
    if (blocks == 0)  // throws InputError naming the figures when the model does not fit
      blocks = planKvPool(config.model, config.hardware, int(config.tensorParallel), config.blockSize,
                          config.maxRunning)
                   .blocks;
    config.poolBlocks = std::uint32_t(std::min<std::uint64_t>(blocks, UINT32_MAX - 1));
    // About 1500 points over the trace's arrivals (an overloaded run goes on longer, with more points).
    const double spanS = requests.empty() ? 1.0 : double(requests.back().timestampMs) / 1e3 / config.speed;
    config.timelineIntervalS = std::max(spanS / 1500.0, 1e-3);
    config.prefixCache = true;
    push(runId, [&](ServingBatch& b) {
      b.started = true;
      b.config = config;
      b.requests = requests.size();
      b.arrivalSpanS = requests.empty() ? 0
                                        : double(requests.back().timestampMs - requests.front().timestampMs) /
                                              1e3 / config.speed;
    });
    // With prefix caching, then without: the same requests, engine and cost model.
    for (std::size_t side = 0; side < 2; ++side) {
      config.prefixCache = side == 0;
      config.hostBlocks = side == 0 ? hostBlocks : 0;  // the tiers hold prefix-cache blocks
      config.remoteBlocks = side == 0 ? remoteBlocks : 0;
      ServingWorkerObserver observer(*this, runId, side);
      const ServingResult result = ServingSimulator(config).run(requests, &observer);
      if (observer.cancelled()) return;
      push(runId, [&](ServingBatch& b) {
        b.sides[side].finished = true;
        b.sides[side].summary = result.summary;
        b.sides[side].wallS = result.wallS;
        b.sides[side].tiers = result.tiers;
      });
    }
  } catch (const std::exception& e) {
    push(runId, [&](ServingBatch& b) { b.error = QString::fromStdString(e.what()); });
  }
}

}  // namespace kvlab
