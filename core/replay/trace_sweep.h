// SPDX-License-Identifier: MIT
#pragma once
// A sweep: every combination of cache size x policy x TTL x block size replayed over one trace, parsed
// once and shared by all configurations (read-only), which run on a pool of threads. LRU gets all its sizes
// from one stack-distance pass per (TTL, block size) (lruCurveOnePass); opt shares one next-use index.
// Memory: the parsed trace (about 8 bytes per block plus ~40 per request) and opt's index (8 bytes per
// block) are held for the whole sweep, plus one cache per running configuration.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/replay/trace_replayer.h"
#include "core/trace/trace.h"

namespace kvlab {

struct SweepSpec {
  std::vector<std::uint64_t> maxTokens;  // cache sizes in tokens
  std::vector<std::string> policies;     // replay policy names (opt allowed)
  std::vector<TimeMs> ttlsMs{0};         // 0 = no TTL
  TtlMode ttlMode = TtlMode::Idle;       // what the TTLs measure
  bool protectInUse = false;             // replay's --protect-in-use for every configuration
  WarmupSpec warmup;                     // --warmup for every configuration (resolved on the requests)
  // Tokens per block key; a trace sweep reads an empty list as the trace's own size, and refuses sizes that
  // contradict one the trace declares (resolveBlockSize).
  std::vector<std::uint32_t> blockSizes{512};
  Bytes bytesPerToken = 1;  // K/V bytes per token of the simulated model
  std::string granularity = "block";  // ReplayConfig::granularity for every configuration
  bool skipBadLines = false;
  std::string inputFormat;  // trace format name ("" = detect from the content)
  // The prompts format's --tokenizer and --chat-template; it cuts the tokens at the one block size given (a
  // list of several is refused for it: the reader reads once, at one size).
  PromptTextOptions prompts;
  unsigned threads = 0;     // 0 = one per hardware thread
};

struct SweepPoint {
  ReplayConfig config;
  ReplayResult result;
  // LRU from the stack-distance pass: hit counters, totals and (without TTL) evictions only (no misses by
  // cause, peak, eviction ages).
  bool onePass = false;
  bool evictionsCounted = true;  // false for one-pass LRU with a TTL (evictions not derived)
  bool knee = false;  // the smallest size of its curve reaching 90% of the curve's hit rate at its largest
};

struct SweepOutcome {
  std::vector<SweepPoint> points;  // policy, TTL, block size, size order (the spec's order)
  std::uint64_t requests = 0;
  std::uint64_t skippedLines = 0;
  std::string traceFormat;  // the format read (trace sweeps)
  double parseS = 0;    // reading the trace once
  double elapsedS = 0;  // the whole sweep, parse included
  bool cancelled = false;
};

class TraceSweep {
public:
  // Called as each configuration finishes (an LRU pass finishes all its sizes at once), from a worker
  // thread, never concurrently. done counts finished points, total all of them.
  using PointCallback = std::function<void(const SweepPoint& point, std::size_t done, std::size_t total)>;

  // Reads the trace (any format; InputError on a malformed line unless spec.skipBadLines, on a length-only
  // trace, on a contradicting block size), then sweeps.
  static SweepOutcome run(const std::string& tracePath, const SweepSpec& spec,
                          const PointCallback& onPoint = {}, const std::atomic<bool>* cancel = nullptr);
  // Sweeps a trace already in memory, its block size resolved as above.
  static SweepOutcome run(const Trace& trace, const SweepSpec& spec, const PointCallback& onPoint = {},
                          const std::atomic<bool>* cancel = nullptr);
  // Sweeps requests already in memory (a scenario turned into its block stream). cancel is checked
  // between requests; a cancelled sweep returns the points finished so far.
  static SweepOutcome run(const std::vector<TraceRequest>& requests, const SweepSpec& spec,
                          const PointCallback& onPoint = {}, const std::atomic<bool>* cancel = nullptr);

  // Sets `knee` on each curve (points sharing policy, TTL and block size): the smallest size whose token hit
  // rate reaches `fraction` of the rate at the curve's largest size; none when that rate is 0.
  static void markKnees(std::vector<SweepPoint>& points, double fraction = 0.9);
};

}  // namespace kvlab
