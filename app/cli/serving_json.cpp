// SPDX-License-Identifier: MIT
#include "serving_json.h"

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

}  // namespace kvlab
