// SPDX-License-Identifier: MIT
#include "core/runner/request_row.h"

#include "core/util/atomic_file.h"

namespace kvlab {

RequestRow RequestRow::from(int run, const RequestRecord& r, const CacheSnapshot& c,
                            std::uint64_t lowerTierCumHitTokens) {
  RequestRow row;
  row.run = run;
  row.index = r.index;
  row.session = r.session;
  row.arrivalMs = r.arrivalMs;
  row.timeMs = c.timeMs;
  row.promptTokens = r.promptTokens;
  row.hitTokens = r.hitTokens;
  row.hostHitTokens = r.hostHitTokens;
  row.remoteHitTokens = r.remoteHitTokens;
  row.computedTokens = r.computedTokens;
  row.ttftCachedMs = r.ttftCachedMs;
  row.ttftUncachedMs = r.ttftUncachedMs;
  row.lookupMs = r.lookupMs;
  row.assemblyMs = r.assemblyMs;
  row.storeMs = r.storeMs;
  row.costModel = r.simulated;
  row.flopsCached = r.flopsCached;
  row.flopsUncached = r.flopsUncached;
  row.maxAbsLogitDiff = r.maxAbsLogitDiff;
  row.evictions = r.evictions;
  row.usedBytes = c.usedBytes;
  row.capacityBytes = c.capacityBytes;
  row.pinnedBytes = c.pinnedBytes;
  row.entries = c.entries;
  const std::uint64_t queried = c.counters.queriedTokens;
  row.cumTokenHitRate =
      queried ? double(c.counters.hitTokens + lowerTierCumHitTokens) / double(queried) : 0.0;
  row.evicted = c.counters.evictions;
  row.outputTokens = r.outputTokens;
  row.tpotMs = r.tpotMs;
  return row;
}

// The four evicted_* columns follow EvictReason's order: Capacity, Ttl, PolicyChange, Clear.
static_assert(kEvictReasonCount == 4 && int(EvictReason::Capacity) == 0 && int(EvictReason::Ttl) == 1 &&
              int(EvictReason::PolicyChange) == 2 && int(EvictReason::Clear) == 3);

void RequestRow::writeHeader(CsvWriter& csv) {
  csv.row({"run",
           "index",
           "session",
           "arrival_ms",
           "time_ms",
           "prompt_tokens",
           "hit_tokens",
           "host_hit_tokens",
           "remote_hit_tokens",
           "computed_tokens",
           "ttft_cached_ms",
           "ttft_uncached_ms",
           "lookup_ms",
           "assembly_ms",
           "store_ms",
           "ttft_source",
           "flops_cached",
           "flops_uncached",
           "max_abs_logit_diff",
           "evictions",
           "used_bytes",
           "capacity_bytes",
           "pinned_bytes",
           "entries",
           "cum_token_hit_rate",
           "evicted_capacity",
           "evicted_ttl",
           "evicted_policy_change",
           "evicted_clear",
           "output_tokens",
           "tpot_ms"});
}

void RequestRow::write(CsvWriter& csv) const {
  csv.field(run).field(index).field(session).field(arrivalMs).field(timeMs);
  csv.field(promptTokens)
      .field(hitTokens)
      .field(hostHitTokens)
      .field(remoteHitTokens)
      .field(computedTokens)
      .field(ttftCachedMs);
  if (ttftUncachedMs < 0)
    csv.empty();
  else
    csv.field(ttftUncachedMs);
  csv.field(lookupMs).field(assemblyMs).field(storeMs).field(costModel ? "cost model" : "measured");
  csv.field(flopsCached).field(flopsUncached);
  if (maxAbsLogitDiff < 0)
    csv.empty();
  else
    csv.field(maxAbsLogitDiff);
  csv.field(evictions).field(usedBytes).field(capacityBytes).field(pinnedBytes).field(entries);
  csv.field(cumTokenHitRate);
  for (const std::uint64_t n : evicted) csv.field(n);
  csv.field(outputTokens);
  if (tpotMs < 0)
    csv.empty();
  else
    csv.field(tpotMs);
  csv.endRow();
}

void writeRequestsCsv(const std::string& path, const std::vector<RequestRow>& rows) {
  AtomicFile file(path);
  CsvWriter csv(file.stream());
  RequestRow::writeHeader(csv);
  for (const RequestRow& row : rows) row.write(csv);
  file.commit();
}

}  // namespace kvlab
