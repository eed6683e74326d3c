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
  kept.tokenEnds.clear();
  m_records.push_back(std::move(kept));
  if (!m_info.remote.empty() || m_info.hostMaxBytes > 0) m_lowerTierHits.add(record, cache);
  m_rows.push_back(RequestRow::from(m_info.runId, record, cache, m_lowerTierHits.total()));
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

namespace {

// A measured figure, or null when the run did not measure it (`measured` false).
nlohmann::ordered_json orNull(bool measured, double value) {
  return measured ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string summaryJson(const RunInfo& info, const RunSummary& s) {
  using nlohmann::ordered_json;
  // Fields a mode does not measure are null: trace replays measure no time at all (their TTFTs are a cost
  // model), runs without the baseline no uncached time, speedup or logit difference.
  const bool measuredTtft = !info.simulated && s.requests > 0;
  const bool measuredUncached = measuredTtft && s.speedup > 0;
  ordered_json j;
  j["scenario"] = info.scenarioName;
  j["scenario_kind"] = info.scenarioKind;
  j["scenario_seed"] = info.simulated ? ordered_json(nullptr) : ordered_json(info.scenarioSeed);
  j["scenario_sha256"] =
      info.scenarioSha256.empty() ? ordered_json(nullptr) : ordered_json(info.scenarioSha256);
  j["git_revision"] = info.gitRevision.empty() ? "unknown" : info.gitRevision;
  j["kvlab_version"] = info.kvlabVersion;
  j["torch_version"] = info.torchVersion;
  j["blas"] = info.blas;
  j["matmul"] = info.matmul.empty() ? ordered_json(nullptr) : ordered_json(info.matmul);
  j["compute_threads"] = info.computeThreads;
  j["requests"] = s.requests;
  j["device"] = s.device;
  j["storage_device"] = info.storageDevice;
  j["model"] = info.model;
  j["tokenizer"] = info.tokenizer;
  j["weights"] = info.weights;
  j["dtype"] = info.dtype;
  j["allow_tf32"] = info.allowTf32;
  j["granularity"] = std::string(toString(info.granularity));
  j["block_size"] = info.blockSize;
  j["policy"] = info.policy;
  j["max_bytes"] = info.maxBytes;
  j["ttl_ms"] = info.ttlMs;
  j["ttl_mode"] = std::string(toString(info.ttlMode));
  j["pin_budget_bytes"] = info.pinnedBudgetBytes;
  j["baseline"] = info.baseline;
  j["simulated"] = info.simulated;
  j["matmul_gflops"] = s.matmulGflops > 0 ? ordered_json(s.matmulGflops) : ordered_json(nullptr);
  j["token_hit_rate"] = orNull(!s.decode, s.tokenHitRate);  // decode uses no shared prefix cache
  j["speedup"] = orNull(measuredUncached, s.speedup);
  j["speedup_ci95"] = measuredUncached && s.speedupCi95[1] > 0
                          ? ordered_json::array({s.speedupCi95[0], s.speedupCi95[1]})
                          : ordered_json(nullptr);
  j["ideal_speedup"] = orNull(s.idealSpeedup > 0, s.idealSpeedup);
  j["measured_over_ideal"] =
      orNull(measuredUncached && s.idealSpeedup > 0, s.idealSpeedup > 0 ? s.speedup / s.idealSpeedup : 0.0);
  j["ttft_ms_cached_mean"] = orNull(measuredTtft, s.ttftMsCachedMean);
  j["ttft_ms_cached_median"] = orNull(measuredTtft, s.ttftMsCachedMedian);
  j["ttft_ms_cached_p90"] = orNull(measuredTtft, s.ttftMsCachedP90);
  const bool uncachedTimes = measuredTtft && s.ttftMsUncachedMean > 0;
  j["ttft_ms_uncached_mean"] = orNull(uncachedTimes, s.ttftMsUncachedMean);
  j["ttft_ms_uncached_median"] = orNull(uncachedTimes, s.ttftMsUncachedMedian);
  j["ttft_ms_uncached_p90"] = orNull(uncachedTimes, s.ttftMsUncachedP90);
  if (measuredTtft && s.ttftBreakdownMs.requests > 0) {
    const TtftBreakdown& parts = s.ttftBreakdownMs;
    j["ttft_breakdown_ms"] = ordered_json{{"requests", parts.requests},
                                          {"lookup", parts.lookupMs},
                                          {"assembly", parts.assemblyMs},
                                          {"compute", parts.computeMs}};
  } else {
    j["ttft_breakdown_ms"] = nullptr;
  }
  j["max_abs_logit_diff"] = orNull(!info.simulated && s.maxAbsLogitDiff >= 0, s.maxAbsLogitDiff);
  j["output_tokens"] = info.simulated ? ordered_json(nullptr) : ordered_json(s.outputTokens);
  j["tpot_ms_mean"] = orNull(!info.simulated && s.tpotMsMean > 0, s.tpotMsMean);
  if (s.decode) {
    const DecodeComparison& d = *s.decode;
    j["decode_speedup"] = orNull(d.speedup > 0, d.speedup);
    j["decode_ideal_speedup"] = orNull(d.idealSpeedup > 0, d.idealSpeedup);
    j["decode_max_abs_logit_diff"] = d.maxAbsLogitDiff;
    j["decode_tokens_identical"] = d.tokensIdentical;
    j["decode_tokens"] = d.tokens;
    j["decode_text"] = d.text;  // may end inside a UTF-8 character: dumped with replacement (U+FFFD)
    j["decode_total_ms_cached"] = d.totalMsCached;
    j["decode_total_ms_uncached"] = d.totalMsUncached;
    j["decode_step_ms_cached"] = d.stepMsCached;
    j["decode_step_ms_uncached"] = d.stepMsUncached;
  }
  j["evictions"] = s.evictions;
  j["expirations"] = s.expirations;
  ordered_json miss;
  for (int r = 0; r < kMissReasonCount; ++r)
    miss[std::string(toString(MissReason(r)))] = s.cache.counters.missTokens[std::size_t(r)];
  j["miss_breakdown"] = miss;
  j["peak_bytes"] = s.peakBytes;
  const bool onGpu = s.device.rfind("cuda", 0) == 0;
  j["device_reserved_bytes"] = onGpu ? ordered_json(s.deviceReservedBytes) : ordered_json(nullptr);
  j["device_peak_reserved_bytes"] = onGpu ? ordered_json(s.devicePeakReservedBytes) : ordered_json(nullptr);
  const bool moved = !info.simulated && info.storageDevice != s.device && !info.storageDevice.empty();
  j["transfer_ms_to_storage"] = orNull(moved, s.transferMsToStorage);
  j["transfer_ms_to_compute"] = orNull(moved, s.transferMsToCompute);
  j["pinned_host_storage"] = s.pinnedHostStorage;
  // Per tier; a run that filled none (trace simulation, decode) has the one device tier of its engine.
  // Simulated runs move no bytes between tiers: their device transfer time is the cost model's (0).
  j["tiers"] = tiersJson<ordered_json>(
      s.tiers.empty()
          ? std::vector<TierReport>{deviceTierReport(s.cache.counters, s.cache.entries, 0, info.simulated)}
          : s.tiers);
  if (!info.remote.empty()) {
    j["remote"] = info.remote;
    j["remote_write"] = info.remoteWriteBack ? "back" : "through";
  }
  if (info.hostMaxBytes > 0) {  // the host tier (live runs): capacity as max_bytes is written
    j["host_max_bytes"] = info.hostMaxBytes;
    j["host_policy"] = info.hostPolicy;
  }
  j["bytes_to_compute"] = s.cache.counters.bytesToCompute;
  j["bytes_to_storage"] = s.cache.counters.bytesToStorage;
  j["elapsed_s"] = s.elapsedS;
  j["cancelled"] = s.cancelled;
  if (!s.error.empty()) j["error"] = s.error;
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace kvlab
