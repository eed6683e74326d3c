// SPDX-License-Identifier: MIT
#pragma once
// The Tune page's data as plain values: what a sweep measured (SweepPoints, hit counts counted by the
// replay) and what the source is, plus the display choices (model for bytes, cost-model hardware). The
// worker fills the measured part; the page owns one TuneResults and hands it to each chart by reference.
#include <QString>
#include <cstdint>
#include <string>
#include <vector>

#include "core/replay/trace_sweep.h"

namespace kvlab {

struct TuneSourceInfo {
  std::string source;             // as given: trace path, bundled scenario name or scenario .json
  bool trace = false;             // a trace, any format (else a scenario turned into its block stream)
  std::string format;             // the trace's format ("" for a scenario)
  std::string scenarioModel;      // the scenario's model preset ("" for a trace)
  std::uint32_t blockSize = 512;  // tokens per block key (the trace's own unless the job names one)
  std::uint64_t requests = 0;
  std::uint64_t promptTokens = 0;
  double meanPromptTokens = 0;
  double spanS = 0;                   // last arrival - first arrival (trace time), seconds
  std::uint64_t footprintTokens = 0;  // distinct blocks x block size: the smallest cache that never evicts
  ReplayResult unlimited;             // the infinite-cache replay: every reuse of a prefix hits
  std::vector<std::uint64_t> sizes;   // swept cache sizes, tokens, ascending
  std::vector<std::string> policies;  // curve policies, display order
  std::string heatmapPolicy;
  std::vector<TimeMs> ttlsMs;  // heatmap rows, 0 = off
  // Reuse times of the source's blocks (core/replay/reuse_times.h): how long a block waits between uses.
  bool ttlsFromReuse = false;  // the heatmap's TTLs were derived from them ("auto")
  std::uint64_t reuses = 0;
  TimeMs reuseMedianMs = 0;
  TimeMs reuseP90Ms = 0;
};

struct TuneResults {
  TuneSourceInfo info;
  std::vector<SweepPoint> curves;   // info.policies x info.sizes, TTL off (filled in as they finish)
  std::vector<SweepPoint> heatmap;  // heatmapPolicy x info.ttlsMs x info.sizes (TTL off: in curves)
  // Display choices (no rerun needed).
  std::string model;  // preset whose K/V bytes per token convert tokens to bytes
  std::uint64_t bytesPerToken = 1;
  std::string hardware;               // cost-model hardware profile
  double prefillSecondsPerToken = 0;  // cost model, at the source's mean prompt length
  bool finished = false;
  bool cancelled = false;
  double elapsedS = 0;  // measured wall time of the sweep (parse and infinite-cache pass included)

  // Seconds for labels: whole seconds from 100 up, else 3 significant digits (0.423, 12.5).
  static QString secondsText(double s) {
    return s >= 100 ? QString::number(s, 'f', 0) : QString::number(s, 'g', 3);
  }
  bool empty() const { return info.requests == 0; }
  // The measured point of (policy, ttl, size), or nullptr while it is not finished.
  const SweepPoint* find(const std::string& policy, TimeMs ttlMs, std::uint64_t tokens) const {
    for (const std::vector<SweepPoint>* list : {&curves, &heatmap})
      for (const SweepPoint& p : *list)
        if (p.config.policy == policy && p.config.ttlMs == ttlMs && p.config.maxTokens == tokens) return &p;
    return nullptr;
  }
  // A source spanning at least a second of arrivals is shown per hour; one whose requests all arrive
  // at once (some scenarios) as the total over the source.
  bool perHour() const { return info.spanS >= 1.0; }
  // Prefill seconds saved (cost model): hit tokens x seconds per token, per hour of trace time when
  // perHour(), else over the whole source.
  double savedSeconds(std::uint64_t hitTokens) const {
    const double s = double(hitTokens) * prefillSecondsPerToken;
    return perHour() ? s / (info.spanS / 3600.0) : s;
  }
};

}  // namespace kvlab
