// SPDX-License-Identifier: MIT
#include "serving_json.h"

#include <cstdio>

#include "core/util/units.h"

namespace kvlab {

void addServingLatencies(nlohmann::ordered_json& j, const ServingSummary& s) {
  j["ttft_ms_p50"] = s.ttftMsP50;
  j["ttft_ms_p90"] = s.ttftMsP90;
  j["ttft_ms_p99"] = s.ttftMsP99;
  j["tpot_ms_p50"] = s.tpotMsP50;
  j["tpot_ms_p90"] = s.tpotMsP90;
  j["latency_ms_mean"] = s.latencyMsMean;
  j["throughput_tokens_per_s"] = s.throughputTokensPerS;
}

void addServingPoolFigures(nlohmann::ordered_json& j, const ServingSummary& s) {
  j["pool_blocks"] = s.poolBlocks;
  j["pool_peak_blocks"] = s.poolPeakBlocks;
  j["mean_waiting"] = s.meanWaiting;
  j["mean_in_system"] = s.meanInSystem;
  j["sim_duration_s"] = s.simDurationS;
}

void addServingTiers(nlohmann::ordered_json& j, std::uint64_t tierHitTokens,
                     const std::vector<TierReport>& tiers) {
  if (tiers.empty()) return;
  j["tier_hit_tokens"] = tierHitTokens;
  j["tiers"] = tiersJson<nlohmann::ordered_json>(tiers);
}

nlohmann::ordered_json tierBlocksJson(std::uint64_t blocks) {
  return blocks == kUnlimited ? nlohmann::ordered_json("unlimited") : nlohmann::ordered_json(blocks);
}

void writeTierLines(std::ostream& out, const std::vector<TierReport>& tiers, std::uint64_t promptTokens,
                    const char* indent) {
  char line[512];
  for (const TierReport& t : tiers) {
    std::snprintf(
        line, sizeof line,
        "%stier %-6s %7.3f %% of tokens (%llu blocks hit, %llu missed, %llu held, %llu evicted, %s in, "
        "%s out, %.1f ms transfer, cost model)\n",
        indent, t.name.c_str(), promptTokens ? 100.0 * double(t.hitTokens) / double(promptTokens) : 0.0,
        (unsigned long long)t.hits, (unsigned long long)t.misses, (unsigned long long)t.entries,
        (unsigned long long)t.evictions, formatBytes(t.bytesIn).c_str(), formatBytes(t.bytesOut).c_str(),
        t.transferMs);
    out << line;
  }
}

}  // namespace kvlab
