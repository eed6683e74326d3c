// SPDX-License-Identifier: MIT
#include "core/replay/miss_ratio_curve.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "core/replay/lru_stack_pass.h"
#include "core/trace/trace.h"

namespace kvlab {

namespace {

// The points of a one-pass result, one per size asked for.
std::vector<CurvePoint> curvePoints(const LruStackPass& pass, const std::vector<std::uint64_t>& maxTokens,
                                    double elapsedS, std::uint64_t skippedLines) {
  std::vector<ReplayResult> results = pass.results(elapsedS, skippedLines);
  std::vector<CurvePoint> points(maxTokens.size());
  for (std::size_t s = 0; s < maxTokens.size(); ++s) {
    points[s].policy = "lru";
    points[s].maxTokens = maxTokens[s];
    points[s].onePass = true;
    points[s].result = std::move(results[s]);
    points[s].countsEvictions = pass.countsEvictions() && points[s].result.capacityBlocks > 0;
  }
  return points;
}

std::vector<std::uint64_t> capacitiesOf(const ReplayConfig& base, const std::vector<std::uint64_t>& maxTokens) {
  std::vector<std::uint64_t> capacities;
  for (const std::uint64_t tokens : maxTokens) {
    ReplayConfig sized = base;
    sized.maxTokens = tokens;
    capacities.push_back(sized.capacityBlocks());  // kUnlimited stays unbounded
  }
  return capacities;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<CurvePoint> lruCurveOnePass(const std::string& tracePath, const ReplayConfig& base,
                                        const std::vector<std::uint64_t>& maxTokens) {
  const auto start = std::chrono::steady_clock::now();
  const std::unique_ptr<TraceReader> reader =
      openTraceReader(tracePath, base.traceOpenOptions());
  const ReplayConfig config = configForTrace(reader->info(), base);
  LruStackPass pass(config, capacitiesOf(config, maxTokens));
  if (config.warmup.fraction && config.warmup.any()) {  // needs the request count: read into memory
    const Trace trace = readTrace(*reader);
    const std::uint64_t warmup = config.warmup.requestsOf(trace.requests.size());
    for (std::size_t i = 0; i < trace.requests.size(); ++i) pass.add(trace.requests[i], i >= warmup);
    return curvePoints(pass, maxTokens, secondsSince(start), trace.skippedLines);
  }
  TraceRequest request;
  std::uint64_t index = 0;
  while (reader->next(request)) pass.add(request, index++ >= config.warmup.count);
  return curvePoints(pass, maxTokens, secondsSince(start), reader->skippedLines());
}

std::vector<CurvePoint> lruCurveOnePass(const std::vector<TraceRequest>& requests, const ReplayConfig& base,
                                        const std::vector<std::uint64_t>& maxTokens,
                                        const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  LruStackPass pass(base, capacitiesOf(base, maxTokens));
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (cancel && (i & 1023) == 0 && cancel->load(std::memory_order_relaxed)) return {};
    pass.add(requests[i], i >= base.warmup.requestsOf(requests.size()));
  }
  return curvePoints(pass, maxTokens, secondsSince(start), 0);
}

std::vector<CurvePoint> missRatioCurve(const std::string& tracePath, const ReplayConfig& base,
                                       const std::vector<std::string>& policies,
                                       const std::vector<std::uint64_t>& maxTokens, unsigned threads,
                                       const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<CurvePoint> points;
  for (const std::string& policy : policies)
    for (const std::uint64_t tokens : maxTokens) points.push_back(CurvePoint{policy, tokens, {}, false});

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex errorMutex;
  std::exception_ptr error;
  std::mutex progressMutex;
  auto work = [&] {
    for (std::size_t i = next++; i < points.size(); i = next++) {
      try {
        ReplayConfig config = base;
        config.policy = points[i].policy;
        config.maxTokens = points[i].maxTokens;
        points[i].result = replayTraceFile(tracePath, config);
      } catch (...) {
        std::lock_guard lock(errorMutex);
        if (!error) error = std::current_exception();
        next = points.size();  // stop handing out work
      }
      const std::size_t finished = ++done;
      if (progress) {
        std::lock_guard lock(progressMutex);
        progress(finished, points.size());
      }
    }
  };
  // No more threads than replays (`--threads 100000` must not exhaust the process's thread limit).
  const std::size_t workers = std::min<std::size_t>({std::max(1u, threads), points.size(), 256});
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return points;
}

}  // namespace kvlab
