// SPDX-License-Identifier: MIT
#pragma once
// One storage tier's figures over a run, replay or simulation: what the JSON "tiers" object and the
// reports print. Plain values (no Qt, no LibTorch, no JSON library): callers pick their JSON type.
#include <cstdint>
#include <string>
#include <vector>

#include "core/cache/cache_types.h"
#include "core/tiers/tier_stats.h"

namespace kvlab {

struct TierReport {
  std::string name;                // "device", "host" or "remote" (the JSON key)
  std::uint64_t hitTokens = 0;     // prompt tokens served from this tier
  std::uint64_t hits = 0;          // blocks (units) served from this tier
  std::uint64_t misses = 0;        // blocks asked of this tier and not served (absent, failed, corrupt)
  std::uint64_t bytesIn = 0;       // payload bytes written into the tier (inserts, demotions, promotions)
  std::uint64_t bytesOut = 0;      // payload bytes read out of it (hits copied or moved up)
  std::uint64_t entries = 0;       // blocks held at the end
  std::string entriesSource;       // "" = counted exactly; live remote: "server" (its own count) or
                                   // "believed" (the lab's belief; the server could not be asked)
  std::uint64_t evictions = 0;     // blocks this tier dropped for room (a demotion counts here too)
  double transferMs = 0;           // time moving bytes in/out of this tier, see transferCostModel
  bool transferCostModel = false;  // true: transferMs comes from the bandwidth/latency cost model
  bool remote = false;             // the remote tier: errors/timeouts/corrupt are meaningful
  std::uint64_t errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t corrupt = 0;
  std::uint64_t unusedBytes = 0;  // remote, live runs: fetched but not used (past a block that failed)
};

// A report from a RemoteKvStore's counters (hits, misses, bytes, faults, measured transfer time).
inline TierReport tierReportFromStats(std::string name, const TierStats& s, bool remote) {
  TierReport r;
  r.name = std::move(name);
  r.hits = s.hits;
  r.misses = s.misses;
  r.bytesIn = s.bytesIn;
  r.bytesOut = s.bytesOut;
  r.transferMs = double(s.transferNs) / 1e6;
  r.remote = remote;
  r.errors = s.errors;
  r.timeouts = s.timeouts;
  r.corrupt = s.corrupt;
  return r;
}

// The top tier's report from the engine's counters: hit tokens and blocks (units) as counted by the
// lookups, misses = queried units not hit, bytes in/out = the copies between storage and compute device
// (0 when the cache lives on the compute device), evictions = capacity evictions (max-size changes too).
TierReport deviceTierReport(const CacheCounters& counters, std::uint64_t entries, double transferMs,
                            bool costModel);

// The JSON "tiers" object: keyed by tier name, each with hit_tokens, hits, misses, bytes_in, bytes_out,
// entries (+ entries_source when not an exact count), evictions, transfer_ms (+ transfer_source: "measured"
// or "cost model"), and for the remote tier errors, timeouts, corrupt, bytes_unused. Json is nlohmann::json
// or nlohmann::ordered_json (a template so core/tiers needs no JSON dependency in its headers).
template <typename Json>
Json tiersJson(const std::vector<TierReport>& tiers) {
  Json out = Json::object();
  for (const TierReport& t : tiers) {
    Json j;
    j["hit_tokens"] = t.hitTokens;
    j["hits"] = t.hits;
    j["misses"] = t.misses;
    j["bytes_in"] = t.bytesIn;
    j["bytes_out"] = t.bytesOut;
    j["entries"] = t.entries;
    j["evictions"] = t.evictions;
    j["transfer_ms"] = t.transferMs;
    j["transfer_source"] = t.transferCostModel ? "cost model" : "measured";
    if (!t.entriesSource.empty()) j["entries_source"] = t.entriesSource;
    if (t.remote) {
      j["errors"] = t.errors;
      j["timeouts"] = t.timeouts;
      j["corrupt"] = t.corrupt;
      j["bytes_unused"] = t.unusedBytes;
    }
    out[t.name] = std::move(j);
  }
  return out;
}

}  // namespace kvlab
