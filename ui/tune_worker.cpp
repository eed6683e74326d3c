// SPDX-License-Identifier: MIT
#include "ui/tune_worker.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <utility>

#include "core/replay/reuse_times.h"
#include "core/util/value_series.h"
#include "ui/source_requests.h"

namespace kvlab {

template <typename Fill>
void TuneWorker::push(int runId, Fill fill) {
  if (m_queue.push(runId, fill)) Q_EMIT dataAvailable();
}

std::vector<TuneBatch> TuneWorker::take() { return m_queue.take(); }

std::vector<std::uint64_t> TuneWorker::autoSizes(std::uint64_t footprintTokens, std::uint32_t blockSize) {
  const std::uint64_t top = std::max<std::uint64_t>(footprintTokens, blockSize);
  const std::uint64_t bottom = std::max<std::uint64_t>(blockSize, top / 1024);
  if (bottom >= top) return {top};
  const std::string range = std::to_string(bottom) + ":" + std::to_string(top) + ":log16";
  return parseCountSeries(range, "sizes");
}

void TuneWorker::run(const TuneJob& job, int runId) {
  const auto start = std::chrono::steady_clock::now();
  const std::atomic<bool>* cancel = job.cancel.get();
  if (cancel->load()) {  // cancelled (or superseded) before it started: say so, produce nothing
    push(runId, [&](TuneBatch& b) {
      b.finished = true;
      b.cancelled = true;
    });
    return;
  }
  try {
    TuneSourceInfo info;
    info.source = job.source;
    SourceRequests source = loadSourceRequests(job.source, job.scenarioDir, job.blockSize, job.outputTokens,
                                                std::nullopt, SourceUse::Replay, job.prompts);
    std::vector<TraceRequest> requests = std::move(source.requests);
    info.trace = source.trace;
    info.format = source.format;
    info.blockSize = source.blockSize;
    info.scenarioModel = source.scenarioModel;
    if (requests.empty()) throw std::invalid_argument(job.source + " has no requests");
    info.requests = requests.size();
    for (const TraceRequest& r : requests) info.promptTokens += r.inputLength;
    info.meanPromptTokens = double(info.promptTokens) / double(requests.size());
    info.spanS = double(requests.back().timestampMs - requests.front().timestampMs) / 1e3;

    // The infinite-cache bound: every block stays, so a hit is every reuse of a prefix. Its peak is the
    // number of distinct blocks, which sizes the auto range.
    ReplayConfig unbounded;
    unbounded.blockSize = info.blockSize;
    unbounded.maxTokens = kUnlimited;
    TraceReplayer replayer(unbounded);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if ((i & 1023) == 0 && cancel->load()) break;
      replayer.replay(requests[i]);
    }
    info.unlimited = replayer.result();
    info.footprintTokens = info.unlimited.peakBlocks * info.blockSize;
    info.sizes = job.sizes.empty() ? autoSizes(info.footprintTokens, info.blockSize)
                                   : parseCountSeries(job.sizes, "sizes");
    std::sort(info.sizes.begin(), info.sizes.end());
    info.sizes.erase(std::unique(info.sizes.begin(), info.sizes.end()), info.sizes.end());
    info.policies = job.policies;
    info.heatmapPolicy = job.heatmapPolicy;
    info.ttlsMs = job.ttlsMs;
    // How long blocks wait between uses: the heatmap's TTLs when "auto" (TTLs of minutes on a source that
    // lasts 46 s would give identical rows).
    const std::vector<TimeMs> reuse = blockReuseTimesMs(requests);
    info.reuses = reuse.size();
    info.reuseMedianMs = reuseTimePercentile(reuse, 50);
    info.reuseP90Ms = reuseTimePercentile(reuse, 90);
    if (job.ttlsAuto) {
      info.ttlsFromReuse = true;
      info.ttlsMs = {0};
      for (const TimeMs t : ttlsFromReuseTimes(reuse)) info.ttlsMs.push_back(t);
    }

    SweepSpec curves;
    curves.maxTokens = info.sizes;
    curves.policies = job.policies;
    curves.ttlsMs = {0};
    curves.blockSizes = {info.blockSize};
    curves.threads = job.threads;
    // The heatmap's TTL-off row is the curve's when the policy is drawn there too.
    const bool shared =
        std::find(job.policies.begin(), job.policies.end(), job.heatmapPolicy) != job.policies.end();
    SweepSpec heat = curves;
    heat.policies = {job.heatmapPolicy};
    // The Belady curve is the true reference under prefix chains: opt over the radix tree (the leaf used
    // farthest ahead goes; a block needed later than everything cached is not cached). Block replay's opt
    // can strand a prefix's descendants and fall below LRU (RadixBlockReplayer).
    SweepSpec belady = curves;
    belady.policies.clear();
    if (const auto opt = std::find(curves.policies.begin(), curves.policies.end(), "opt");
        opt != curves.policies.end()) {
      curves.policies.erase(opt);
      belady.policies = {"opt"};
      belady.granularity = "radix";
    }
    heat.ttlsMs.clear();
    for (const TimeMs ttl : info.ttlsMs)
      if (!(shared && ttl == 0)) heat.ttlsMs.push_back(ttl);
    const std::size_t curveTotal =
        (curves.policies.size() + belady.policies.size()) * curves.maxTokens.size();
    const std::size_t heatTotal = heat.ttlsMs.size() * heat.maxTokens.size();
    const std::size_t total = curveTotal + heatTotal;
    push(runId, [&](TuneBatch& b) {
      b.started = true;
      b.info = info;
      b.total = total;
    });

    bool cancelled = cancel->load();
    std::size_t curvesDone = 0;
    for (const SweepSpec* spec : {&curves, &belady}) {
      if (cancelled || spec->policies.empty() || spec->maxTokens.empty()) continue;
      const std::size_t offset = curvesDone;
      const SweepOutcome outcome = TraceSweep::run(
          requests, *spec,
          [&](const SweepPoint& p, std::size_t done, std::size_t) {
            push(runId, [&](TuneBatch& b) {
              b.curves.push_back(p);
              b.done = offset + done;
              b.total = total;
            });
          },
          cancel);
      curvesDone += outcome.points.size();
      cancelled = outcome.cancelled;
    }
    if (!cancelled && heatTotal > 0) {
      const SweepOutcome outcome = TraceSweep::run(
          requests, heat,
          [&](const SweepPoint& p, std::size_t done, std::size_t) {
            push(runId, [&](TuneBatch& b) {
              b.heatmap.push_back(p);
              b.done = curveTotal + done;
              b.total = total;
            });
          },
          cancel);
      cancelled = outcome.cancelled;
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    push(runId, [&](TuneBatch& b) {
      b.finished = true;
      b.cancelled = cancelled || cancel->load();
      b.elapsedS = elapsed;
    });
  } catch (const std::exception& e) {
    push(runId, [&](TuneBatch& b) {
      b.error = QString::fromStdString(e.what());
      b.finished = true;
    });
  }
}

}  // namespace kvlab
