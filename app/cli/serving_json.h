// SPDX-License-Identifier: MIT
#pragma once
// The serving figures `simulate` and `fleet --serving` both print, written once so the two JSON outputs keep
// the same names and units (every time is cost model).
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "core/serving/serving_types.h"

namespace kvlab {

// ttft_ms_p50/p90/p99, tpot_ms_p50/p90, latency_ms_mean, throughput_tokens_per_s.
void addServingLatencies(nlohmann::ordered_json& j, const ServingSummary& s);
// pool_blocks, pool_peak_blocks, mean_waiting, mean_in_system, sim_duration_s.
void addServingPoolFigures(nlohmann::ordered_json& j, const ServingSummary& s);
// The tiers under the pool, when there are any: tier_hit_tokens and a "tiers" object (tiersJson: host,
// remote; every transfer time cost model), added to j.
void addServingTiers(nlohmann::ordered_json& j, std::uint64_t tierHitTokens,
                     const std::vector<TierReport>& tiers);
// One table line per tier: the share of promptTokens it served, blocks hit/missed/held/evicted, bytes and
// transfer time (cost model), each line starting with indent.
// A tier's size in blocks for JSON: the count, or "unlimited".
nlohmann::ordered_json tierBlocksJson(std::uint64_t blocks);
void writeTierLines(std::ostream& out, const std::vector<TierReport>& tiers, std::uint64_t promptTokens,
                    const char* indent);

}  // namespace kvlab
