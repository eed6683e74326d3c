// SPDX-License-Identifier: MIT
#include "simulate_command.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/arch/kv_cache_layout.h"
#include "core/hardware/hardware_profile.h"
#include "core/policies/policy_registry.h"
#include "core/serving/serving_simulator.h"
#include "core/trace/scenario_trace.h"
#include "core/trace/trace.h"
#include "core/trace/trace_format.h"
#include "core/trace/uniform_blocks.h"
#include "core/util/atomic_file.h"
#include "core/util/csv_writer.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "model_options.h"
#include "output_format.h"
#include "replay_options.h"
#include "scenario_dir.h"
#include "serving_json.h"
#include "serving_options.h"

namespace kvlab {

namespace {

using nlohmann::ordered_json;

struct SimulateText {
  std::string input;
  std::string poolBlocks;
  std::string poolSize;
  std::string model = "llama-3-8b";
  std::string kvDtype;  // "" = the model's weights' dtype
  std::string tp = "1";
  std::string hardware{defaultHardwareProfileName()};
  std::string policy = "lru";
  std::string maxBatchedTokens = "8192";
  std::string maxRunning = "256";
  std::string inputFormat;   // --input-format ("" = detect a trace from the content)
  std::string blockSize;     // "" = the trace's own, the scenario's block size for a scenario
  std::string outputTokens;  // "" = each request's own (the scenario's output_tokens)
  std::string speed = "1";
  std::string out;
  OutputFormatOption format;
  bool noPrefixCache = false;
  bool compare = false;
  bool skipBadLines = false;
  PromptTextOptions prompts;  // --tokenizer, --chat-template (the prompts format)
  ReplayOptionText tiers;     // its tier flags only (addTierOptions)
};

struct RunSpec {
  double speed = 1;
  bool prefixCache = true;
};

struct RunOutcome {
  RunSpec spec;
  ServingResult result;
};

// A trace (any format, detected from the content, or forced) rather than a scenario name or file.
bool isTracePath(const std::string& input, const std::string& format) {
  return !format.empty() || looksLikeTrace(input);
}

ordered_json summaryJson(const RunOutcome& run, const ServingConfig& c) {
  const ServingSummary& s = run.result.summary;
  ordered_json j;
  j["figures"] = costModelLabel(c) + "; times are simulated, not measured";
  j["speed"] = run.spec.speed;
  j["prefix_cache"] = run.spec.prefixCache;
  j["requests"] = s.requests;
  j["completed"] = s.completed;
  addServingLatencies(j, s);
  j["token_hit_rate"] = s.tokenHitRate;
  j["preemptions"] = s.preemptions;
  addServingPoolFigures(j, s);
  j["rejected"] = s.rejected;
  ordered_json reasons = ordered_json::array();
  for (const ServingRequestResult& r : run.result.requests)
    if (!r.rejectReason.empty() && reasons.size() < 100)
      reasons.push_back(ordered_json{{"request", r.index}, {"reason", r.rejectReason}});
  j["rejected_requests"] = reasons;  // the first 100; the per-request CSV has all
  j["steps"] = s.steps;
  j["evictions"] = s.evictions;
  j["recomputed_tokens"] = s.recomputedTokens;
  j["recompute_hit_tokens"] = s.recomputeHitTokens;
  // One tier (the simulated device pool). The serving simulator counts hit tokens and evictions, not
  // blocks or bytes per tier: those are null rather than invented; nothing moves between tiers (0 ms).
  j["tiers"] = ordered_json{{"device", ordered_json{{"hit_tokens", s.hitTokens - s.tierHitTokens},
                                                    {"hits", nullptr},
                                                    {"misses", nullptr},
                                                    {"bytes_in", nullptr},
                                                    {"bytes_out", nullptr},
                                                    {"entries", nullptr},
                                                    {"evictions", s.evictions},
                                                    {"transfer_ms", 0.0},
                                                    {"transfer_source", "cost model"}}}};
  if (!run.result.tiers.empty()) {  // host, remote under the pool (cost-model transfer times)
    j["tier_hit_tokens"] = s.tierHitTokens;
    const ordered_json lower = tiersJson<ordered_json>(run.result.tiers);
    for (const auto& [name, tier] : lower.items()) j["tiers"][name] = tier;
  }
  j["wall_s"] = run.result.wallS;  // measured: simulation time on this machine
  return j;
}

void writeRequestsCsv(const std::string& path, const RunOutcome& run, const ServingConfig& c) {
  AtomicFile file(path);
  auto& o = file.stream();
  // A `#` line naming the cost model before the RFC 4180 records (pandas: comment='#').
  o << "# " << costModelLabel(c) << "; speed " << run.spec.speed << ", prefix cache "
    << (run.spec.prefixCache ? "on" : "off") << "; times are simulated, not measured\n";
  CsvWriter csv(o);
  csv.row({"request", "arrival_s", "arrival_step", "input_tokens", "output_tokens", "status", "hit_tokens",
           "ttft_ms", "tpot_ms", "latency_ms", "preemptions", "recomputed_tokens", "recompute_hit_tokens",
           "reject_reason"});
  for (const ServingRequestResult& r : run.result.requests) {
    const bool done = r.completed;
    csv.field(r.index).field(r.arrivalS).field(r.arrivalStep).field(r.inputTokens).field(r.outputTokens);
    csv.field(done ? "completed" : (r.rejectReason.empty() ? "unfinished" : "rejected")).field(r.hitTokens);
    if (done) {
      csv.field(r.ttftMs());
      if (r.tpotMs() >= 0)
        csv.field(r.tpotMs());
      else
        csv.empty();
      csv.field(r.latencyMs());
    } else {
      csv.empty().empty().empty();
    }
    csv.field(r.preemptions).field(r.recomputedTokens).field(r.recomputeHitTokens).field(r.rejectReason);
    csv.endRow();
  }
  file.commit();
}

std::string runTag(const RunSpec& spec, bool many) {
  if (!many) return "";
  std::ostringstream s;
  s << "_speed" << spec.speed << (spec.prefixCache ? "_prefix" : "_noprefix");
  return s.str();
}

void printTable(const std::vector<RunOutcome>& runs, const ServingConfig& c, const std::string& input) {
  std::printf("serving simulation, %s; times are simulated, not measured\n", costModelLabel(c).c_str());
  std::printf(
      "input %s: %llu requests; pool %u blocks x %u tokens (%s per device), policy %s, max batched %u, max "
      "running %u\n",
      input.c_str(), (unsigned long long)(runs.empty() ? 0 : runs.front().result.summary.requests),
      c.poolBlocks, c.blockSize,
      formatBytes(std::uint64_t(c.poolBlocks) * c.blockSize *
                  KvCacheLayout(c.model, int(c.tensorParallel)).cacheBytesPerToken())
          .c_str(),
      c.policy.c_str(), c.maxBatchedTokens, c.maxRunning);
  std::printf("%6s %6s %6s %4s %9s %9s %9s %7s %7s %10s %9s %6s %6s %6s %7s %7s %9s %6s\n", "speed", "prefix",
              "done", "rej", "TTFT p50", "p90", "p99", "TPOT50", "TPOT90", "latency", "tok/s", "hit%",
              "preem", "peak", "wait", "in-sys", "duration", "wall");
  for (const RunOutcome& r : runs) {
    const ServingSummary& s = r.result.summary;
    std::printf(
        "%6g %6s %6llu %4llu %7.0fms %7.0fms %7.0fms %5.1fms %5.1fms %8.2f s %9.0f %5.1f%% %6llu %6u %7.1f "
        "%7.1f %7.1f s %5.2fs\n",
        r.spec.speed, r.spec.prefixCache ? "on" : "off", (unsigned long long)s.completed,
        (unsigned long long)s.rejected, s.ttftMsP50, s.ttftMsP90, s.ttftMsP99, s.tpotMsP50, s.tpotMsP90,
        s.latencyMsMean / 1e3, s.throughputTokensPerS, 100 * s.tokenHitRate,
        (unsigned long long)s.preemptions, s.poolPeakBlocks, s.meanWaiting, s.meanInSystem, s.simDurationS,
        r.result.wallS);
  }
  std::printf("(wall = measured simulation time here; everything else is cost model)\n");
  for (const RunOutcome& r : runs) {
    if (r.result.tiers.empty()) continue;
    std::ostringstream lines;
    writeTierLines(lines, r.result.tiers, r.result.summary.promptTokens, "  ");
    std::printf("speed %g, tiers under the pool:\n%s", r.spec.speed, lines.str().c_str());
  }
}

ordered_json comparisons(const std::vector<RunOutcome>& runs) {
  ordered_json list = ordered_json::array();
  const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  for (std::size_t i = 0; i + 1 < runs.size(); i += 2) {
    const ServingSummary& on = runs[i].result.summary;
    const ServingSummary& off = runs[i + 1].result.summary;
    list.push_back(ordered_json{
        {"speed", runs[i].spec.speed},
        {"ttft_p50_ratio", ratio(off.ttftMsP50, on.ttftMsP50)},
        {"ttft_p90_ratio", ratio(off.ttftMsP90, on.ttftMsP90)},
        {"ttft_p99_ratio", ratio(off.ttftMsP99, on.ttftMsP99)},
        {"latency_mean_ratio", ratio(off.latencyMsMean, on.latencyMsMean)},
        {"throughput_ratio", ratio(on.throughputTokensPerS, off.throughputTokensPerS)},
    });
  }
  return list;
}

}  // namespace

CommandAction addSimulateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "simulate",
      "Serve a trace or a scenario with a continuous-batching engine (vLLM-style scheduler, shared KV block "
      "pool with prefix caching) on a cost model: TTFT, TPOT, queueing, preemptions");
  auto t = std::make_shared<SimulateText>();
  cmd->add_option(
         "input", t->input,
         "a trace file or directory of any supported format (" + traceFormatNames() +
             "; told apart from a scenario by its content) or a scenario (bundled name or .json file)")
      ->required();
  addInputFormatOption(*cmd, t->inputFormat);
  addPromptTextOptions(*cmd, t->prompts);
  auto* blocks = cmd->add_option("--pool-blocks", t->poolBlocks, "KV pool size in blocks");
  auto* size =
      cmd->add_option("--pool-size", t->poolSize,
                      "KV pool size in bytes with a unit on each device (e.g. 40GiB), converted with "
                      "--model's K/V bytes per token; default: 90% of the hardware's memory minus the "
                      "weights and the running sequences' windows and states");
  blocks->excludes(size);
  addModelOption(*cmd, t->model, "shapes for the cost model and K/V bytes");
  addKvDtypeOption(*cmd, t->kvDtype);
  addTpOption(*cmd, t->tp);
  cmd->add_option("--hardware", t->hardware, "hardware profile: " + hardwareProfileList())
      ->capture_default_str();
  cmd->add_option("--policy", t->policy, "eviction policy for cached-free blocks")->capture_default_str();
  cmd->add_option("--max-batched-tokens", t->maxBatchedTokens, "token budget per step")
      ->capture_default_str();
  cmd->add_option("--max-running", t->maxRunning, "most sequences running at once")->capture_default_str();
  cmd->add_option("--block-size", t->blockSize,
                  "tokens per KV block (default: the trace's own, e.g. 512 = one Mooncake hash id; the "
                  "scenario's block size). Any size for traces with per-block token counts (RAGPulse, "
                  "block_tokens): their blocks are re-cut into uniform ones, exactly");
  cmd->add_option("--output-tokens", t->outputTokens,
                  "scenario input: output tokens of every request (default: the scenario's output_tokens)");
  cmd->add_option("--speed", t->speed, "arrival-time divisor, or a comma-separated list (0.5,1,2,4)")
      ->capture_default_str();
  cmd->add_flag("--no-prefix-cache", t->noPrefixCache, "never reuse cached blocks");
  cmd->add_flag("--compare", t->compare, "run with and without prefix caching and print the ratios");
  cmd->add_option("--out", t->out, "directory for summary.json and requests*.csv");
  t->format.addTo(*cmd, "a '#' line naming the cost model, one header row, then one row per run");
  cmd->add_flag("--skip-bad-lines", t->skipBadLines, "count and skip malformed trace lines");
  addTierOptions(*cmd, t->tiers);
  cmd->footer(
      "Every time it prints comes from the cost model (docs/serving.md), not from running a model.\n"
      "Example:\n  kvlab-cli simulate conversation_trace.jsonl --compare --speed 0.5,1,2,4");
  return [cmd, t]() -> int {
    if (!cmd->parsed()) return -1;
    ServingConfig config;
    config.model = resolveModel(t->model, t->kvDtype);
    config.tensorParallel = parseTp(t->tp);
    if (!findPolicy(t->policy))
      throw InputError("", 0, "policy", unknownPolicyMessage(t->policy, /*forReplay=*/false));
    config.policy = t->policy;
    config.maxBatchedTokens =
        std::uint32_t(parseCount(t->maxBatchedTokens, "max-batched-tokens", 1, 1u << 24));
    config.maxRunning = std::uint32_t(parseCount(t->maxRunning, "max-running", 1, 1u << 20));
    const std::vector<double> speeds = parseSpeeds(t->speed);
    std::optional<std::uint32_t> outputTokens;
    if (!t->outputTokens.empty())
      outputTokens = std::uint32_t(parseCount(t->outputTokens, "output-tokens", 1, 1u << 20));

    std::vector<TraceRequest> requests;
    std::string traceFormat;        // "" for a scenario
    bool prefixInformation = true;  // false for a length-only trace
    std::uint64_t skippedLines = 0;
    if (isTracePath(t->input, t->inputFormat)) {
      const std::uint32_t requested =
          t->blockSize.empty() ? 0 : std::uint32_t(parseCount(t->blockSize, "block-size", 1, 1u << 20));
      TraceOpenOptions options{t->inputFormat, t->skipBadLines, t->prompts};
      options.prompts.blockSize = requested;  // the prompts reader cuts the tokens at it
      const Trace trace = loadTrace(t->input, options);
      requests = servingRequests(trace, requested, &config.blockSize);
      traceFormat = trace.info.format;
      prefixInformation = trace.info.hasBlockIds;
      skippedLines = trace.skippedLines;
    } else {
      const ScenarioSpec spec = loadScenarioFile(resolveScenario(t->input, cliScenarioDir()));
      config.blockSize = t->blockSize.empty()
                             ? spec.cache.blockSize
                             : std::uint32_t(parseCount(t->blockSize, "block-size", 1, 1u << 20));
      requests = scenarioToTrace(spec, config.blockSize, outputTokens);
    }
    config.hardware = hardwareOrThrow(t->hardware);  // after the input: cpu-here measures for ~0.3 s
    checkTensorParallel(config);

    const std::uint64_t blockBytes =
        std::uint64_t(config.blockSize) *
        KvCacheLayout(config.model, int(config.tensorParallel)).cacheBytesPerToken();
    config.poolBlocks = resolvePoolBlocks(t->poolBlocks, t->poolSize, config);
    t->tiers.model = t->model;  // the tier sizes in bytes convert with the run's K/V bytes per token
    t->tiers.kvDtype = t->kvDtype;
    config.prefixCache = !t->noPrefixCache || t->compare;
    applyTierOptions(config, t->tiers);

    std::vector<RunSpec> specs;
    for (const double speed : speeds) {
      if (t->compare) {
        specs.push_back({speed, true});
        specs.push_back({speed, false});
      } else {
        specs.push_back({speed, !t->noPrefixCache});
      }
    }
    std::vector<RunOutcome> runs;
    for (const RunSpec& spec : specs) {
      ServingConfig c = config;
      c.speed = spec.speed;
      c.prefixCache = spec.prefixCache;
      if (!c.prefixCache) c.hostBlocks = c.remoteBlocks = 0;  // --compare's run without: no tiers either
      runs.push_back({spec, ServingSimulator(c).run(requests)});
    }

    ordered_json all;
    all["input"] = t->input;
    all["trace_format"] = traceFormat.empty() ? ordered_json(nullptr) : ordered_json(traceFormat);
    all["prefix_information"] = prefixInformation;
    all["skipped_lines"] = skippedLines;
    all["figures"] = costModelLabel(config) + "; times are simulated, not measured";
    all["config"] = ordered_json{{"model", config.model.name},
                                 {"kv_dtype", std::string(toString(effectiveKvDtype(config.model)))},
                                 {"tp", config.tensorParallel},
                                 {"hardware", config.hardware.name},
                                 {"peak_flops", config.hardware.peakFlops},
                                 {"memory_bandwidth_bytes_per_s", config.hardware.memoryBandwidth},
                                 {"compute_utilisation", config.hardware.computeUtilisation},
                                 {"memory_utilisation", config.hardware.memoryUtilisation},
                                 {"block_size", config.blockSize},
                                 {"pool_blocks", config.poolBlocks},
                                 {"pool_bytes", std::uint64_t(config.poolBlocks) * blockBytes},  // per device
                                 {"policy", config.policy},
                                 {"max_batched_tokens", config.maxBatchedTokens},
                                 {"max_running", config.maxRunning},
                                 {"host_blocks", tierBlocksJson(config.hostBlocks)},
                                 {"remote_blocks", tierBlocksJson(config.remoteBlocks)}};
    all["runs"] = ordered_json::array();
    for (const RunOutcome& r : runs) all["runs"].push_back(summaryJson(r, config));
    if (t->compare) all["comparisons"] = comparisons(runs);

    if (!t->out.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(t->out, ec);
      if (ec) throw InputError(t->out, 0, "out", "cannot create the directory: " + ec.message());
      writeFileAtomically((std::filesystem::path(t->out) / "summary.json").string(), all.dump(2) + "\n");
      for (const RunOutcome& r : runs)
        writeRequestsCsv(
            (std::filesystem::path(t->out) / ("requests" + runTag(r.spec, runs.size() > 1) + ".csv"))
                .string(),
            r, config);
    }
    if (t->format.json()) {
      std::cout << all.dump(2) << '\n';
    } else if (t->format.csv()) {
      std::printf("# %s; times are simulated, not measured\n", costModelLabel(config).c_str());
      std::fflush(stdout);  // the records go through std::cout
      CsvWriter csv(std::cout);
      csv.row({"speed", "prefix_cache", "requests", "completed", "rejected", "ttft_ms_p50", "ttft_ms_p90",
               "ttft_ms_p99", "tpot_ms_p50", "tpot_ms_p90", "latency_ms_mean", "throughput_tokens_per_s",
               "token_hit_rate", "preemptions", "pool_blocks", "pool_peak_blocks", "mean_waiting",
               "mean_in_system", "sim_duration_s"});
      for (const RunOutcome& r : runs) {
        const ServingSummary& s = r.result.summary;
        csv.field(r.spec.speed)
            .field(r.spec.prefixCache)
            .field(s.requests)
            .field(s.completed)
            .field(s.rejected);
        csv.field(s.ttftMsP50).field(s.ttftMsP90).field(s.ttftMsP99).field(s.tpotMsP50).field(s.tpotMsP90);
        csv.field(s.latencyMsMean).field(s.throughputTokensPerS).field(s.tokenHitRate).field(s.preemptions);
        csv.field(s.poolBlocks).field(s.poolPeakBlocks).field(s.meanWaiting).field(s.meanInSystem);
        csv.field(s.simDurationS);
        csv.endRow();
      }
      std::cout.flush();
    } else {
      printTable(runs, config, t->input);
      if (!traceFormat.empty())
        std::printf(
            "trace format %s, %llu lines skipped%s\n", traceFormat.c_str(), (unsigned long long)skippedLines,
            prefixInformation ? "" : "; lengths only: no prefix reuse (the hit rate is 0 by construction)");
      if (t->compare)
        for (const auto& c : all["comparisons"])
          std::printf(
              "speed %g, prefix caching on vs off (cost model): TTFT p50 %.2fx, p90 %.2fx, p99 %.2fx lower; "
              "mean latency %.2fx lower; throughput %.2fx\n",
              c["speed"].get<double>(), c["ttft_p50_ratio"].get<double>(), c["ttft_p90_ratio"].get<double>(),
              c["ttft_p99_ratio"].get<double>(), c["latency_mean_ratio"].get<double>(),
              c["throughput_ratio"].get<double>());
    }
    for (const RunOutcome& r : runs)
      if (r.result.summary.rejected)
        std::fprintf(
            stderr, "speed %g, prefix cache %s: %llu requests rejected (see rejected_requests / CSV)\n",
            r.spec.speed, r.spec.prefixCache ? "on" : "off", (unsigned long long)r.result.summary.rejected);
    return 0;
  };
}

}  // namespace kvlab
