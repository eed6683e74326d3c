// SPDX-License-Identifier: MIT
#pragma once
// One row of requests.csv: a finished request and the cache right after it. The one requests.csv schema,
// written by `kvlab-cli run --out` (RunRecorder) and by the GUI's export (ReportExporter) alike:
//   run,index,session,arrival_ms,time_ms,prompt_tokens,hit_tokens,host_hit_tokens,remote_hit_tokens,
//   computed_tokens,ttft_cached_ms,
//   ttft_uncached_ms,lookup_ms,assembly_ms,store_ms,ttft_source,flops_cached,flops_uncached,max_abs_logit_diff,
//   evictions,used_bytes,capacity_bytes,pinned_bytes,entries,cum_token_hit_rate,evicted_capacity,
//   evicted_ttl,evicted_policy_change,evicted_clear,output_tokens,tpot_ms
// A value that was not measured (no baseline: ttft_uncached_ms, max_abs_logit_diff; tpot_ms with fewer than
// two output tokens) is an empty field.
// ttft_source says where the TTFTs come from: "measured" (real prefill) or "cost model" (trace replay).
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/runner/run_types.h"
#include "core/util/csv_writer.h"

namespace kvlab {

struct RequestRow {
  int run = 0;  // run id (the GUI exports several runs into one file)
  int index = 0;
  std::string session;
  TimeMs arrivalMs = 0;  // scenario / trace time the request arrived
  TimeMs timeMs = 0;     // cache clock right after the request
  std::uint32_t promptTokens = 0;
  std::uint32_t hitTokens = 0;        // every tier
  std::uint32_t hostHitTokens = 0;    // part of hitTokens promoted from the host tier
  std::uint32_t remoteHitTokens = 0;  // part of hitTokens fetched from the remote tier
  std::uint32_t computedTokens = 0;
  double ttftCachedMs = 0;
  double ttftUncachedMs = -1;  // < 0: not measured
  double lookupMs = 0;
  double assemblyMs = 0;
  double storeMs = 0;
  bool costModel = false;  // TTFTs from the cost model (trace replay), not measured
  double flopsCached = 0;
  double flopsUncached = 0;
  double maxAbsLogitDiff = -1;  // < 0: not compared
  std::uint64_t evictions = 0;  // during this request
  Bytes usedBytes = 0;
  Bytes capacityBytes = 0;
  Bytes pinnedBytes = 0;
  std::uint64_t entries = 0;
  double cumTokenHitRate = 0;                              // 0..1, since the run started, every tier
  std::array<std::uint64_t, kEvictReasonCount> evicted{};  // cumulative, by EvictReason
  std::uint32_t outputTokens = 0;                          // tokens generated, the first included
  double tpotMs = -1;  // mean ms per output token after the first; < 0: not measured

  // lowerTierCumHitTokens: hit tokens so far that the cache's counters did not count (LowerTierHits).
  static RequestRow from(int run, const RequestRecord& record, const CacheSnapshot& cache,
                         std::uint64_t lowerTierCumHitTokens = 0);
  static void writeHeader(CsvWriter& csv);
  void write(CsvWriter& csv) const;
};

// With a host or remote tier, the device cache's counters see only its own hits (a block a lower tier
// served is a device miss there). Fed every request in order, this adds up the hit tokens they missed, so
// cumulative hit rates count every tier: (device counter + total()) / queried tokens.
class LowerTierHits {
public:
  void add(const RequestRecord& record, const CacheSnapshot& cache) {
    const std::uint64_t device = cache.counters.hitTokens;
    const std::uint64_t deviceHits = device - std::min(device, m_deviceBefore);
    m_total += record.hitTokens > deviceHits ? record.hitTokens - deviceHits : 0;
    m_deviceBefore = device;
  }
  std::uint64_t total() const { return m_total; }

private:
  std::uint64_t m_deviceBefore = 0;
  std::uint64_t m_total = 0;
};

// requests.csv through an AtomicFile (no half-written file on failure).
void writeRequestsCsv(const std::string& path, const std::vector<RequestRow>& rows);

}  // namespace kvlab
