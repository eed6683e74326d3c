// SPDX-License-Identifier: MIT
#include "replay_commands.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "compute_bridge.h"
#include "core/model/model_config.h"
#include "core/policies/policy_registry.h"
#include "core/replay/event_csv_writer.h"
#include "core/replay/miss_ratio_curve.h"
#include "core/serving/hardware_profile.h"
#include "core/util/atomic_file.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "progress_bar.h"
#include "replay_options.h"

namespace kvlab {

namespace {

using nlohmann::ordered_json;

ordered_json missJson(const std::array<std::uint64_t, kMissReasonCount>& values) {
  ordered_json j;
  for (int r = 0; r < kMissReasonCount; ++r) j[std::string(toString(MissReason(r)))] = values[std::size_t(r)];
  return j;
}

ordered_json resultJson(const ReplayResult& r, const ReplayConfig& c) {
  ordered_json j;
  j["requests"] = r.requests;
  j["prompt_tokens"] = r.promptTokens;
  j["hit_tokens"] = r.hitTokens;
  j["token_hit_rate"] = r.tokenHitRate();
  j["blocks"] = r.blocks;
  j["hit_blocks"] = r.hitBlocks;
  j["block_hit_rate"] = r.blockHitRate();
  j["evictions"] = r.evictions;
  j["expirations"] = r.expirations;
  j["miss_breakdown"] = missJson(r.missTokens);
  j["miss_breakdown_blocks"] = missJson(r.missBlocks);
  j["peak_blocks"] = r.peakBlocks;
  j["capacity_blocks"] = r.capacityBlocks;
  j["peak_bytes"] = r.peakBlocks * r.bytesPerBlock;
  j["evicted_never_reused"] = r.evictedNeverReused;
  j["mean_evicted_age_ms"] = r.meanEvictedAgeMs;
  j["mean_evicted_idle_ms"] = r.meanEvictedIdleMs;
  j["mean_evicted_reuse"] = r.meanEvictedReuse;
  j["skipped_lines"] = r.skippedLines;
  j["elapsed_s"] = r.elapsedS;
  j["loop_s"] = r.loopS;
  j["blocks_per_s"] = r.loopS > 0 ? double(r.blocks) / r.loopS : 0.0;
  j["config"] = ordered_json{{"block_size", c.blockSize},
                             {"policy", c.policy},
                             {"max_tokens", c.maxTokens},
                             {"ttl_ms", c.ttlMs},
                             {"bytes_per_token", c.bytesPerToken}};
  return j;
}

void printReplayTable(const ReplayResult& r, const ReplayConfig& c) {
  std::printf("trace replay: %llu requests, %llu prompt tokens, %llu blocks of %u tokens\n",
              (unsigned long long)r.requests, (unsigned long long)r.promptTokens,
              (unsigned long long)r.blocks, c.blockSize);
  std::printf("cache: %s, %llu blocks (%llu tokens, %s), ttl %s\n", c.policy.c_str(),
              (unsigned long long)r.capacityBlocks, (unsigned long long)c.maxTokens,
              formatBytes(r.capacityBlocks * r.bytesPerBlock).c_str(),
              c.ttlMs > 0 ? formatDurationMs(c.ttlMs).c_str() : "off");
  std::printf("  token hit rate  %7.3f %%  (%llu of %llu tokens)\n", 100.0 * r.tokenHitRate(),
              (unsigned long long)r.hitTokens, (unsigned long long)r.promptTokens);
  std::printf("  block hit rate  %7.3f %%  (%llu of %llu blocks)\n", 100.0 * r.blockHitRate(),
              (unsigned long long)r.hitBlocks, (unsigned long long)r.blocks);
  std::printf("  missed tokens   cold %llu, evicted %llu, expired %llu, orphaned %llu\n",
              (unsigned long long)r.missTokens[0], (unsigned long long)r.missTokens[1],
              (unsigned long long)r.missTokens[2], (unsigned long long)r.missTokens[3]);
  std::printf("  evictions       %llu (never reused: %llu; mean age %s, idle %s, reuse %.2f)\n",
              (unsigned long long)r.evictions, (unsigned long long)r.evictedNeverReused,
              formatDurationMs(std::int64_t(r.meanEvictedAgeMs)).c_str(),
              formatDurationMs(std::int64_t(r.meanEvictedIdleMs)).c_str(), r.meanEvictedReuse);
  std::printf("  expirations     %llu\n", (unsigned long long)r.expirations);
  std::printf("  peak            %llu blocks (%s)\n", (unsigned long long)r.peakBlocks,
              formatBytes(r.peakBlocks * r.bytesPerBlock).c_str());
  if (r.skippedLines)
    std::printf("  skipped lines   %llu (--skip-bad-lines)\n", (unsigned long long)r.skippedLines);
  std::printf("  time            %.3f s (replay loop %.3f s, %.1f M blocks/s)\n", r.elapsedS, r.loopS,
              r.loopS > 0 ? double(r.blocks) / r.loopS / 1e6 : 0.0);
}

std::function<void(const ReplayProgress&)> progressTo(ProgressBar& bar) {
  return [&bar](const ReplayProgress& p) {
    bar.update(p.fileSize ? double(p.bytesRead) / double(p.fileSize) : 0.0,
               std::to_string(p.requests) + " requests");
  };
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

}  // namespace

CommandAction addReplayCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("replay",
                                 "Replay a Mooncake trace through the block cache (simulate mode, no "
                                 "tensors) and report hit rates, misses by cause and evictions");
  auto text = std::make_shared<ReplayOptionText>();
  auto json = std::make_shared<bool>(false);
  auto events = std::make_shared<std::string>();
  addReplayOptions(*cmd, *text, /*sizeLists=*/false);
  cmd->add_flag("--json", *json, "print one JSON object instead of the table");
  cmd->add_option("--events", *events,
                  "write every cache event (insert, hit, miss, eviction) to this CSV file");
  cmd->footer(
      "Example:\n  kvlab-cli replay conversation_trace.jsonl --max-tokens 2000000 --policy lru --ttl 10m");
  return [cmd, text, json, events]() -> int {
    if (!cmd->parsed()) return -1;
    const ReplayConfig config = toReplayConfig(*text);
    std::unique_ptr<EventCsvWriter> writer;
    if (!events->empty()) writer = std::make_unique<EventCsvWriter>(*events);
    ReplayResult result;
    {
      ProgressBar bar("replay");
      result = replayTraceFile(text->trace, config, progressTo(bar), writer.get());
    }
    if (writer) writer->finish();
    if (*json)
      std::cout << resultJson(result, config).dump(2) << '\n';
    else
      printReplayTable(result, config);
    for (const std::string& reason : result.skipReasons)
      std::fprintf(stderr, "skipped: %s\n", reason.c_str());
    return 0;
  };
}

CommandAction addSweepCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep",
                                 "Hit rate for several cache sizes and policies: a miss-ratio curve "
                                 "that respects prefix chains");
  auto text = std::make_shared<ReplayOptionText>();
  auto format = std::make_shared<std::string>("table");
  auto threads = std::make_shared<unsigned>(std::max(1u, std::thread::hardware_concurrency()));
  addReplayOptions(*cmd, *text, /*sizeLists=*/true);
  cmd->add_option("--format", *format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->add_option("--threads", *threads, "parallel replays for policies without a one-pass algorithm")
      ->capture_default_str();
  cmd->footer(
      "LRU sizes come from one pass (stack distances); other policies replay once per size.\n"
      "Example:\n  kvlab-cli sweep trace.jsonl --max-tokens 250000,500000,1000000,2000000 --policy "
      "lru,fifo,sieve");
  return [cmd, text, format, threads]() -> int {
    if (!cmd->parsed()) return -1;
    const auto sizes = maxTokenList(*text);
    const auto policies = splitList(text->policy);
    ReplayOptionText single = *text;
    single.maxTokens = std::to_string(sizes.front());
    single.maxSize.clear();
    single.policy = policies.empty() ? "" : policies.front();
    for (const std::string& p : policies) {
      single.policy = p;
      (void)toReplayConfig(single);  // validates every policy name before any work
    }
    ReplayConfig base = toReplayConfig(single);
    const auto start = std::chrono::steady_clock::now();
    std::vector<CurvePoint> points;
    std::vector<std::string> others;
    for (const std::string& p : policies) {
      if (p == "lru") {
        auto lru = lruCurveOnePass(text->trace, base, sizes);
        points.insert(points.end(), lru.begin(), lru.end());
      } else {
        others.push_back(p);
      }
    }
    if (!others.empty()) {
      ProgressBar bar("sweep");
      auto rest = missRatioCurve(
          text->trace, base, others, sizes, *threads, [&bar](std::size_t done, std::size_t total) {
            bar.update(double(done) / double(total),
                       std::to_string(done) + "/" + std::to_string(total) + " replays");
          });
      points.insert(points.end(), rest.begin(), rest.end());
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (*format == "json") {
      ordered_json j;
      j["trace"] = text->trace;
      j["block_size"] = base.blockSize;
      j["elapsed_s"] = elapsed;
      j["points"] = ordered_json::array();
      for (const CurvePoint& p : points)
        j["points"].push_back(ordered_json{{"policy", p.policy},
                                           {"max_tokens", p.maxTokens},
                                           {"capacity_blocks", p.result.capacityBlocks},
                                           {"token_hit_rate", p.result.tokenHitRate()},
                                           {"block_hit_rate", p.result.blockHitRate()},
                                           {"hit_tokens", p.result.hitTokens},
                                           {"one_pass", p.onePass}});
      std::cout << j.dump(2) << '\n';
    } else if (*format == "csv") {
      std::printf(
          "policy,max_tokens,capacity_blocks,token_hit_rate,block_hit_rate,hit_tokens,prompt_tokens\n");
      for (const CurvePoint& p : points)
        std::printf("%s,%llu,%llu,%.6f,%.6f,%llu,%llu\n", p.policy.c_str(), (unsigned long long)p.maxTokens,
                    (unsigned long long)p.result.capacityBlocks, p.result.tokenHitRate(),
                    p.result.blockHitRate(), (unsigned long long)p.result.hitTokens,
                    (unsigned long long)p.result.promptTokens);
    } else {
      std::printf("%-8s %14s %12s %16s %16s\n", "policy", "max tokens", "blocks", "token hit rate",
                  "block hit rate");
      for (const CurvePoint& p : points)
        std::printf("%-8s %14llu %12llu %15.3f%% %15.3f%%\n", p.policy.c_str(),
                    (unsigned long long)p.maxTokens, (unsigned long long)p.result.capacityBlocks,
                    100 * p.result.tokenHitRate(), 100 * p.result.blockHitRate());
      std::printf("(%zu points in %.2f s; lru by one stack-distance pass)\n", points.size(), elapsed);
    }
    return 0;
  };
}

CommandAction addBenchCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench",
                                 "Measure replay speed (block lookups per second, parsing excluded "
                                 "and included) and, with the compute module, prefill throughput");
  auto text = std::make_shared<ReplayOptionText>();
  text->maxTokens = "1000000";
  auto noPrefill = std::make_shared<bool>(false);
  auto seconds = std::make_shared<double>(2.0);
  cmd->add_option("trace", text->trace,
                  "Mooncake trace to replay (optional: without it only prefill is measured)");
  cmd->add_option("--max-tokens", text->maxTokens, "cache size in tokens for the replay")
      ->capture_default_str();
  cmd->add_option("--policy", text->policy, "eviction policy")->capture_default_str();
  cmd->add_option("--block-size", text->blockSize, "tokens per hash id")->capture_default_str();
  cmd->add_option("--seconds", *seconds, "minimum time to repeat the in-memory replay loop")
      ->check(CLI::Range(0.0, 3600.0))  // 1e300 would loop for ever
      ->capture_default_str();
  cmd->add_flag("--no-prefill", *noPrefill, "skip the prefill benchmark (no LibTorch loaded)");
  return [cmd, text, noPrefill, seconds]() -> int {
    if (!cmd->parsed()) return -1;
    if (!text->trace.empty()) {
      const ReplayConfig config = toReplayConfig(*text);
      // Each figure is the best of a few passes: single passes of a few milliseconds are at the mercy of
      // the scheduler.
      constexpr int kFilePasses = 5;
      std::vector<TraceRequest> requests;
      double parseS = 1e300;
      for (int pass = 0; pass < kFilePasses; ++pass) {
        const auto t0 = std::chrono::steady_clock::now();
        requests = readWholeTrace(text->trace);
        parseS =
            std::min(parseS, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      std::uint64_t blocks = 0;
      for (const TraceRequest& r : requests) blocks += r.hashIds.size();
      // Replay loop only: repeat fresh replays until --seconds have passed; report the best pass.
      double best = 1e300, total = 0;
      int passes = 0;
      double hitRate = 0;
      while (total < *seconds || passes < 3) {
        TraceReplayer replayer(config);
        const auto s = std::chrono::steady_clock::now();
        for (const TraceRequest& r : requests) replayer.replay(r);
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count();
        best = std::min(best, dt);
        total += dt;
        ++passes;
        hitRate = replayer.result().tokenHitRate();
      }
      double wholeS = 1e300;
      for (int pass = 0; pass < kFilePasses; ++pass)
        wholeS = std::min(wholeS, replayTraceFile(text->trace, config).elapsedS);
      std::printf(
          "replay bench: %s, %zu requests, %llu block lookups, policy %s, %llu tokens, hit rate %.2f%%\n",
          text->trace.c_str(), requests.size(), (unsigned long long)blocks, config.policy.c_str(),
          (unsigned long long)config.maxTokens, 100 * hitRate);
      std::printf("  parse only           %8.3f s  (%6.1f M blocks/s, best of %d)\n", parseS,
                  double(blocks) / parseS / 1e6, kFilePasses);
      std::printf(
          "  replay loop          %8.4f s  (%6.1f M block lookups/s, best of %d passes, single thread)\n",
          best, double(blocks) / best / 1e6, passes);
      std::printf(
          "  parse + replay       %8.3f s  (%6.1f M block lookups/s, streaming from the file, parsing on a "
          "second thread)\n",
          wholeS, double(blocks) / wholeS / 1e6);
    }
    if (*noPrefill) return 0;
    if (!computeModuleAvailable()) {
      std::printf("prefill bench: skipped (no compute module in this build)\n");
      return 0;
    }
    return runComputeCommand({"bench-prefill"});
  };
}

CommandAction addListCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("list",
                                 "List bundled scenarios, model presets, policies, granularities and "
                                 "devices");
  return [cmd]() -> int {
    if (!cmd->parsed()) return -1;
    std::printf("policies:\n");
    for (const PolicyInfo& p : policyRegistry())
      std::printf("  %-8s %s\n", p.name.c_str(), p.description.c_str());
    std::printf(
        "granularities:\n"
        "  prompt   one entry per (prompt prefix, layer), SHA-256 keys (the original SimpleKVCache)\n"
        "  block    vLLM-style hashed token blocks (XXH3-128 chain, or SHA-256)\n"
        "  radix    SGLang-style token radix tree, leaves evicted first\n");
    std::printf("model presets (K/V bytes per token):\n");
    for (const ModelConfig& m : modelPresets())
      std::printf("  %-12s %3d layers, %2d KV heads x %3d dims, %s/token%s\n", m.name.c_str(), m.layers,
                  m.kvHeads, m.headDim, formatBytes(kvBytesPerToken(m)).c_str(),
                  m.computable ? "" : "  (accounting only)");
    std::printf("hardware profiles (simulate's cost model; spec sheets):\n");
    for (const HardwareProfile& h : hardwareProfiles())
      std::printf("  %-12s %s\n", h.name.c_str(), h.description.c_str());
    std::printf("  %-12s this machine, measured when selected\n", "cpu-here");
    if (computeModuleAvailable()) return runComputeCommand({"list-compute"});
    std::printf("scenarios and devices: need the compute module (not in this build)\n");
    return 0;
  };
}

}  // namespace kvlab
