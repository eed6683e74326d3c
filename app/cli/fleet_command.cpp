// SPDX-License-Identifier: MIT
#include "fleet_command.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/fleet/fleet_replayer.h"
#include "core/fleet/kv_block_index.h"
#include "core/fleet/router_registry.h"
#include "core/util/atomic_file.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "fleet_serving.h"
#include "output_format.h"
#include "progress_bar.h"
#include "replay_options.h"

namespace kvlab {

namespace {

using nlohmann::ordered_json;

struct FleetOptionText {
  ReplayOptionText cache;
  long long replicas = 2;  // signed, so --replicas=-2 is reported as -2
  std::string router = "kv-aware";
  RouterParams params;
  std::string eventLag = "5ms";  // kDefaultEventLagMs
  OutputFormatOption format;
  std::string out;
  FleetServingText serving;
};

// serving: the replay cache options are not resolved (the serving path has its own).
// trace: what the trace declares (its block size); nullptr for the serving path, which resolves its own.
FleetConfig toFleetConfig(const FleetOptionText& text, const std::string& router, const TraceInfo* trace) {
  FleetConfig config;
  if (trace) config.replica = toReplayConfig(text.cache, *trace);
  if (text.replicas < 1 || text.replicas > (long long)KvBlockIndex::kMaxReplicas)
    throw InputError("", 0, "replicas",
                     "must be in [1, " + std::to_string(KvBlockIndex::kMaxReplicas) + "], got " +
                         std::to_string(text.replicas));
  config.replicas = std::size_t(text.replicas);
  if (!findRouter(router)) {
    std::string names;
    for (const std::string& n : routerNames()) names += (names.empty() ? "" : ", ") + n;
    throw InputError("", 0, "router",
                     "unknown router " + quoteForError(router) + " (choose from: " + names + ", or all)");
  }
  config.router = router;
  if (text.params.affinityBlocks < 1) throw InputError("", 0, "affinity-blocks", "must be at least 1");
  if (text.params.virtualNodes < 1) throw InputError("", 0, "virtual-nodes", "must be at least 1");
  if (!std::isfinite(text.params.loadWeight) || text.params.loadWeight < 0)
    throw InputError("", 0, "load-weight", "must be a finite number >= 0");
  if (!std::isfinite(text.params.overlapWeight) || text.params.overlapWeight < 0)
    throw InputError("", 0, "overlap-weight", "must be a finite number >= 0");
  config.routerParams = text.params;
  config.eventLagMs = double(parseDurationMs(text.eventLag, "event-lag"));
  return config;
}

ordered_json fleetJson(const FleetResult& r, const FleetConfig& c) {
  const ReplayResult& f = r.fleet;
  ordered_json j;
  j["router"] = r.router;
  j["replica_count"] = r.replicaCount;
  j["shared_cache"] = r.sharedCache;
  j["requests"] = f.requests;
  j["prompt_tokens"] = f.promptTokens;
  j["hit_tokens"] = f.hitTokens;
  j["token_hit_rate"] = f.tokenHitRate();
  j["blocks"] = f.blocks;
  j["hit_blocks"] = f.hitBlocks;
  j["block_hit_rate"] = f.blockHitRate();
  j["load_imbalance"] = r.loadImbalance();
  j["evictions"] = f.evictions;
  j["expirations"] = f.expirations;
  ordered_json miss;
  for (int m = 0; m < kMissReasonCount; ++m)
    miss[std::string(toString(MissReason(m)))] = f.missTokens[std::size_t(m)];
  j["miss_breakdown"] = miss;
  j["peak_blocks"] = f.peakBlocks;
  j["capacity_blocks"] = f.capacityBlocks;
  j["skipped_lines"] = f.skippedLines;
  j["trace_format"] = f.traceFormat;
  j["elapsed_s"] = f.elapsedS;
  j["config"] = ordered_json{{"block_size", c.replica.blockSize},
                             {"policy", c.replica.policy},
                             {"max_tokens_per_replica", c.replica.maxTokens},
                             {"ttl_ms", c.replica.ttlMs},
                             {"seed", c.routerParams.seed},
                             {"affinity_blocks", c.routerParams.affinityBlocks},
                             {"virtual_nodes", c.routerParams.virtualNodes},
                             {"load_weight", c.routerParams.loadWeight},
                             {"overlap_weight", c.routerParams.overlapWeight},
                             {"event_lag_ms", c.eventLagMs}};
  j["replicas"] = ordered_json::array();
  ReplayConfig cacheConfig = c.replica;
  if (r.sharedCache) cacheConfig.maxTokens = f.capacityBlocks * c.replica.blockSize;
  for (std::size_t i = 0; i < r.replicas.size(); ++i) {
    const ReplayResult& rep = r.replicas[i];
    ordered_json one = replayResultJson(rep, cacheConfig);
    // Whole-run figures, reported once at the top level.
    for (const char* key : {"skipped_lines", "elapsed_s", "loop_s", "blocks_per_s"}) one.erase(key);
    ordered_json tagged;
    tagged["replica"] = i;
    tagged["token_share"] = f.promptTokens ? double(rep.promptTokens) / double(f.promptTokens) : 0.0;
    tagged.update(one);
    j["replicas"].push_back(std::move(tagged));
  }
  return j;
}

constexpr const char* kCsvHeader =
    "router,replica,requests,prompt_tokens,hit_tokens,token_hit_rate,block_hit_rate,evictions,expirations,"
    "peak_blocks,capacity_blocks,token_share,load_imbalance\n";

void csvRow(std::ostream& out, const std::string& router, const std::string& replica, const ReplayResult& r,
            double share, const std::string& imbalance) {
  char line[512];
  std::snprintf(line, sizeof line, "%s,%s,%llu,%llu,%llu,%.6f,%.6f,%llu,%llu,%llu,%llu,%.6f,%s\n",
                router.c_str(), replica.c_str(), (unsigned long long)r.requests,
                (unsigned long long)r.promptTokens, (unsigned long long)r.hitTokens, r.tokenHitRate(),
                r.blockHitRate(), (unsigned long long)r.evictions, (unsigned long long)r.expirations,
                (unsigned long long)r.peakBlocks, (unsigned long long)r.capacityBlocks, share,
                imbalance.c_str());
  out << line;
}

void writeCsv(std::ostream& out, const std::vector<FleetResult>& results) {
  out << kCsvHeader;
  for (const FleetResult& r : results) {
    const double total = double(r.fleet.promptTokens);
    for (std::size_t i = 0; i < r.replicas.size(); ++i)
      csvRow(out, r.router, std::to_string(i), r.replicas[i],
             total > 0 ? double(r.replicas[i].promptTokens) / total : 0.0, "");
    char imbalance[32];
    std::snprintf(imbalance, sizeof imbalance, "%.6f", r.loadImbalance());
    csvRow(out, r.router, "fleet", r.fleet, 1.0, imbalance);
  }
}

void writeTable(std::ostream& out, const std::vector<FleetResult>& results, const FleetConfig& c) {
  char line[512];
  std::snprintf(line, sizeof line, "fleet: %zu replicas x %llu blocks of %u tokens (%s, ttl %s)\n",
                c.replicas, (unsigned long long)c.replica.capacityBlocks(), c.replica.blockSize,
                c.replica.policy.c_str(),
                c.replica.ttlMs > 0 ? formatDurationMs(c.replica.ttlMs).c_str() : "off");
  out << line;
  if (!results.empty()) {
    std::snprintf(line, sizeof line, "trace format %s, %llu lines skipped\n", results.front().fleet.traceFormat.c_str(),
                  (unsigned long long)results.front().fleet.skippedLines);
    out << line;
  }
  if (results.size() == 1) {
    const FleetResult& r = results.front();
    std::snprintf(line, sizeof line,
                  "router %s: token hit rate %.3f %% (%llu of %llu tokens), load imbalance %.3f\n",
                  r.router.c_str(), 100 * r.tokenHitRate(), (unsigned long long)r.fleet.hitTokens,
                  (unsigned long long)r.fleet.promptTokens, r.loadImbalance());
    out << line;
    std::snprintf(line, sizeof line, "%8s %10s %14s %9s %10s %10s %8s\n", "replica", "requests",
                  "prompt tokens", "share", "hit rate", "evictions", "peak");
    out << line;
    for (std::size_t i = 0; i < r.replicas.size(); ++i) {
      const ReplayResult& rep = r.replicas[i];
      std::snprintf(
          line, sizeof line, "%8zu %10llu %14llu %8.1f%% %9.3f%% %10llu %8llu\n", i,
          (unsigned long long)rep.requests, (unsigned long long)rep.promptTokens,
          r.fleet.promptTokens ? 100.0 * double(rep.promptTokens) / double(r.fleet.promptTokens) : 0.0,
          100 * rep.tokenHitRate(), (unsigned long long)rep.evictions, (unsigned long long)rep.peakBlocks);
      out << line;
    }
    if (r.sharedCache)
      out << "(oracle-shared: one cache of N x capacity, the bound a perfect shared tier gives)\n";
    return;
  }
  std::snprintf(line, sizeof line, "%-14s %15s %15s %12s %12s\n", "router", "token hit rate",
                "load imbalance", "evictions", "time (s)");
  out << line;
  for (const FleetResult& r : results) {
    std::snprintf(line, sizeof line, "%-14s %14.3f%% %15.3f %12llu %12.2f\n", r.router.c_str(),
                  100 * r.tokenHitRate(), r.loadImbalance(), (unsigned long long)r.fleet.evictions,
                  r.fleet.elapsedS);
    out << line;
  }
}

}  // namespace

CommandAction addFleetCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("fleet",
                                 "Replay a trace over N replicas behind a router (round-robin, random, "
                                 "least-loaded, prefix-hash, session-affinity, kv-aware, kv-score, oracle-shared) and compare fleet hit rate "
                                 "and load balance");
  auto text = std::make_shared<FleetOptionText>();
  addReplayOptions(*cmd, text->cache, /*sizeLists=*/false);
  cmd->add_option("--replicas", text->replicas, "number of replicas, each a full cache of --max-tokens")
      ->capture_default_str();
  cmd->add_option("--router", text->router,
                  "router name (see `kvlab-cli list`), or all to compare every router")
      ->capture_default_str();
  cmd->add_option("--seed", text->params.seed, "random: seed")->capture_default_str();
  cmd->add_option("--affinity-blocks", text->params.affinityBlocks,
                  "prefix-hash: leading blocks hashed into the affinity key")
      ->capture_default_str();
  cmd->add_option("--virtual-nodes", text->params.virtualNodes, "prefix-hash: hash-ring points per replica")
      ->capture_default_str();
  cmd->add_option("--load-weight", text->params.loadWeight,
                  "kv-score: blocks of cached prefix one unit of load (one request so far) is worth")
      ->capture_default_str();
  cmd->add_option("--overlap-weight", text->params.overlapWeight,
                  "kv-aware: Dynamo's overlap_score_weight, the weight of prefill blocks against active "
                  "blocks")
      ->capture_default_str();
  cmd->add_option("--event-lag", text->eventLag,
                  "how late the router's KV index hears of stored/removed blocks (e.g. 0, 5ms, 1s; trace "
                  "time, or simulated time with --serving)")
      ->capture_default_str();
  text->format.addTo(*cmd, "one header row, then one row per replica and a 'fleet' row per router");
  cmd->add_option("--out", text->out, "write the output to this file instead of stdout");
  addFleetServingOptions(*cmd, text->serving);
  addTierOptions(*cmd, text->cache);
  cmd->footer(
      "--max-tokens / --max-size is the capacity of EACH replica; oracle-shared is one cache of N times it.\n"
      "--serving: each replica a serving engine (`simulate`'s options, --pool-blocks/--pool-size per "
      "replica);\n"
      "oracle-shared is left out (a cache bound, not a fleet of engines). Times are cost model.\n"
      "Tiers (--serving), as Mooncake builds them: --host-tokens/--host-size gives EACH replica its own host\n"
      "(DRAM) tier; --remote-tokens/--remote-size is ONE remote tier all replicas share (a global pool).\n"
      "Examples:\n  kvlab-cli fleet conversation_trace.jsonl --replicas 4 --max-tokens 500000 --router all\n"
      "  kvlab-cli fleet conversation_trace.jsonl --replicas 4 --serving --pool-blocks 2000 --router all\n"
      "  kvlab-cli fleet conversation_trace.jsonl --replicas 4 --serving --pool-blocks 2000 --host-tokens 3000000 "
      "--remote-tokens 12000000");
  return [cmd, text]() -> int {
    if (!cmd->parsed()) return -1;
    if (const std::string_view now = renamedRouter(text->router); !now.empty()) {
      std::fprintf(stderr,
                   "note: router '%s' is now called '%.*s' (it hashes leading blocks; it never read a session "
                   "id); for sticky sessions use session-affinity\n",
                   text->router.c_str(), int(now.size()), now.data());
      text->router = std::string(now);
    }
    std::vector<std::string> routers;
    if (text->router == "all")
      routers = routerNames();
    else
      routers.push_back(text->router);
    checkFleetServingFlags(*cmd, text->serving);
    if (text->cache.granularity != "block")
      throw InputError("", 0, "granularity", "fleet replicas replay block granularity (vLLM's pool) only");
    if (text->router == "all" && !formatCarriesSessions(probeTrace(text->cache).format))
      std::erase_if(routers, [](const std::string& n) { return findRouter(n)->needsSessions; });
    if (text->serving.serving) {
      if (text->router == "all")
        std::erase_if(routers, [](const std::string& n) { return findRouter(n)->sharedCache; });
      FleetServingRun run;
      run.cache = &text->cache;
      run.replicas = text->replicas;
      run.params = text->params;
      run.eventLagMs = toFleetConfig(*text, routers.empty() ? "round-robin" : routers.front(), nullptr).eventLagMs;
      run.format = text->format.name();
      run.out = text->out;
      for (const std::string& name : routers) {
        const FleetConfig checked = toFleetConfig(*text, name, /*trace=*/nullptr);  // router and its flags
        if (findRouter(name)->sharedCache)
          throw InputError("", 0, "router",
                           name +
                               " is a shared-cache bound, not a fleet of serving engines: not available "
                               "with --serving");
        run.routers.push_back(checked.router);
      }
      return runFleetServing(run, text->serving);
    }
    // The flags first (against a trace that declares nothing), then the trace's own block size.
    const TraceInfo undeclared;
    for (const std::string& name : routers) (void)toFleetConfig(*text, name, &undeclared);
    const TraceInfo traceInfo = probeTrace(text->cache);
    std::vector<FleetConfig> configs;
    for (const std::string& name : routers) {
      configs.push_back(toFleetConfig(*text, name, &traceInfo));
      configs.back().replica = configForTrace(traceInfo, configs.back().replica);
    }
    std::vector<FleetResult> results;
    for (std::size_t i = 0; i < configs.size(); ++i) {
      ProgressBar bar("fleet " + routers[i]);
      results.push_back(replayFleetFile(text->cache.trace, configs[i], [&bar](const ReplayProgress& p) {
        bar.update(p.fileSize ? double(p.bytesRead) / double(p.fileSize) : 0.0,
                   std::to_string(p.requests) + " requests");
      }));
    }
    std::ostringstream out;
    if (text->format.json()) {
      if (results.size() == 1) {
        out << fleetJson(results.front(), configs.front()).dump(2) << '\n';
      } else {
        ordered_json j;
        j["trace"] = text->cache.trace;
        j["replica_count"] = text->replicas;
        j["results"] = ordered_json::array();
        for (std::size_t i = 0; i < results.size(); ++i)
          j["results"].push_back(fleetJson(results[i], configs[i]));
        out << j.dump(2) << '\n';
      }
    } else if (text->format.csv()) {
      writeCsv(out, results);
    } else {
      writeTable(out, results, configs.front());
    }
    if (text->out.empty())
      std::cout << out.str();
    else
      writeFileAtomically(text->out, out.str());
    for (const std::string& reason : results.front().fleet.skipReasons)
      std::fprintf(stderr, "skipped: %s\n", reason.c_str());
    return 0;
  };
}

}  // namespace kvlab
