// SPDX-License-Identifier: MIT
#include "core/replay/trace_sweep.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>

#include "core/policies/policy_registry.h"
#include "core/replay/miss_ratio_curve.h"
#include "core/replay/next_use_index.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One unit of work: a single replay, or an LRU pass covering every size of one (TTL, block size).
struct Job {
  std::vector<std::size_t> points;  // indices into the outcome's points
  bool lruPass = false;
};

}  // namespace

SweepOutcome TraceSweep::run(const std::string& tracePath, const SweepSpec& spec,
                             const PointCallback& onPoint, const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  TraceOpenOptions options{spec.inputFormat, spec.skipBadLines, spec.prompts};
  options.prompts.blockSize = spec.blockSizes.size() == 1 ? spec.blockSizes.front() : 0;
  const Trace trace = loadTrace(tracePath, options);
  const double parseS = secondsSince(start);
  SweepOutcome outcome = run(trace, spec, onPoint, cancel);
  outcome.parseS = parseS;
  outcome.elapsedS = secondsSince(start);
  return outcome;
}

SweepOutcome TraceSweep::run(const Trace& trace, const SweepSpec& spec, const PointCallback& onPoint,
                             const std::atomic<bool>* cancel) {
  requireBlockIds(trace.info, "sweep");
  SweepSpec resolved = spec;
  resolved.blockSizes.clear();
  for (const std::uint32_t b : spec.blockSizes)
    resolved.blockSizes.push_back(resolveBlockSize(trace.info, b));
  if (resolved.blockSizes.empty()) resolved.blockSizes.push_back(trace.info.blockSize);
  SweepOutcome outcome = run(trace.requests, resolved, onPoint, cancel);
  outcome.skippedLines = trace.skippedLines;
  outcome.traceFormat = trace.info.format;
  for (SweepPoint& p : outcome.points) {
    p.result.skippedLines = trace.skippedLines;
    p.result.traceFormat = trace.info.format;
  }
  return outcome;
}

SweepOutcome TraceSweep::run(const std::vector<TraceRequest>& requests, const SweepSpec& spec,
                             const PointCallback& onPoint, const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& policy : spec.policies)
    if (!findReplayPolicy(policy)) throw InputError("", 0, "policy", unknownPolicyMessage(policy, true));

  SweepOutcome outcome;
  outcome.requests = requests.size();
  std::vector<Job> jobs;
  std::map<std::tuple<TimeMs, std::uint32_t>, std::size_t> lruJob;  // (ttl, block size) -> job
  bool needsNextUse = false;
  for (const std::string& policy : spec.policies)
    for (const TimeMs ttl : spec.ttlsMs)
      for (const std::uint32_t blockSize : spec.blockSizes)
        for (const std::uint64_t tokens : spec.maxTokens) {
          SweepPoint point;
          point.config.policy = policy;
          point.config.maxTokens = tokens;
          point.config.ttlMs = ttl;
          point.config.blockSize = blockSize;
          point.config.bytesPerToken = spec.bytesPerToken;
          point.config.granularity = spec.granularity;
          point.config.skipBadLines = spec.skipBadLines;
          point.config.ttlMode = spec.ttlMode;
          point.config.protectInUse = spec.protectInUse;
          point.config.warmup = WarmupSpec{false, 0, spec.warmup.requestsOf(requests.size())};
          // The stack-distance pass models LRU with the literal semantics and idle TTLs only.
          const bool onePassLru = policy == "lru" && spec.ttlMode == TtlMode::Idle && !spec.protectInUse &&
                                  spec.granularity == "block";
          point.onePass = onePassLru;
          const std::size_t index = outcome.points.size();
          outcome.points.push_back(point);
          if (onePassLru) {
            auto [it, fresh] = lruJob.try_emplace({ttl, blockSize}, jobs.size());
            if (fresh) jobs.push_back(Job{{}, true});
            jobs[it->second].points.push_back(index);
          } else {
            jobs.push_back(Job{{index}, false});
            needsNextUse = needsNextUse || policyNeedsWholeTrace(policy);
          }
        }
  std::shared_ptr<const NextUseIndex> nextUse;
  if (needsNextUse) nextUse = NextUseIndex::fromRequests(requests);  // opt's first pass, shared

  std::atomic<std::size_t> nextJob{0};
  std::size_t done = 0;
  std::mutex mutex;  // guards done, error, onPoint calls
  std::exception_ptr error;
  auto cancelled = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
  auto work = [&] {
    for (std::size_t j = nextJob++; j < jobs.size(); j = nextJob++) {
      const Job& job = jobs[j];
      try {
        const auto t0 = std::chrono::steady_clock::now();
        if (job.lruPass) {
          std::vector<std::uint64_t> sizes;
          for (const std::size_t i : job.points) sizes.push_back(outcome.points[i].config.maxTokens);
          const std::vector<CurvePoint> curve =
              lruCurveOnePass(requests, outcome.points[job.points.front()].config, sizes, cancel);
          if (curve.size() != sizes.size()) continue;  // cancelled
          for (std::size_t k = 0; k < job.points.size(); ++k) {
            outcome.points[job.points[k]].result = curve[k].result;
            outcome.points[job.points[k]].evictionsCounted = curve[k].countsEvictions;
            outcome.points[job.points[k]].result.loopS = secondsSince(t0);
          }
        } else {
          SweepPoint& point = outcome.points[job.points.front()];
          const std::unique_ptr<Replayer> replayer = makeReplayer(point.config, nextUse);
          const std::uint64_t warmup = point.config.warmup.count;
          ReplayResult atBoundary;
          bool stopped = false;
          for (std::size_t i = 0; i < requests.size() && !stopped; ++i) {
            if (i == warmup && warmup > 0) atBoundary = replayer->result();
            if ((i & 1023) == 0 && cancelled())
              stopped = true;
            else
              replayer->replay(requests[i]);
          }
          if (stopped) continue;
          point.result = replayer->result();
          if (warmup > 0) {
            if (warmup >= requests.size()) atBoundary = point.result;
            point.result = measuredAfterWarmup(point.result, atBoundary,
                                               std::min<std::uint64_t>(warmup, requests.size()));
          }
          point.result.loopS = point.result.elapsedS = secondsSince(t0);
        }
        std::lock_guard lock(mutex);
        for (const std::size_t i : job.points) {
          ++done;
          if (onPoint) onPoint(outcome.points[i], done, outcome.points.size());
        }
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!error) error = std::current_exception();
        nextJob = jobs.size();
      }
    }
  };
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t workers =
      std::min<std::size_t>({spec.threads ? spec.threads : hardware, jobs.size(), std::size_t(256)});
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  outcome.cancelled = cancelled();
  if (outcome.cancelled)
    std::erase_if(outcome.points, [](const SweepPoint& p) { return p.result.requests == 0; });
  markKnees(outcome.points);
  outcome.elapsedS = secondsSince(start);
  return outcome;
}

void TraceSweep::markKnees(std::vector<SweepPoint>& points, double fraction) {
  std::map<std::tuple<std::string, TimeMs, std::uint32_t>, std::vector<SweepPoint*>> curves;
  for (SweepPoint& p : points) {
    p.knee = false;
    curves[{p.config.policy, p.config.ttlMs, p.config.blockSize}].push_back(&p);
  }
  for (auto& [key, curve] : curves) {
    std::sort(curve.begin(), curve.end(), [](const SweepPoint* a, const SweepPoint* b) {
      return a->config.maxTokens < b->config.maxTokens;
    });
    const double top = curve.back()->result.tokenHitRate();
    if (top <= 0) continue;
    for (SweepPoint* p : curve)
      if (p->result.tokenHitRate() >= fraction * top) {
        p->knee = true;
        break;
      }
  }
}

}  // namespace kvlab
