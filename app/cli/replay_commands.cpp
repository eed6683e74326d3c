// SPDX-License-Identifier: MIT
#include "replay_commands.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/arch/model_config.h"
#include "core/policies/policy_registry.h"
#include "core/replay/event_csv_writer.h"
#include "core/replay/miss_ratio_curve.h"
#include "core/replay/trace_sweep.h"
#include "core/trace/trace_format.h"
#include "core/util/atomic_file.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "json_csv.h"
#include "output_format.h"
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
  j["requests"] = r.requests;  // measured ones (after --warmup)
  j["warmup_requests"] = r.warmupRequests;
  j["filled_during_warmup"] = r.filledDuringWarmup;
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
  j["capacity_blocks"] =
      r.capacityBlocks == kUnlimited ? ordered_json(nullptr) : ordered_json(r.capacityBlocks);
  j["peak_bytes"] = r.peakBlocks * r.bytesPerBlock;
  j["evicted_never_reused"] = r.evictedNeverReused;
  j["mean_evicted_age_ms"] = r.meanEvictedAgeMs;
  j["mean_evicted_idle_ms"] = r.meanEvictedIdleMs;
  j["mean_evicted_reuse"] = r.meanEvictedReuse;
  j["skipped_lines"] = r.skippedLines;
  j["trace_format"] = r.traceFormat;
  if (r.bounds)  // formats with chunk ids: the infinite-cache bounds, prefix and chunk-level
    j["bounds"] =
        ordered_json{{"prefix_hit_tokens", r.bounds->prefixHitTokens},
                     {"prefix_hit_rate", r.bounds->prefixHitRate()},
                     {"chunk_hit_tokens", r.bounds->chunkHitTokens.value_or(0)},
                     {"chunk_hit_rate", r.bounds->chunkHitRate()},
                     {"chunk_only_tokens", r.bounds->chunkHitTokens.value_or(0) - r.bounds->prefixHitTokens}};
  j["tiers"] = tiersJson<ordered_json>(r.tiers);
  j["elapsed_s"] = r.elapsedS;
  j["loop_s"] = r.loopS;
  j["blocks_per_s"] = r.loopS > 0 ? double(r.blocks) / r.loopS : 0.0;
  j["config"] = ordered_json{
      {"block_size", c.blockSize},
      {"policy", c.policy},
      {"granularity", c.granularity},
      {"policy_label", policyLabel(c.policy)},
      {"max_tokens", c.maxTokens == kUnlimited ? ordered_json("unlimited") : ordered_json(c.maxTokens)},
      {"ttl_ms", c.ttlMs},
      {"ttl_mode", std::string(toString(c.ttlMode))},
      {"protect_in_use", c.protectInUse},
      {"bytes_per_token", c.bytesPerToken}};
  return j;
}

void printReplayTable(const ReplayResult& r, const ReplayConfig& c) {
  std::printf("trace replay: %llu requests, %llu prompt tokens, %llu blocks of %u tokens\n",
              (unsigned long long)r.requests, (unsigned long long)r.promptTokens,
              (unsigned long long)r.blocks, c.blockSize);
  std::printf("  format          %s, %llu lines skipped\n", r.traceFormat.c_str(),
              (unsigned long long)r.skippedLines);
  const std::string cache = c.policy + (c.granularity == "radix" ? " (radix tree: leaves only)" : "");
  if (r.capacityBlocks == kUnlimited)
    std::printf("cache: %s, unlimited", cache.c_str());
  else
    std::printf("cache: %s, %llu blocks (%llu tokens, %s)", cache.c_str(),
                (unsigned long long)r.capacityBlocks, (unsigned long long)c.maxTokens,
                formatBytes(r.capacityBlocks * r.bytesPerBlock).c_str());
  std::printf(", ttl %s%s%s\n", c.ttlMs > 0 ? formatDurationMs(c.ttlMs).c_str() : "off",
              c.ttlMs > 0 ? (c.ttlMode == TtlMode::Age ? " (age)" : " (idle)") : "",
              c.protectInUse ? ", in-use blocks protected" : "");
  if (policyNeedsWholeTrace(c.policy))
    std::printf("  (%s: the whole trace was read first to know each block's next use)\n",
                policyLabel(c.policy).c_str());
  if (r.warmupRequests)
    std::printf("  warmup          %llu requests not measured (cache %s before measuring)\n",
                (unsigned long long)r.warmupRequests, r.filledDuringWarmup ? "full" : "not yet full");
  std::printf("  token hit rate  %7.3f %%  (%llu of %llu tokens)\n", 100.0 * r.tokenHitRate(),
              (unsigned long long)r.hitTokens, (unsigned long long)r.promptTokens);
  std::printf("  block hit rate  %7.3f %%  (%llu of %llu blocks)\n", 100.0 * r.blockHitRate(),
              (unsigned long long)r.hitBlocks, (unsigned long long)r.blocks);
  if (r.tiers.size() > 1)
    for (const TierReport& t : r.tiers)
      std::printf(
          "  tier %-7s    %7.3f %% of tokens  (%llu blocks hit, %llu missed, %llu held, %llu evicted, "
          "%s in, %s out, %.1f ms transfer, cost model)\n",
          t.name.c_str(), r.promptTokens ? 100.0 * double(t.hitTokens) / double(r.promptTokens) : 0.0,
          (unsigned long long)t.hits, (unsigned long long)t.misses, (unsigned long long)t.entries,
          (unsigned long long)t.evictions, formatBytes(t.bytesIn).c_str(), formatBytes(t.bytesOut).c_str(),
          t.transferMs);
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
  if (r.bounds) {
    const std::uint64_t chunk = r.bounds->chunkHitTokens.value_or(0);
    std::printf(
        "  infinite cache  prefix reuse %.3f %% (%llu tokens); chunk-level reuse (any earlier occurrence of "
        "a chunk, CacheBlend-style) %.3f %% (%llu): +%llu tokens prefix caching cannot reuse\n",
        100.0 * r.bounds->prefixHitRate(), (unsigned long long)r.bounds->prefixHitTokens,
        100.0 * r.bounds->chunkHitRate(), (unsigned long long)chunk,
        (unsigned long long)(chunk - r.bounds->prefixHitTokens));
  }
  std::printf("  time            %.3f s (replay loop %.3f s, %.1f M blocks/s)\n", r.elapsedS, r.loopS,
              r.loopS > 0 ? double(r.blocks) / r.loopS / 1e6 : 0.0);
}

std::function<void(const ReplayProgress&)> progressTo(ProgressBar& bar) {
  return [&bar](const ReplayProgress& p) {
    bar.update(p.fileSize ? double(p.bytesRead) / double(p.fileSize) : 0.0,
               std::to_string(p.requests) + " requests");
  };
}

std::string countText(std::uint64_t n) { return n == kUnlimited ? "unlimited" : std::to_string(n); }

}  // namespace

CommandAction addReplayCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("replay",
                                 "Replay a trace (any supported format) through the block cache (simulate "
                                 "mode, no tensors) and report hit rates, misses by cause and evictions");
  auto text = std::make_shared<ReplayOptionText>();
  auto format = std::make_shared<OutputFormatOption>();
  auto events = std::make_shared<std::string>();
  addReplayOptions(*cmd, *text, /*sizeLists=*/false);
  addTierOptions(*cmd, *text);
  format->addTo(*cmd, "one header row, then one row: the JSON object's fields, nested ones joined with '.'");
  cmd->add_option("--events", *events,
                  "write every cache event (insert, hit, miss, eviction) to this CSV file");
  cmd->footer(
      "Example:\n  kvlab-cli replay conversation_trace.jsonl --max-tokens 2000000 --policy lru --ttl 10m");
  return [cmd, text, format, events]() -> int {
    if (!cmd->parsed()) return -1;
    std::unique_ptr<TraceReader> reader = openTraceReader(text->trace, traceOpenOptions(*text));
    const ReplayConfig config = configForTrace(reader->info(), toReplayConfig(*text, reader->info()));
    const std::string tokenization =
        reader->info().tokenization;  // the prompts format: how text became tokens
    std::unique_ptr<EventCsvWriter> writer;
    if (!events->empty()) writer = std::make_unique<EventCsvWriter>(*events);
    ReplayResult result;
    {
      ProgressBar bar("replay");
      result = replayTrace(std::move(reader), config, progressTo(bar), writer.get());
    }
    if (writer) writer->finish();
    ordered_json j = resultJson(result, config);
    if (!tokenization.empty()) j["tokenization"] = tokenization;
    if (format->json()) {
      std::cout << j.dump(2) << '\n';
    } else if (format->csv()) {
      std::fflush(stdout);  // the CSV goes through std::cout
      writeJsonObjectCsv(std::cout, j);
      std::cout.flush();
    } else {
      printReplayTable(result, config);
      if (!tokenization.empty()) std::printf("  tokens          %s\n", tokenization.c_str());
    }
    for (const std::string& reason : result.skipReasons)
      std::fprintf(stderr, "skipped: %s\n", reason.c_str());
    return 0;
  };
}

namespace {

// The fields of one sweep row, in output order: the replay's fields (null where the one-pass LRU curve
// does not compute them) plus the configuration and the knee mark.
ordered_json sweepRowJson(const SweepPoint& p) {
  ordered_json j;
  const ReplayResult& r = p.result;
  j["policy"] = p.config.policy;
  j["granularity"] = p.config.granularity;
  j["label"] = policyLabel(p.config.policy);
  j["max_tokens"] =
      p.config.maxTokens == kUnlimited ? ordered_json("unlimited") : ordered_json(p.config.maxTokens);
  j["ttl_ms"] = p.config.ttlMs;
  j["ttl_mode"] = std::string(toString(p.config.ttlMode));
  j["block_size"] = p.config.blockSize;
  j["capacity_blocks"] =
      r.capacityBlocks == kUnlimited ? ordered_json(nullptr) : ordered_json(r.capacityBlocks);
  j["requests"] = r.requests;
  j["warmup_requests"] = r.warmupRequests;
  j["filled_during_warmup"] = r.filledDuringWarmup;
  j["prompt_tokens"] = r.promptTokens;
  j["hit_tokens"] = r.hitTokens;
  j["token_hit_rate"] = r.tokenHitRate();
  j["blocks"] = r.blocks;
  j["hit_blocks"] = r.hitBlocks;
  j["block_hit_rate"] = r.blockHitRate();
  const auto counted = [&](auto value) { return p.onePass ? ordered_json(nullptr) : ordered_json(value); };
  j["evictions"] = p.evictionsCounted ? ordered_json(r.evictions) : ordered_json(nullptr);
  j["expirations"] = counted(r.expirations);
  for (int m = 0; m < kMissReasonCount; ++m)
    j["missed_tokens_" + std::string(toString(MissReason(m)))] = counted(r.missTokens[std::size_t(m)]);
  j["peak_blocks"] = counted(r.peakBlocks);
  j["evicted_never_reused"] = counted(r.evictedNeverReused);
  j["mean_evicted_age_ms"] = counted(r.meanEvictedAgeMs);
  j["mean_evicted_idle_ms"] = counted(r.meanEvictedIdleMs);
  j["mean_evicted_reuse"] = counted(r.meanEvictedReuse);
  j["one_pass"] = p.onePass;
  j["knee"] = p.knee;
  j["seconds"] = r.loopS;
  return j;
}

}  // namespace

CommandAction addSweepCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep",
                                 "Hit rate for every combination of cache size, policy, TTL and block size: "
                                 "miss-ratio curves that respect prefix chains, with the knee of each");
  auto text = std::make_shared<ReplayOptionText>();
  auto format = std::make_shared<OutputFormatOption>();
  auto threads = std::make_shared<unsigned>(std::max(1u, std::thread::hardware_concurrency()));
  addReplayOptions(*cmd, *text, /*sizeLists=*/true);
  format->addTo(*cmd, "one header row, then one row per configuration");
  cmd->add_option("--threads", *threads,
                  "configurations replayed in parallel (at most one per configuration)")
      ->capture_default_str();
  cmd->footer(
      "The trace is parsed once and shared by every configuration. LRU sizes come from one stack-distance\n"
      "pass per TTL and block size (its rows count evictions only without a TTL, and leave the other "
      "eviction fields empty); other policies replay once per\n"
      "configuration; opt (Belady, farthest next use) reads the whole trace first (8 bytes per block).\n"
      "Knee (*): per curve, the smallest size reaching 90% of that curve's hit rate at its largest size.\n"
      "Examples:\n"
      "  kvlab-cli sweep trace.jsonl --max-tokens 100000:8000000:log12 --policy all\n"
      "  kvlab-cli sweep trace.jsonl --max-tokens 250000,1000000 --policy lru,s3fifo --ttl 0,30s,5m --format "
      "csv");
  return [cmd, text, format, threads]() -> int {
    if (!cmd->parsed()) return -1;
    SweepSpec spec = toSweepSpec(*text);
    spec.threads = *threads;
    SweepOutcome outcome;
    {
      ProgressBar bar("sweep");
      outcome =
          TraceSweep::run(text->trace, spec, [&bar](const SweepPoint&, std::size_t done, std::size_t total) {
            bar.update(double(done) / double(total),
                       std::to_string(done) + "/" + std::to_string(total) + " configurations");
          });
    }
    if (format->json()) {
      ordered_json j;
      j["trace"] = text->trace;
      j["trace_format"] = outcome.traceFormat;
      j["requests"] = outcome.requests;
      j["skipped_lines"] = outcome.skippedLines;
      j["parse_s"] = outcome.parseS;
      j["elapsed_s"] = outcome.elapsedS;
      j["threads"] = spec.threads;
      j["knee_fraction"] = 0.9;
      j["points"] = ordered_json::array();
      for (const SweepPoint& p : outcome.points) j["points"].push_back(sweepRowJson(p));
      std::cout << j.dump(2) << '\n';
    } else if (format->csv()) {
      std::fflush(stdout);  // the CSV goes through std::cout
      std::vector<ordered_json> rows;
      for (const SweepPoint& p : outcome.points) rows.push_back(sweepRowJson(p));
      writeJsonRowsCsv(std::cout, rows);
      std::cout.flush();
    } else {
      std::printf("%-34s %8s %6s %14s %10s %10s %10s %11s  %s\n", "policy", "ttl", "block", "max tokens",
                  "blocks", "token hit", "block hit", "evictions", "knee");
      for (const SweepPoint& p : outcome.points) {
        const ReplayResult& r = p.result;
        std::printf("%-34s %8s %6u %14s %10s %9.3f%% %9.3f%% %11s  %s\n",
                    policyLabel(p.config.policy).c_str(),
                    p.config.ttlMs > 0 ? formatDurationMs(p.config.ttlMs).c_str() : "off", p.config.blockSize,
                    countText(p.config.maxTokens).c_str(), countText(r.capacityBlocks).c_str(),
                    100 * r.tokenHitRate(), 100 * r.blockHitRate(),
                    p.evictionsCounted ? std::to_string(r.evictions).c_str() : "-", p.knee ? "*" : "");
      }
      std::printf(
          "knees (* above): smallest size reaching 90%% of the curve's hit rate at its largest size\n");
      for (const SweepPoint& p : outcome.points)
        if (p.knee)
          std::printf("  %-34s ttl %-8s block %-5u knee at %s tokens (%.3f%%)\n",
                      policyLabel(p.config.policy).c_str(),
                      p.config.ttlMs > 0 ? formatDurationMs(p.config.ttlMs).c_str() : "off",
                      p.config.blockSize, countText(p.config.maxTokens).c_str(),
                      100 * p.result.tokenHitRate());
      std::printf(
          "(%zu configurations of %llu requests (%s trace, %llu lines skipped) in %.3f s: parse %.3f s once, "
          "%u threads; lru by one stack-distance pass)\n",
          outcome.points.size(), (unsigned long long)outcome.requests, outcome.traceFormat.c_str(),
          (unsigned long long)outcome.skippedLines, outcome.elapsedS, outcome.parseS, spec.threads);
    }
    return 0;
  };
}

}  // namespace kvlab

namespace kvlab {

nlohmann::ordered_json replayResultJson(const ReplayResult& result, const ReplayConfig& config) {
  return resultJson(result, config);
}

}  // namespace kvlab
