// SPDX-License-Identifier: MIT
#include "fleet_serving.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/arch/kv_cache_layout.h"
#include "core/fleet/kv_block_index.h"
#include "core/fleet/router_registry.h"
#include "core/fleet/serving_fleet.h"
#include "core/policies/policy_registry.h"
#include "core/serving/kv_block_pool.h"
#include "core/trace/trace.h"
#include "core/trace/uniform_blocks.h"
#include "core/util/atomic_file.h"
#include "core/util/csv_writer.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "model_options.h"
#include "serving_json.h"
#include "serving_options.h"

namespace kvlab {

namespace {

using nlohmann::ordered_json;

ServingConfig toServingConfig(const FleetServingText& text, const ReplayOptionText& cache,
                              std::uint32_t blockSize) {
  ServingConfig c;
  c.model = resolveModel(cache.model, cache.kvDtype);
  c.tensorParallel = parseTp(text.tp);
  if (!findPolicy(cache.policy))
    throw InputError("", 0, "policy", unknownPolicyMessage(cache.policy, /*forReplay=*/false));
  c.policy = cache.policy;
  c.blockSize = blockSize;
  c.maxBatchedTokens = std::uint32_t(parseCount(text.maxBatchedTokens, "max-batched-tokens", 1, 1u << 24));
  c.maxRunning = std::uint32_t(parseCount(text.maxRunning, "max-running", 1, 1u << 20));
  const std::vector<double> speeds = parseSpeeds(text.speed);
  if (speeds.size() != 1)
    throw InputError("", 0, "speed", "fleet --serving takes one speed, got " + quoteForError(text.speed));
  c.speed = speeds.front();
  c.prefixCache = !text.noPrefixCache;
  c.hardware =
      hardwareOrThrow(text.hardware.empty() ? std::string(defaultHardwareProfileName()) : text.hardware);
  checkTensorParallel(c);
  c.poolBlocks = resolvePoolBlocks(text.poolBlocks, text.poolSize, c);
  applyTierOptions(c, cache);
  return c;
}

// One replica: simulate's summary fields (same names as `simulate --format json` runs[]), plus the fleet's.
ordered_json replicaJson(const ServingFleetResult& f, std::size_t i) {
  const ServingSummary& s = f.replicas[i].summary;
  ordered_json j;
  j["replica"] = i;
  j["requests"] = s.requests;
  j["routed_prompt_tokens"] = f.routedPromptTokens[i];
  std::uint64_t total = 0;
  for (const std::uint64_t t : f.routedPromptTokens) total += t;
  j["token_share"] = total ? double(f.routedPromptTokens[i]) / double(total) : 0.0;
  j["completed"] = s.completed;
  j["rejected"] = s.rejected;
  j["prompt_tokens"] = s.promptTokens;  // of completed requests, as simulate
  j["hit_tokens"] = s.hitTokens;
  j["token_hit_rate"] = s.tokenHitRate;
  j["evictions"] = s.evictions;
  addServingLatencies(j, s);
  j["preemptions"] = s.preemptions;
  addServingPoolFigures(j, s);
  j["steps"] = s.steps;
  j["recomputed_tokens"] = s.recomputedTokens;
  j["recompute_hit_tokens"] = s.recomputeHitTokens;
  addServingTiers(j, s.tierHitTokens, f.replicas[i].tiers);
  return j;
}

ordered_json fleetJson(const ServingFleetResult& f, const ServingFleetConfig& c) {
  ordered_json j;
  j["router"] = f.router;
  j["replica_count"] = f.replicas.size();
  j["serving"] = true;
  j["figures"] = costModelLabel(c.replica) + "; times are simulated, not measured";
  j["requests"] = f.requests;
  j["completed"] = f.completed;
  j["rejected"] = f.rejected;
  j["prompt_tokens"] = f.promptTokens;
  j["hit_tokens"] = f.hitTokens;
  j["token_hit_rate"] = f.tokenHitRate();
  j["load_imbalance"] = f.loadImbalance();
  j["ttft_ms_p50"] = f.ttftMsP50;
  j["ttft_ms_p90"] = f.ttftMsP90;
  j["ttft_ms_p99"] = f.ttftMsP99;
  j["tpot_ms_p50"] = f.tpotMsP50;
  j["preemptions"] = f.preemptions;
  j["evictions"] = f.evictions;
  j["sim_duration_s"] = f.simDurationS;
  j["wall_s"] = f.wallS;  // measured: simulation time on this machine
  // host: every replica's own, summed; remote: the one shared tier (entries, evictions counted once).
  addServingTiers(j, f.tierHitTokens, f.tiers);
  j["config"] = ordered_json{{"model", c.replica.model.name},
                             {"kv_dtype", std::string(toString(effectiveKvDtype(c.replica.model)))},
                             {"tp", c.replica.tensorParallel},
                             {"hardware", c.replica.hardware.name},
                             {"block_size", c.replica.blockSize},
                             {"pool_blocks_per_replica", c.replica.poolBlocks},
                             {"host_blocks_per_replica", tierBlocksJson(c.replica.hostBlocks)},
                             {"remote_blocks_shared", tierBlocksJson(c.replica.remoteBlocks)},
                             {"remote_write", c.replica.remoteWriteThrough ? "through" : "back"},
                             {"policy", c.replica.policy},
                             {"prefix_cache", c.replica.prefixCache},
                             {"max_batched_tokens", c.replica.maxBatchedTokens},
                             {"max_running", c.replica.maxRunning},
                             {"speed", c.replica.speed},
                             {"seed", c.routerParams.seed},
                             {"affinity_blocks", c.routerParams.affinityBlocks},
                             {"virtual_nodes", c.routerParams.virtualNodes},
                             {"load_weight", c.routerParams.loadWeight},
                             {"overlap_weight", c.routerParams.overlapWeight},
                             {"event_lag_ms", c.eventLagMs}};
  j["replicas"] = ordered_json::array();
  for (std::size_t i = 0; i < f.replicas.size(); ++i) j["replicas"].push_back(replicaJson(f, i));
  return j;
}

// host_hit_tokens, remote_hit_tokens, host_transfer_ms, remote_transfer_ms: empty for a tier not configured.
void tierFields(CsvWriter& csv, const std::vector<TierReport>& tiers) {
  const auto find = [&](const char* name) -> const TierReport* {
    for (const TierReport& t : tiers)
      if (t.name == name) return &t;
    return nullptr;
  };
  const TierReport* host = find("host");
  const TierReport* remote = find("remote");
  for (const TierReport* t : {host, remote}) t ? (void)csv.field(t->hitTokens) : (void)csv.empty();
  for (const TierReport* t : {host, remote}) t ? (void)csv.field(t->transferMs) : (void)csv.empty();
}

void writeCsv(std::ostream& out, const std::vector<ServingFleetResult>& results, const ServingConfig& c) {
  out << "# " << costModelLabel(c) << "; times are simulated, not measured\n";
  CsvWriter csv(out);
  csv.row({"router",
           "replica",
           "requests",
           "completed",
           "rejected",
           "prompt_tokens",
           "hit_tokens",
           "token_hit_rate",
           "evictions",
           "token_share",
           "load_imbalance",
           "ttft_ms_p50",
           "ttft_ms_p90",
           "ttft_ms_p99",
           "tpot_ms_p50",
           "mean_waiting",
           "preemptions",
           "host_hit_tokens",
           "remote_hit_tokens",
           "host_transfer_ms",
           "remote_transfer_ms"});
  for (const ServingFleetResult& f : results) {
    std::uint64_t total = 0;
    for (const std::uint64_t t : f.routedPromptTokens) total += t;
    for (std::size_t i = 0; i < f.replicas.size(); ++i) {
      const ServingSummary& s = f.replicas[i].summary;
      csv.field(f.router).field(std::uint64_t(i)).field(s.requests).field(s.completed).field(s.rejected);
      csv.field(s.promptTokens).field(s.hitTokens).field(s.tokenHitRate).field(s.evictions);
      csv.field(total ? double(f.routedPromptTokens[i]) / double(total) : 0.0).empty();
      csv.field(s.ttftMsP50).field(s.ttftMsP90).field(s.ttftMsP99).field(s.tpotMsP50).field(s.meanWaiting);
      csv.field(s.preemptions);
      tierFields(csv, f.replicas[i].tiers);
      csv.endRow();
    }
    csv.field(f.router).field("fleet").field(f.requests).field(f.completed).field(f.rejected);
    csv.field(f.promptTokens).field(f.hitTokens).field(f.tokenHitRate()).field(f.evictions).field(1.0);
    csv.field(f.loadImbalance()).field(f.ttftMsP50).field(f.ttftMsP90).field(f.ttftMsP99).field(f.tpotMsP50);
    csv.empty().field(f.preemptions);
    tierFields(csv, f.tiers);
    csv.endRow();
  }
}

void writeTable(std::ostream& out, const std::vector<ServingFleetResult>& results, const ServingConfig& c,
                std::size_t replicas) {
  char line[512];
  std::snprintf(
      line, sizeof line,
      "fleet --serving: %zu replicas, each a pool of %u blocks x %u tokens (%s, %s), max batched %u, "
      "max running %u, prefix cache %s, speed %g\n",
      replicas, c.poolBlocks, c.blockSize,
      formatBytes(std::uint64_t(c.poolBlocks) * c.blockSize *
                  KvCacheLayout(c.model, int(c.tensorParallel)).cacheBytesPerToken())
          .c_str(),
      c.policy.c_str(), c.maxBatchedTokens, c.maxRunning, c.prefixCache ? "on" : "off", c.speed);
  out << line << costModelLabel(c) << "; TTFT, TPOT and queue are simulated, not measured\n";
  if (results.size() == 1) {
    const ServingFleetResult& f = results.front();
    std::snprintf(line, sizeof line,
                  "router %s: fleet TTFT p50 %.1f ms, p99 %.1f ms (cost model); token hit rate %.3f %%; load "
                  "imbalance %.3f; %llu completed, %llu rejected\n",
                  f.router.c_str(), f.ttftMsP50, f.ttftMsP99, 100 * f.tokenHitRate(), f.loadImbalance(),
                  (unsigned long long)f.completed, (unsigned long long)f.rejected);
    out << line;
    std::snprintf(line, sizeof line, "%7s %8s %13s %7s %8s %9s %9s %9s %9s %8s %7s %6s %4s %6s\n", "replica",
                  "requests", "prompt tokens", "share", "hit rate", "evictions", "TTFT p50", "p90", "p99",
                  "TPOT p50", "queue", "done", "rej", "preem");
    out << line;
    std::uint64_t total = 0;
    for (const std::uint64_t t : f.routedPromptTokens) total += t;
    for (std::size_t i = 0; i < f.replicas.size(); ++i) {
      const ServingSummary& s = f.replicas[i].summary;
      std::snprintf(
          line, sizeof line,
          "%7zu %8llu %13llu %6.1f%% %7.3f%% %9llu %7.1fms %7.1fms %7.1fms %6.2fms %7.2f %6llu %4llu "
          "%6llu\n",
          i, (unsigned long long)s.requests, (unsigned long long)f.routedPromptTokens[i],
          total ? 100.0 * double(f.routedPromptTokens[i]) / double(total) : 0.0, 100 * s.tokenHitRate,
          (unsigned long long)s.evictions, s.ttftMsP50, s.ttftMsP90, s.ttftMsP99, s.tpotMsP50, s.meanWaiting,
          (unsigned long long)s.completed, (unsigned long long)s.rejected, (unsigned long long)s.preemptions);
      out << line;
    }
    out << "(queue = mean waiting requests over the replica's run; hit rate over completed requests)\n";
    if (!f.tiers.empty()) {
      out << "tiers (host: every replica's own, summed; remote: one shared by all replicas; % of the fleet's "
             "prompt tokens):\n";
      writeTierLines(out, f.tiers, f.promptTokens, "  ");
    }
    return;
  }
  std::snprintf(line, sizeof line, "%-14s %9s %10s %10s %10s %9s %9s %6s %7s %8s\n", "router", "hit rate",
                "imbalance", "TTFT p50", "TTFT p99", "TPOT p50", "done", "rej", "preem", "wall");
  out << line;
  for (const ServingFleetResult& f : results) {
    std::snprintf(line, sizeof line,
                  "%-14s %8.3f%% %10.3f %8.1fms %8.1fms %7.2fms %9llu %6llu %7llu %7.2fs\n", f.router.c_str(),
                  100 * f.tokenHitRate(), f.loadImbalance(), f.ttftMsP50, f.ttftMsP99, f.tpotMsP50,
                  (unsigned long long)f.completed, (unsigned long long)f.rejected,
                  (unsigned long long)f.preemptions, f.wallS);
    out << line;
  }
  out << "(wall = measured simulation time here; everything else is cost model)\n";
  for (const ServingFleetResult& f : results) {
    if (f.tiers.empty()) continue;
    out << f.router << " tiers:\n";
    writeTierLines(out, f.tiers, f.promptTokens, "  ");
  }
}

}  // namespace

void addFleetServingOptions(CLI::App& command, FleetServingText& text) {
  command.add_flag("--serving", text.serving,
                   "each replica a full serving engine (queue, batching, KV pool, cost model) as `simulate`: "
                   "adds TTFT/TPOT/queue; least-loaded and kv-aware then read waiting + running");
  auto* blocks =
      command.add_option("--pool-blocks", text.poolBlocks, "--serving: KV pool of EACH replica, blocks");
  auto* size =
      command.add_option("--pool-size", text.poolSize,
                         "--serving: KV pool of EACH replica in bytes with a unit, per device (default: 90% "
                         "of the hardware's memory minus the weights and the running sequences' windows and "
                         "states)");
  blocks->excludes(size);
  command.add_option("--hardware", text.hardware, "--serving: hardware profile: " + hardwareProfileList());
  command
      .add_option("--tp", text.tp,
                  "--serving: devices per replica (tensor parallelism): weights, K/V and FLOPs split, an "
                  "all-reduce per layer over the interconnect (cost model)")
      ->capture_default_str();
  command.add_option("--max-batched-tokens", text.maxBatchedTokens, "--serving: token budget per step")
      ->capture_default_str();
  command
      .add_option("--max-running", text.maxRunning, "--serving: most sequences running at once per replica")
      ->capture_default_str();
  command.add_option("--speed", text.speed, "--serving: arrival-time divisor (2 = twice the load)")
      ->capture_default_str();
  command.add_flag("--no-prefix-cache", text.noPrefixCache, "--serving: never reuse cached blocks");
}

void checkFleetServingFlags(const CLI::App& command, const FleetServingText& text) {
  if (text.serving) {
    for (const char* replayOnly : {"max-tokens", "max-size"})
      if (command.count(std::string("--") + replayOnly) > 0)
        throw InputError(
            "", 0, replayOnly,
            "is replay's cache capacity; with --serving size each replica's pool with --pool-blocks "
            "or --pool-size");
    if (command.count("--ttl") > 0)
      throw InputError("", 0, "ttl", "is not modelled by --serving (the pool has no TTL)");
    return;
  }
  for (const char* servingOnly :
       {"pool-blocks", "pool-size", "hardware", "tp", "max-batched-tokens", "max-running", "speed",
        "no-prefix-cache", "host-tokens", "host-size", "host-policy", "remote-tokens", "remote-size",
        "remote-policy", "remote-write", "pcie-gbps", "pcie-latency-ms", "net-gbps", "net-latency-ms"})
    if (command.count(std::string("--") + servingOnly) > 0)
      throw InputError("", 0, servingOnly, "applies to serving replicas only: add --serving");
}

int runFleetServing(const FleetServingRun& run, const FleetServingText& text) {
  const ReplayOptionText& cache = *run.cache;
  ServingFleetConfig config;
  const std::uint32_t requestedBlockSize = blockSizeFlag(cache.blockSize);
  const Trace trace = loadTrace(cache.trace, traceOpenOptions(cache));
  std::uint32_t blockSize = 0;
  const std::vector<TraceRequest> requests = servingRequests(trace, requestedBlockSize, &blockSize);
  config.replica = toServingConfig(text, cache, blockSize);
  config.replicas = std::size_t(run.replicas);
  config.routerParams = run.params;
  config.eventLagMs = run.eventLagMs;

  std::vector<ServingFleetResult> results;
  for (const std::string& router : run.routers) {
    config.router = router;
    try {
      results.push_back(simulateFleet(requests, config));
    } catch (const std::invalid_argument& e) {  // a router that cannot run on this trace (session-affinity)
      throw InputError(cache.trace, 0, "router", e.what());
    }
  }
  std::ostringstream out;
  if (run.format == "json") {
    if (results.size() == 1) {
      ordered_json j = fleetJson(results.front(), config);
      j["trace_format"] = trace.info.format;
      j["skipped_lines"] = trace.skippedLines;
      j["prefix_information"] = trace.info.hasBlockIds;
      out << j.dump(2) << '\n';
    } else {
      ordered_json j;
      j["trace"] = cache.trace;
      j["trace_format"] = trace.info.format;
      j["skipped_lines"] = trace.skippedLines;
      j["prefix_information"] = trace.info.hasBlockIds;
      j["replica_count"] = run.replicas;
      j["serving"] = true;
      j["figures"] = costModelLabel(config.replica) + "; times are simulated, not measured";
      j["results"] = ordered_json::array();
      for (std::size_t i = 0; i < results.size(); ++i) {
        config.router = run.routers[i];
        j["results"].push_back(fleetJson(results[i], config));
      }
      out << j.dump(2) << '\n';
    }
  } else if (run.format == "csv") {
    writeCsv(out, results, config.replica);
  } else {
    writeTable(out, results, config.replica, config.replicas);
    out << "trace format " << trace.info.format << ", " << trace.skippedLines << " lines skipped"
        << (trace.info.hasBlockIds ? "" : "; lengths only: no prefix reuse (every router's hit rate is 0)")
        << '\n';
  }
  if (run.out.empty())
    std::cout << out.str();
  else
    writeFileAtomically(run.out, out.str());
  for (const ServingFleetResult& f : results)
    if (f.rejected)
      std::fprintf(stderr, "router %s: %llu requests rejected (larger than a replica's whole pool)\n",
                   f.router.c_str(), (unsigned long long)f.rejected);
  return 0;
}

}  // namespace kvlab
