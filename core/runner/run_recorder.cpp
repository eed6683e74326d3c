// SPDX-License-Identifier: MIT
#include "core/runner/run_recorder.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "core/util/csv_writer.h"

namespace kvlab {

void RunRecorder::onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) {
  RequestRecord kept = record;
  kept.text.clear();  // the CSV does not carry prompts; keeps memory flat over long runs
  m_records.push_back(std::move(kept));
  m_rows.push_back(RequestRow::from(m_info.runId, record, cache));
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

void RunRecorder::writeSnapshotsCsv(const std::string& path, const std::vector<SnapshotRow>& rows) {
  AtomicFile file(path);
  CsvWriter csv(file.stream());
  csv.row({"request", "time_ms", "token_hit_rate", "used_bytes", "capacity_bytes", "pinned_bytes", "entries",
           "evictions", "expirations"});
  for (const SnapshotRow& s : rows) {
    csv.field(s.request).field(s.timeMs).field(s.tokenHitRate).field(s.usedBytes).field(s.capacityBytes);
    csv.field(s.pinnedBytes).field(s.entries).field(s.evictions).field(s.expirations);
    csv.endRow();
  }
  file.commit();
}

void RunRecorder::writeAll(const std::string& directory) const {
  std::filesystem::create_directories(directory);
  const std::filesystem::path dir(directory);
  writeRequestsCsv((dir / "requests.csv").string(), m_rows);
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
