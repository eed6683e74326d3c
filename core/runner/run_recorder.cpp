// SPDX-License-Identifier: MIT
#include "core/runner/run_recorder.h"

#include <filesystem>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"

namespace kvlab {

void RunRecorder::onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) {
  RequestRecord kept = record;
  kept.text.clear();  // the CSV does not carry prompts; keeps memory flat over long runs
  m_records.push_back(std::move(kept));
  SnapshotRow row;
  row.request = record.index;
  row.timeMs = cache.timeMs;
  row.tokenHitRate = cache.counters.tokenHitRate();
  row.usedBytes = cache.usedBytes;
  row.capacityBytes = cache.capacityBytes;
  row.pinnedBytes = cache.pinnedBytes;
  row.entries = cache.entries;
  row.evictions = cache.counters.capacityEvictions();
  row.expirations = cache.counters.expirations();
  m_snapshots.push_back(row);
}

void RunRecorder::writeRequestsCsv(const std::string& path, const std::vector<RequestRecord>& records) {
  AtomicFile file(path);
  auto& out = file.stream();
  out << "index,session,arrival_ms,prompt_tokens,hit_tokens,computed_tokens,ttft_cached_ms,ttft_uncached_ms,"
         "lookup_ms,store_ms,flops_cached,flops_uncached,evictions,max_abs_logit_diff,simulated\n";
  out << std::setprecision(10);
  for (const RequestRecord& r : records) {
    out << r.index << ",\"" << r.session << "\"," << r.arrivalMs << ',' << r.promptTokens << ','
        << r.hitTokens << ',' << r.computedTokens << ',' << r.ttftCachedMs << ',' << r.ttftUncachedMs << ','
        << r.lookupMs << ',' << r.storeMs << ',' << r.flopsCached << ',' << r.flopsUncached << ','
        << r.evictions << ',' << r.maxAbsLogitDiff << ',' << (r.simulated ? 1 : 0) << '\n';
  }
  file.commit();
}

void RunRecorder::writeSnapshotsCsv(const std::string& path, const std::vector<SnapshotRow>& rows) {
  AtomicFile file(path);
  auto& out = file.stream();
  out << "request,time_ms,token_hit_rate,used_bytes,capacity_bytes,pinned_bytes,entries,evictions,"
         "expirations\n";
  out << std::setprecision(10);
  for (const SnapshotRow& s : rows)
    out << s.request << ',' << s.timeMs << ',' << s.tokenHitRate << ',' << s.usedBytes << ','
        << s.capacityBytes << ',' << s.pinnedBytes << ',' << s.entries << ',' << s.evictions << ','
        << s.expirations << '\n';
  file.commit();
}

void RunRecorder::writeAll(const std::string& directory) const {
  std::filesystem::create_directories(directory);
  const std::filesystem::path dir(directory);
  writeRequestsCsv((dir / "requests.csv").string(), m_records);
  writeSnapshotsCsv((dir / "snapshots.csv").string(), m_snapshots);
  writeFileAtomically((dir / "summary.json").string(), summaryJson(m_info, m_summary) + "\n");
}

std::string summaryJson(const RunInfo& info, const RunSummary& s) {
  nlohmann::ordered_json j;
  j["scenario"] = info.scenarioName;
  j["requests"] = s.requests;
  j["device"] = s.device;
  j["storage_device"] = info.storageDevice;
  j["model"] = info.model;
  j["granularity"] = std::string(toString(info.granularity));
  j["block_size"] = info.blockSize;
  j["policy"] = info.policy;
  j["max_bytes"] = info.maxBytes;
  j["ttl_ms"] = info.ttlMs;
  j["ttl_mode"] = std::string(toString(info.ttlMode));
  j["simulated"] = info.simulated;
  j["token_hit_rate"] = s.tokenHitRate;
  j["speedup"] = s.speedup;
  j["ideal_speedup"] = s.idealSpeedup;
  j["measured_over_ideal"] = s.idealSpeedup > 0 ? s.speedup / s.idealSpeedup : 0.0;
  j["ttft_ms_cached_mean"] = s.ttftMsCachedMean;
  j["ttft_ms_uncached_mean"] = s.ttftMsUncachedMean;
  j["max_abs_logit_diff"] = s.maxAbsLogitDiff;
  j["evictions"] = s.evictions;
  j["expirations"] = s.expirations;
  nlohmann::ordered_json miss;
  for (int r = 0; r < kMissReasonCount; ++r)
    miss[std::string(toString(MissReason(r)))] = s.cache.counters.missTokens[std::size_t(r)];
  j["miss_breakdown"] = miss;
  j["peak_bytes"] = s.peakBytes;
  j["bytes_to_compute"] = s.cache.counters.bytesToCompute;
  j["bytes_to_storage"] = s.cache.counters.bytesToStorage;
  j["elapsed_s"] = s.elapsedS;
  j["blas"] = info.blas;
  j["compute_threads"] = info.computeThreads;
  j["torch_version"] = info.torchVersion;
  j["cancelled"] = s.cancelled;
  if (!s.error.empty()) j["error"] = s.error;
  return j.dump(2);
}

}  // namespace kvlab
