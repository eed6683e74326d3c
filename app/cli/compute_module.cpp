// SPDX-License-Identifier: MIT
// The compute module: kvlab-cli's commands that need LibTorch (run, verify, bench-prefill, list-compute),
// built as a shared object that kvlab-cli loads with dlopen only when one of them is asked for.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "compute_bridge.h"
#include "core/arch/model_config.h"
#include "core/model/compute_info.h"
#include "core/model/cuda_status.h"
#include "core/policies/policy_registry.h"
#include "core/runner/prefix_verifier.h"
#include "core/runner/run_recorder.h"
#include "core/runner/run_repeats.h"
#include "core/runner/run_support.h"
#include "core/runner/scenario_runner.h"
#include "core/tiers/remote_url.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "core/workload/scenario.h"
#include "json_csv.h"
#include "output_format.h"
#include "progress_bar.h"

namespace kvlab {
namespace {

ScenarioRunner* g_activeRunner = nullptr;
extern "C" void onInterrupt(int) {
  // Ctrl-C: cancel() only flips an atomic and notifies; the run ends after the current layer and the
  // results so far are still reported and written.
  if (g_activeRunner) g_activeRunner->cancel();
}

// Prints a line per request to stderr (progress) and keeps everything for the report.
class CliObserver final : public RunRecorder {
public:
  explicit CliObserver(bool quiet) : m_bar("run"), m_quiet(quiet) {}
  void onRunStarted(const RunInfo& info) override {
    RunRecorder::onRunStarted(info);
    m_total = info.requestsTotal;
    if (!m_quiet)
      std::fprintf(stderr, "%s: %d requests, model %s (%d layers) on %s, %s cache, %s, max %s; matmul: %s; BLAS: %s\n",
                   info.scenarioName.c_str(), info.requestsTotal, info.model.c_str(), info.layers,
                   info.device.c_str(), std::string(toString(info.granularity)).c_str(), info.policy.c_str(),
                   formatCapacity(info.maxBytes).c_str(), info.matmul.c_str(), info.blas.c_str());
  }
  void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) override {
    RunRecorder::onRequestDone(record, cache);
    m_bar.update(m_total ? double(records().size()) / m_total : 0.0,
                 std::to_string(records().size()) + "/" + std::to_string(m_total) + " requests, hit rate " +
                     std::to_string(int(100 * cache.counters.tokenHitRate())) + "%");
  }

private:
  ProgressBar m_bar;
  bool m_quiet = false;
  int m_total = 0;
};

void printRunReport(const RunRecorder& rec) {
  const RunInfo& i = rec.info();
  const RunSummary& s = rec.summary();
  std::printf("\n%s  (%s)\n", i.scenarioTitle.c_str(), i.scenarioName.c_str());
  std::printf("  model %s (%s), %d layers, device %s (storage %s), matmul %s, BLAS %s\n", i.model.c_str(),
              i.dtype.c_str(), i.layers, i.device.c_str(), i.storageDevice.c_str(), i.matmul.c_str(),
              i.blas.c_str());
  if (!i.weights.empty()) std::printf("  weights %s\n", i.weights.c_str());
  if (i.tokenizer != "bytes")
    std::printf("  tokenizer %s (scenario text as it is, no chat template)\n", i.tokenizer.c_str());
  std::printf(
      "  cache: %s granularity%s, policy %s, max %s, ttl %s\n", std::string(toString(i.granularity)).c_str(),
      i.granularity == Granularity::Block ? (", " + std::to_string(i.blockSize) + "-token blocks").c_str()
                                          : "",
      i.policy.c_str(), formatCapacity(i.maxBytes).c_str(),
      i.ttlMs ? (formatDurationMs(i.ttlMs) + (i.ttlMode == TtlMode::Age ? " (age)" : " (idle)")).c_str()
              : "off");
  std::printf("  requests            %d%s\n", s.requests, s.cancelled ? " (cancelled)" : "");
  if (!s.decode) std::printf("  token hit rate      %.1f %%\n", 100 * s.tokenHitRate);
  if (!i.simulated && s.requests > 0) {
    std::printf("  TTFT cached         %.1f ms mean, %.1f median, %.1f p90\n", s.ttftMsCachedMean,
                s.ttftMsCachedMedian, s.ttftMsCachedP90);
    if (s.ttftMsUncachedMean > 0)
      std::printf("  TTFT uncached       %.1f ms mean, %.1f median, %.1f p90\n", s.ttftMsUncachedMean,
                  s.ttftMsUncachedMedian, s.ttftMsUncachedP90);
    if (const TtftBreakdown& parts = s.ttftBreakdownMs; parts.requests > 0)
      std::printf("  cached TTFT parts   %.1f ms lookup + %.1f assembly + %.1f compute (mean of %d with a hit)\n",
                  parts.lookupMs, parts.assemblyMs, parts.computeMs, parts.requests);
  }
  if (s.speedup > 0)
    std::printf(
        "  speedup             %.2fx measured (95%% CI %.2f-%.2f), %.2fx ideal (FLOPs), measured/ideal "
        "%.2f\n",
        s.speedup, s.speedupCi95[0], s.speedupCi95[1], s.idealSpeedup,
        s.idealSpeedup > 0 ? s.speedup / s.idealSpeedup : 0.0);
  else if (s.idealSpeedup > 0)
    std::printf("  speedup             %.2fx ideal (FLOPs)%s\n", s.idealSpeedup,
                i.simulated ? "; no measured speedup in simulate mode" : "");
  if (!i.simulated && s.outputTokens > 0) {
    if (s.tpotMsMean > 0)
      std::printf("  output tokens       %llu, TPOT %.2f ms mean\n", (unsigned long long)s.outputTokens,
                  s.tpotMsMean);
    else
      std::printf("  output tokens       %llu (first tokens only, from the prefill)\n",
                  (unsigned long long)s.outputTokens);
  }
  if (s.decode) {
    const DecodeComparison& d = *s.decode;
    std::printf(
        "  decode              %u prompt + %zu output tokens: %.0f ms with the K/V cache, %.0f ms without\n",
        d.promptTokens, d.stepMsCached.size(), d.totalMsCached, d.totalMsUncached);
    std::printf(
        "  decode speedup      %.2fx measured, %.2fx ideal (FLOPs); tokens %s, max |logit diff| %.3g\n",
        d.speedup, d.idealSpeedup, d.tokensIdentical ? "identical" : "DIFFER", d.maxAbsLogitDiff);
    if (!d.text.empty())
      std::printf("  decoded text        %s\n", quoteForError(d.text, 400).c_str());
  }
  if (!i.simulated && s.maxAbsLogitDiff >= 0)
    std::printf("  max |logit diff|    %.3g (cached vs uncached, last position)\n", s.maxAbsLogitDiff);
  if (s.matmulGflops > 0) std::printf("  matmul (measured)   %.1f GFLOP/s at start\n", s.matmulGflops);
  std::printf("  build               kvlab %s, git %s, LibTorch %s\n", i.kvlabVersion.c_str(),
              i.gitRevision.c_str(), i.torchVersion.c_str());
  const auto& m = s.cache.counters.missTokens;
  std::printf("  missed tokens       cold %llu, evicted %llu, expired %llu, orphaned %llu\n",
              (unsigned long long)m[0], (unsigned long long)m[1], (unsigned long long)m[2],
              (unsigned long long)m[3]);
  std::printf("  evictions           %llu, expirations %llu, peak %s\n", (unsigned long long)s.evictions,
              (unsigned long long)s.expirations, formatBytes(s.peakBytes).c_str());
  if (s.deviceReservedBytes > 0)
    std::printf("  device memory       %s reserved by LibTorch's allocator (peak %s), cache holds %s\n",
                formatBytes(s.deviceReservedBytes).c_str(), formatBytes(s.devicePeakReservedBytes).c_str(),
                formatBytes(s.cache.usedBytes).c_str());
  if (i.storageDevice != i.device && !i.simulated)
    std::printf("  K/V moved           %s to %s in %.1f ms, %s back in %.1f ms%s\n",
                formatBytes(s.cache.counters.bytesToStorage).c_str(), i.storageDevice.c_str(),
                s.transferMsToStorage, formatBytes(s.cache.counters.bytesToCompute).c_str(),
                s.transferMsToCompute, s.pinnedHostStorage ? " (pinned, side stream)" : "");
  if (i.hostMaxBytes > 0)
    std::printf("  host tier           %s, policy %s\n", formatCapacity(i.hostMaxBytes).c_str(),
                i.hostPolicy.c_str());
  if (!i.remote.empty())
    std::printf("  remote tier         %s, write-%s\n", i.remote.c_str(),
                i.remoteWriteBack ? "back" : "through");
  for (const TierReport& t : s.tiers)
    std::printf(
        "  tier %-7s        %llu hit tokens, %llu hit / %llu missed blocks, %s in, %s out, %.1f ms "
        "transfer%s\n",
        t.name.c_str(), (unsigned long long)t.hitTokens, (unsigned long long)t.hits,
        (unsigned long long)t.misses, formatBytes(t.bytesIn).c_str(), formatBytes(t.bytesOut).c_str(),
        t.transferMs,
        t.remote ? (", errors " + std::to_string(t.errors) + ", timeouts " + std::to_string(t.timeouts) +
                    ", corrupt " + std::to_string(t.corrupt))
                       .c_str()
                 : "");
  std::printf("  elapsed             %.2f s\n", s.elapsedS);
  if (!s.error.empty()) std::printf("  stopped early:      %s\n", s.error.c_str());
}

void printSpread(const char* label, const std::optional<RepeatSpread>& s, const char* format, const char* what) {
  if (!s) return;
  const std::string f = std::string("  %-19s ") + format + " " + what + " (%s-%s)\n";
  char low[32], high[32];
  std::snprintf(low, sizeof low, format, s->low);
  std::snprintf(high, sizeof high, format, s->high);
  std::printf(f.c_str(), label, s->median, low, high);
}

// After each run's own report: the series' medians and ranges, then one line per run.
void printRepeatReport(const std::vector<RunSummary>& runs) {
  const RepeatSummary r = summariseRepeats(runs);
  std::printf("\nRepeated runs  (%d)\n", r.runs);
  printSpread("speedup", r.speedup, "%.2fx", "median");
  printSpread("measured/ideal", r.measuredOverIdeal, "%.3f", "median");
  printSpread("TTFT cached", r.ttftMsCachedMedian, "%.1f ms", "median of the runs' medians");
  printSpread("TTFT uncached", r.ttftMsUncachedMedian, "%.1f ms", "median of the runs' medians");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunSummary& s = runs[i];
    if (s.speedup > 0)
      std::printf("  run %-15zu %.2fx, measured/ideal %.3f, TTFT median %.1f / %.1f ms\n", i + 1, s.speedup,
                  s.idealSpeedup > 0 ? s.speedup / s.idealSpeedup : 0.0, s.ttftMsCachedMedian,
                  s.ttftMsUncachedMedian);
    else
      std::printf("  run %-15zu TTFT median %.1f ms (no baseline)\n", i + 1, s.ttftMsCachedMedian);
  }
}

int runCommand(int argc, char** argv) {
  CLI::App app{
      "Run a scenario with real tensors: every request is prefilled reusing cached K/V, and again "
      "without the cache (baseline), measuring TTFT both ways and comparing logits.",
      "kvlab-cli run"};
  std::string scenario = "repeated-prefix", device = "cpu", storage, granularity, policy, maxSize, ttl, model,
              out, ttlMode, dtype = "fp32", tokenizer;
  bool allowTf32 = false;
  std::uint32_t blockSize = 0;
  std::uint64_t seed = 0;
  std::uint32_t outputTokens = 0;
  int repeat = 1;
  bool noBaseline = false;
  OutputFormatOption format;
  std::string pinBudget, remote, remoteWrite = "through", remoteTimeout = "50ms", hostSize, hostPolicy;
  app.add_option("scenario", scenario,
                 "bundled scenario name (see `kvlab-cli list`), a scenario .json file, or a "
                 "Mooncake .jsonl trace (simulate mode)")
      ->capture_default_str();
  app.add_option("--device", device, "compute device: cpu, cuda, cuda:N or auto")->capture_default_str();
  app.add_option("--dtype", dtype,
                 "weights, activations and cached K/V: fp32, bf16 or fp16 (fp16: CUDA only)")
      ->capture_default_str();
  app.add_flag("--allow-tf32", allowTf32, "let cuBLAS use TF32 for fp32 matrix products (CUDA; default off)");
  app.add_option("--storage", storage,
                 "where cached K/V live: cpu (offload) or cuda; default: the compute device");
  app.add_option("--granularity", granularity, "prompt, block or radix (default: the scenario's)");
  app.add_option("--block-size", blockSize, "tokens per block (block granularity)");
  app.add_option("--policy", policy, "eviction policy: " + policyList(/*forReplay=*/false));
  app.add_option("--max-size", maxSize,
                 "cache max size with a unit, e.g. 512MiB, 2GB; unlimited or inf = no bound");
  app.add_option("--ttl", ttl, "time after which an entry expires, e.g. 30s, 5m; 0 = off (see --ttl-mode)");
  app.add_option("--ttl-mode", ttlMode,
                 "idle (default): the TTL counts from an entry's last use; age: from its insertion");
  app.add_option(
      "--model", model,
      "model: a computable preset for a live run (demo, small, gpu-1b) or a Hugging Face model directory with "
      "safetensors weights (Llama, Mistral, Qwen2, Qwen3; its tokenizer.json tokenizes the scenario); for a "
      "trace (simulate mode) also any preset or config.json (see `kvlab-cli model`)");
  app.add_option("--seed", seed, "scenario seed (prompts)");
  app.add_option("--pin-budget", pinBudget,
                 "pin each request's system prompt within this many bytes, e.g. 64MiB");
  app.add_option("--output-tokens", outputTokens,
                 "tokens each request generates, the first included (default: the scenario's)");
  app.add_option(
      "--remote", remote,
      "remote tier under the cache, shared between processes: redis://[user:password@]host:port[/db] or "
      "redis-cluster://host:port[,...] (block granularity); leave the password out to read it from "
      "KVLAB_REMOTE_PASSWORD or the file KVLAB_REMOTE_PASSWORD_FILE names");
  app.add_option("--remote-write", remoteWrite,
                 "through (default): new blocks go to the remote tier at once; back: only evicted blocks")
      ->capture_default_str();
  app.add_option("--remote-timeout", remoteTimeout, "deadline of each remote operation, e.g. 50ms, 2s")
      ->capture_default_str();
  app.add_option("--host-size", hostSize,
                 "host-memory tier under the cache (block granularity): evicted blocks are demoted there and "
                 "promoted back on a hit; a size with a unit, e.g. 2GiB; unlimited or inf = no bound");
  app.add_option("--host-policy", hostPolicy, "the host tier's eviction policy (default: --policy's)");
  app.add_flag("--no-baseline", noBaseline, "skip the uncached prefill (no speedup, no logit check)");
  app.add_option("--tokenizer", tokenizer,
                 "tokenize the scenario text with this Hugging Face tokenizer.json (byte-level BPE: Llama 3, "
                 "Qwen, DeepSeek, GLM; block or radix granularity) instead of one token per byte; the text is "
                 "used as it is, no chat template (docs/tokenizer.md)");
  app.add_option("--repeat", repeat,
                 "run the whole scenario N times (1-20) and report each run and the median, lowest and highest "
                 "speedup, measured/ideal and TTFT medians (a machine's speed drifts between runs)")
      ->capture_default_str();
  format.addTo(app,
               "one header row, then one row per run: the summary JSON's fields, nested ones joined with '.'");
  app.add_option("--out", out,
                 "write requests.csv, snapshots.csv and summary.json into this directory (with --repeat: into "
                 "its subdirectories run-1, run-2, ...)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  RunSettings settings;
  settings.scenario = scenario;
  settings.device = device;
  settings.dtype = parseComputeDtype(dtype);
  settings.allowTf32 = allowTf32;
  settings.storageDevice = storage;
  settings.tokenizerPath = tokenizer;
  if (!granularity.empty()) settings.granularity = parseGranularity(granularity);
  if (blockSize) settings.blockSize = blockSize;
  if (app.count("--block-size") && blockSize == 0)
    throw InputError("", 0, "block-size", "must be at least 1 token");
  if (!policy.empty()) settings.policy = policy;
  if (!maxSize.empty()) {
    settings.maxBytes = parseSizeOrUnlimited(maxSize, "max-size");
    if (*settings.maxBytes == 0) throw InputError("", 0, "max-size", "must be more than 0 bytes");
  }
  if (!ttl.empty()) settings.ttlMs = parseDurationMs(ttl, "ttl");
  if (!ttlMode.empty()) settings.ttlMode = parseTtlMode(ttlMode, "ttl-mode");
  if (!model.empty()) settings.model = model;
  if (app.count("--seed")) settings.seed = seed;
  if (app.count("--output-tokens")) {
    if (outputTokens == 0 || outputTokens > 100000)
      throw InputError("", 0, "output-tokens", "must be an integer in [1, 100000]");
    settings.outputTokens = outputTokens;
  }
  if (!pinBudget.empty()) settings.pinnedBudgetBytes = parseSize(pinBudget, "pin-budget");
  settings.baseline = !noBaseline;
  if (remoteWrite != "through" && remoteWrite != "back")
    throw InputError("", 0, "remote-write", "must be through or back, got " + quoteForError(remoteWrite));
  if (!remote.empty()) {
    RemoteUrl::parse(remote, "remote");  // a malformed URL fails here, before the model loads
    const std::int64_t timeoutMs = parseDurationMs(remoteTimeout, "remote-timeout");
    if (timeoutMs < 1 || timeoutMs > 600'000)
      throw InputError("", 0, "remote-timeout",
                       "must be between 1ms and 10m, got " + quoteForError(remoteTimeout));
    settings.remoteUrl = remote;
    settings.remoteWriteBack = remoteWrite == "back";
    settings.remoteTimeoutMs = int(timeoutMs);
  }

  if (!hostSize.empty()) {
    settings.hostMaxBytes = parseSizeOrUnlimited(hostSize, "host-size");
    if (settings.hostMaxBytes == 0) throw InputError("", 0, "host-size", "must be more than 0 bytes");
  }
  if (!hostPolicy.empty()) {
    if (hostSize.empty()) throw InputError("", 0, "host-policy", "needs --host-size (a host tier)");
    if (!findPolicy(hostPolicy))
      throw InputError("", 0, "host-policy", unknownPolicyMessage(hostPolicy, /*forReplay=*/false));
    settings.hostPolicy = hostPolicy;
  }

  if (repeat < 1 || repeat > 20) throw InputError("", 0, "repeat", "must be an integer in [1, 20]");
  if (repeat > 1 && !remote.empty())
    throw InputError("", 0, "repeat",
                     "cannot repeat a run with --remote: the remote tier keeps the first run's blocks, so the "
                     "runs would not start alike");

  ScenarioRunner runner;
  std::vector<RunInfo> infos;
  std::vector<RunSummary> summaries;
  bool failed = false;
  for (int i = 0; i < repeat; ++i) {
    CliObserver observer(/*quiet=*/!format.table());
    g_activeRunner = &runner;
    std::signal(SIGINT, onInterrupt);
    runner.run(settings, observer, i + 1);
    g_activeRunner = nullptr;
    const std::string dir =
        out.empty() || repeat == 1 ? out : (std::filesystem::path(out) / ("run-" + std::to_string(i + 1))).string();
    if (!dir.empty()) observer.writeAll(dir);
    infos.push_back(observer.info());
    summaries.push_back(observer.summary());
    if (format.table()) {
      printRunReport(observer);
      if (!dir.empty())
        std::printf("  wrote               %s/{requests.csv,snapshots.csv,summary.json}\n", dir.c_str());
    }
    failed = failed || !observer.summary().error.empty();
    if (failed || observer.summary().cancelled) break;  // a stopped run ends the series; what ran is reported
  }
  if (format.json()) {
    std::cout << (repeat == 1 ? summaryJson(infos.front(), summaries.front()) : repeatJson(infos, summaries))
              << '\n';
  } else if (format.csv()) {
    std::fflush(stdout);  // the CSV goes through std::cout
    std::vector<nlohmann::ordered_json> rows;
    for (std::size_t i = 0; i < infos.size(); ++i)
      rows.push_back(nlohmann::ordered_json::parse(summaryJson(infos[i], summaries[i])));
    writeJsonRowsCsv(std::cout, rows);
    std::cout.flush();
  } else if (repeat > 1) {
    printRepeatReport(summaries);
  }
  return failed ? 1 : 0;
}

int verifyCommand(int argc, char** argv) {
  CLI::App app{
      "Check that prefill with a cached prefix gives the same logits as prefill without it, for every "
      "granularity (max abs difference of the last position's logits <= tolerance). Exit 0 only if so.",
      "kvlab-cli verify"};
  VerifyOptions options;
  std::string dtype = "fp32";
  app.add_option("--device", options.device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  app.add_option("--dtype", dtype, "model dtype: fp32, bf16 or fp16 (fp16: CUDA only)")
      ->capture_default_str();
  app.add_flag("--allow-tf32", options.allowTf32, "let cuBLAS use TF32 for fp32 matrix products (CUDA)");
  app.add_option("--storage", options.storageDevice, "where cached K/V live (default: the compute device)");
  app.add_option("--model", options.model, "computable model preset")->capture_default_str();
  app.add_option("--prompts", options.prompts, "random prompts per granularity")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000));
  app.add_option("--seed", options.seed, "prompt seed")->capture_default_str();
  app.add_option("--tolerance", options.tolerance,
                 "max abs logit difference allowed (default per dtype: fp32 " +
                     std::to_string(defaultVerifyTolerance(ComputeDtype::Fp32)) + ", bf16 " +
                     std::to_string(defaultVerifyTolerance(ComputeDtype::Bf16)) + ", fp16 " +
                     std::to_string(defaultVerifyTolerance(ComputeDtype::Fp16)) + "; docs/gpu.md)")
      ->check(CLI::NonNegativeNumber);
  OutputFormatOption format;
  format.addTo(app, "one header row, then one row per granularity");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  options.dtype = parseComputeDtype(dtype);
  const VerifyReport report = verifyPrefixReuse(options);
  std::vector<nlohmann::ordered_json> rows;
  for (const VerifyRow& row : report.rows)
    rows.push_back(nlohmann::ordered_json{{"model", report.model},
                                          {"dtype", report.dtype},
                                          {"device", report.device},
                                          {"tolerance", report.tolerance},
                                          {"granularity", std::string(toString(row.granularity))},
                                          {"prompts", row.prompts},
                                          {"prompts_with_hits", row.promptsWithHits},
                                          {"hit_tokens", row.hitTokens},
                                          {"max_abs_logit_diff", row.maxAbsLogitDiff},
                                          {"passed", row.passed}});
  if (format.json()) {
    const nlohmann::ordered_json j{{"model", report.model},     {"dtype", report.dtype},
                                   {"device", report.device},   {"tolerance", report.tolerance},
                                   {"passed", report.passed()}, {"rows", rows}};
    std::cout << j.dump(2) << '\n';
  } else if (format.csv()) {
    std::fflush(stdout);  // the CSV goes through std::cout
    writeJsonRowsCsv(std::cout, rows);
    std::cout.flush();
  } else {
    std::printf("verify: model %s (%s) on %s, tolerance %g\n", report.model.c_str(), report.dtype.c_str(),
                report.device.c_str(), report.tolerance);
    for (const VerifyRow& row : report.rows)
      std::printf("  %-7s %3d prompts, %3d reused a prefix (%llu tokens), max |logit diff| %.3g  %s\n",
                  std::string(toString(row.granularity)).c_str(), row.prompts, row.promptsWithHits,
                  (unsigned long long)row.hitTokens, row.maxAbsLogitDiff, row.passed ? "PASS" : "FAIL");
    std::printf("%s\n", report.passed() ? "verify: PASS" : "verify: FAIL");
  }
  return report.passed() ? 0 : 1;
}

// Prefill benchmark figures: printed as a table line by line, or collected into one JSON object.
class BenchReport {
public:
  explicit BenchReport(bool table) : m_table(table) {}
  // A table line (printf format), printed only in table mode.
  template <typename... Args>
  void line(const char* format, Args... args) {
    if (m_table) std::printf(format, args...);
  }
  nlohmann::ordered_json& json() { return m_json; }

private:
  bool m_table = true;
  nlohmann::ordered_json m_json;
};

nlohmann::ordered_json prefillJson(const PrefillBench& b, int tokens, int cachedTokens) {
  return nlohmann::ordered_json{{"tokens", tokens},
                                {"cached_tokens", cachedTokens},
                                {"gflops", b.gflops},
                                {"tokens_per_s", b.tokensPerSecond},
                                {"ms", 1e3 * b.seconds}};
}

// `bench --device cuda[:N]`: a loop of GEMMs in fp32 and the requested dtype, each loop timed between two
// device barriers, then gpu-1b prefills in that dtype against the dtype's GEMM rate.
void benchDevice(const std::string& device, ComputeDtype dtype, BenchReport& report) {
  setAllowTf32(false);
  const std::string dtypeName(toString(dtype));
  report.line("device bench on %s (LibTorch %s, TF32 off)\n", device.c_str(), torchVersion().c_str());
  auto& j = report.json();
  j["device"] = device;
  j["dtype"] = dtypeName;
  j["libtorch"] = torchVersion();
  j["tf32"] = false;
  constexpr int kN = 4096, kGemms = 50;
  const double fp32 = measureGemmLoopGflops(kN, kGemms, device, ComputeDtype::Fp32);
  report.line("  matmul %dx%d fp32, loop of %d     %8.1f GFLOP/s\n", kN, kN, kGemms, fp32);
  j["matmul_fp32_gflops"] = fp32;
  double roof = fp32;
  if (dtype != ComputeDtype::Fp32) {
    roof = measureGemmLoopGflops(kN, kGemms, device, dtype);
    report.line("  matmul %dx%d %s, loop of %d     %8.1f GFLOP/s\n", kN, kN, dtypeName.c_str(), kGemms, roof);
    j["matmul_" + dtypeName + "_gflops"] = roof;
  }
  j["prefill"] = nlohmann::ordered_json::object();
  for (const int tokens : {1024, 4096}) {
    const PrefillBench b = benchPrefill("gpu-1b", tokens, device, 0, dtype);
    report.line(
        "  gpu-1b %s prefill %4d tokens  %8.1f GFLOP/s  %9.0f tokens/s  %7.1f ms  (%3.0f %% of matmul)\n",
        dtypeName.c_str(), tokens, b.gflops, b.tokensPerSecond, 1e3 * b.seconds, 100 * b.gflops / roof);
    j["prefill"]["gpu-1b_" + std::to_string(tokens)] = prefillJson(b, tokens, 0);
  }
  const PrefillBench hit = benchPrefill("gpu-1b", 4096 + 256, device, 4096, dtype);
  report.line("  gpu-1b cached 4096 + 256 new     %8.1f GFLOP/s  %7.1f ms\n", hit.gflops, 1e3 * hit.seconds);
  j["prefill"]["gpu-1b_cached_4096_new_256"] = prefillJson(hit, 4096 + 256, 4096);
}

void benchCpu(ComputeDtype dtype, BenchReport& report) {
  const std::string dtypeName(toString(dtype));
  report.line("prefill bench (matrix products: %s; BLAS: %s, LibTorch %s, %d compute thread%s)\n",
              cpuMatmulBackend().c_str(), blasLibrary().c_str(),
              torchVersion().c_str(), computeThreads(), computeThreads() == 1 ? "" : "s");
  auto& j = report.json();
  j["device"] = "cpu";
  j["dtype"] = dtypeName;
  j["matmul"] = cpuMatmulBackend();
  j["blas"] = blasLibrary();
  j["libtorch"] = torchVersion();
  j["compute_threads"] = computeThreads();
  if (dtype != ComputeDtype::Fp32) {
    const double gflops = measureGemmLoopGflops(512, 20, "cpu", dtype);
    report.line("  matmul 512x512 %s, loop of 20  %7.1f GFLOP/s\n", dtypeName.c_str(), gflops);
    j["matmul_512_" + dtypeName + "_gflops"] = gflops;
  }
  const double matmul = measureMatmulGflops(1024, "cpu");
  report.line("  matmul 1024x1024 fp32          %7.1f GFLOP/s\n", matmul);
  j["matmul_1024_fp32_gflops"] = matmul;
  j["prefill"] = nlohmann::ordered_json::object();
  for (const int tokens : {512, 1024, 2048}) {
    const PrefillBench b = benchPrefill("demo", tokens, "cpu", 0, dtype);
    report.line("  demo %s prefill %4d tokens   %7.1f GFLOP/s  %8.0f tokens/s  (%3.0f %% of fp32 matmul)\n",
                dtypeName.c_str(), tokens, b.gflops, b.tokensPerSecond, 100 * b.gflops / matmul);
    j["prefill"]["demo_" + std::to_string(tokens)] = prefillJson(b, tokens, 0);
  }
  // What a cache hit leaves to compute: a few new tokens over a long cached prefix. Small GEMMs are where
  // threading a product stops paying, so both thread counts are shown (matrix-product threads: oneDNN's
  // and OpenBLAS's, setBlasThreads sets both).
  const int maxThreads = std::max(blasThreads(), cpuMatmulThreads());
  const std::vector<int> threadCounts =
      maxThreads > 1 ? std::vector<int>{1, maxThreads} : std::vector<int>{1};
  for (const int newTokens : {50, 200}) {
    for (const int threads : threadCounts) {
      setBlasThreads(threads);
      const PrefillBench b = benchPrefill("demo", 1500 + newTokens, "cpu", 1500, dtype);
      report.line(
          "  demo cached 1500 + %3d new, %d thread%s      %6.1f GFLOP/s  %6.1f ms  (%3.0f %% of matmul)\n",
          newTokens, threads, threads == 1 ? " " : "s", b.gflops, 1e3 * b.seconds, 100 * b.gflops / matmul);
      nlohmann::ordered_json one = prefillJson(b, 1500 + newTokens, 1500);
      one["blas_threads"] = threads;  // matrix-product threads, under the key's earlier name
      j["prefill"]["demo_cached_1500_new_" + std::to_string(newTokens) + "_threads_" +
                   std::to_string(threads)] = std::move(one);
    }
  }
  setBlasThreads(maxThreads);
}

int benchPrefillCommand(int argc, char** argv) {
  CLI::App app{"prefill benchmark", "kvlab-cli bench"};
  std::string device = "cpu", dtypeName = "fp32";
  app.add_option("--device", device);
  app.add_option("--dtype", dtypeName);
  OutputFormatOption format;
  format.addTo(app, "one header row, then one row: the JSON object's fields, nested ones joined with '.'");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  const ComputeDtype dtype = parseComputeDtype(dtypeName);
  const std::string resolved = resolveDevice(device);
  if (resolved == "cpu" && dtype == ComputeDtype::Fp16)
    throw InputError("", 0, "dtype", "fp16 needs a CUDA device; on the CPU use bf16 or fp32");
  BenchReport report(format.table());
  if (resolved != "cpu")
    benchDevice(resolved, dtype, report);
  else
    benchCpu(dtype, report);
  if (format.json()) {
    std::cout << report.json().dump(2) << '\n';
  } else if (format.csv()) {
    std::fflush(stdout);  // the CSV goes through std::cout
    writeJsonObjectCsv(std::cout, report.json());
    std::cout.flush();
  }
  return 0;
}

// `list --devices`: the compute devices as one JSON object (kvlab-cli prints it in the list's format).
int listCompute() {
  const std::string noCuda = cudaUnavailableReason();
  const nlohmann::ordered_json j{
      {"devices",
       nlohmann::ordered_json::array(
           {{{"name", "cpu"}, {"description", "BLAS " + blasLibrary()}},
            {{"name", "cuda"}, {"description", noCuda.empty() ? "available" : "not available: " + noCuda}},
            {{"name", "cuda:N"}, {"description", std::to_string(cudaDeviceCount()) + " GPU(s) visible"}}})},
      {"libtorch", torchVersion()},
      {"attention_kernel", attentionKernel()}};
  std::cout << j.dump(2) << '\n';
  return 0;
}

}  // namespace
}  // namespace kvlab

extern "C" __attribute__((visibility("default"))) int kvlab_compute_main(int argc, char** argv) {
  using namespace kvlab;
  const std::string command = argc > 0 ? argv[0] : "";
  try {
    if (command == "run") return runCommand(argc, argv);
    if (command == "verify") return verifyCommand(argc, argv);
    if (command == "bench-prefill") return benchPrefillCommand(argc, argv);
    if (command == "list-compute") return listCompute();
    std::fprintf(stderr, "kvlab-cli: unknown compute command '%s'\n", command.c_str());
    return 2;
  } catch (const InputError& e) {
    std::fprintf(stderr, "kvlab-cli %s: %s\n", command.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvlab-cli %s: error: %s\n", command.c_str(), e.what());
    return 1;
  }
}
