// SPDX-License-Identifier: MIT
// kvlab-cli bench: replay speed in process (parse only, replay loop only, both streaming), whole processes
// timed from outside (kvlab-cli replay itself and, optionally, the Python reference on the same file),
// optionally on a scaled copy of the trace; then prefill throughput through the compute module.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "compute_bridge.h"
#include "core/util/input_error.h"
#include "core/trace/scaled_trace.h"
#include "core/trace/trace.h"
#include "json_csv.h"
#include "output_format.h"
#include "replay_commands.h"
#include "replay_options.h"
#include "timed_process.h"
#include "tokenizer_bench.h"

namespace kvlab {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct ProcessFigures {
  std::string label;
  std::vector<double> wallS, cpuS;
  long maxRssKiB = 0;
  nlohmann::json result;  // the last run's JSON output
};

// Runs argv `runs` times; throws if a run fails or prints something that is not JSON.
ProcessFigures timeProcess(const std::string& label, const std::vector<std::string>& argv, int runs) {
  ProcessFigures f;
  f.label = label;
  for (int i = 0; i < runs; ++i) {
    const TimedProcess p = runTimedProcess(argv);
    if (p.exitCode != 0)
      throw std::runtime_error(label + " failed (exit " + std::to_string(p.exitCode) + "): " + p.errorText);
    f.wallS.push_back(p.wallS);
    f.cpuS.push_back(p.cpuS);
    f.maxRssKiB = std::max(f.maxRssKiB, p.maxRssKiB);
    f.result = nlohmann::json::parse(p.output, nullptr, /*allow_exceptions=*/false);
    if (f.result.is_discarded())
      throw std::runtime_error(label + " printed no JSON: " + p.output.substr(0, 200));
  }
  return f;
}

nlohmann::ordered_json processJson(const ProcessFigures& f) {
  return nlohmann::ordered_json{{"median_wall_s", median(f.wallS)},
                                {"best_wall_s", *std::min_element(f.wallS.begin(), f.wallS.end())},
                                {"median_cpu_s", median(f.cpuS)},
                                {"peak_rss_mib", double(f.maxRssKiB) / 1024.0},
                                {"runs", f.wallS.size()}};
}

void printProcess(const ProcessFigures& f, bool table) {
  if (!table) return;
  std::printf("  %-34s median %8.3f s wall (best %.3f), %8.3f s CPU, peak RSS %6.1f MiB, %zu runs\n",
              f.label.c_str(), median(f.wallS), *std::min_element(f.wallS.begin(), f.wallS.end()),
              median(f.cpuS), double(f.maxRssKiB) / 1024.0, f.wallS.size());
}

std::string defaultScaledPath(const std::string& trace, std::uint32_t copies) {
  const std::filesystem::path source(trace);
  return (std::filesystem::temp_directory_path() /
          (source.stem().string() + "-x" + std::to_string(copies) + source.extension().string()))
      .string();
}

}  // namespace

CommandAction addBenchCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench",
                                 "Measure replay speed (block lookups per second, parsing excluded and "
                                 "included, whole processes) and, with the compute module, prefill "
                                 "throughput");
  auto text = std::make_shared<ReplayOptionText>();
  text->maxTokens = "1000000";
  auto noPrefill = std::make_shared<bool>(false);
  auto seconds = std::make_shared<double>(2.0);
  auto scale = std::make_shared<std::uint32_t>(1);
  auto scaledPath = std::make_shared<std::string>();
  auto runs = std::make_shared<int>(3);
  auto reference = std::make_shared<std::string>();
  cmd->add_option("trace", text->trace,
                  "trace to replay, any supported format (optional: without it only prefill is measured); with "
                  "--tokenizer, the text file to tokenize");
  addInputFormatOption(*cmd, text->inputFormat);
  auto tokenizer = std::make_shared<std::string>();
  cmd->add_option("--tokenizer", *tokenizer,
                  "measure this Hugging Face tokenizer.json instead (encode/decode MB/s on the text file, single "
                  "thread; docs/tokenizer.md)");
  // --tokenizer is the tokenizer benchmark's here: a prompts trace of text takes its tokenizer this way.
  addPromptTextOptions(*cmd, text->prompts, "--trace-tokenizer");
  cmd->add_option("--max-tokens", text->maxTokens, "cache size in tokens for the replay")
      ->capture_default_str();
  cmd->add_option("--policy", text->policy, "eviction policy")->capture_default_str();
  cmd->add_option("--block-size", text->blockSize, "tokens per block key (default: the trace's own)");
  cmd->add_option("--seconds", *seconds, "minimum time to repeat the in-memory replay loop")
      ->check(CLI::Range(0.0, 3600.0))  // 1e300 would loop for ever
      ->capture_default_str();
  cmd->add_option("--scale", *scale,
                  "benchmark N back-to-back copies of the trace with fresh ids and shifted timestamps "
                  "(written once, then kept; see --scaled-trace)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--scaled-trace", *scaledPath,
                  "where --scale writes the scaled trace (default: TMPDIR/<trace>-xN.jsonl)");
  cmd->add_option("--runs", *runs, "runs of each whole process (the median is reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--reference", *reference,
                  "also time `python3 FILE TRACE --max-tokens N` (tools/replay_reference.py; lru or fifo) "
                  "and check that it counts the same hits");
  cmd->add_flag("--no-prefill", *noPrefill, "skip the prefill benchmark (no LibTorch loaded)");
  auto device = std::make_shared<std::string>("cpu");
  auto dtype = std::make_shared<std::string>("fp32");
  auto format = std::make_shared<OutputFormatOption>();
  cmd->add_option("--device", *device, "prefill/GEMM benchmark device: cpu, cuda or cuda:N")
      ->capture_default_str();
  cmd->add_option("--dtype", *dtype, "prefill/GEMM benchmark dtype: fp32, bf16 or fp16 (CUDA only)")
      ->capture_default_str();
  format->addTo(*cmd, "one header row, then one row: the JSON object's fields, nested ones joined with '.'");
  cmd->footer(
      "Example (the README's replay-at-scale figures):\n"
      "  kvlab-cli bench conversation_trace.jsonl --no-prefill --scale 20 --reference "
      "tools/replay_reference.py\n"
      "Tokenizer speed:\n"
      "  kvlab-cli bench --tokenizer tokenizer.json text.txt");
  return [cmd, text, noPrefill, seconds, scale, scaledPath, runs, reference, device, dtype, format,
          tokenizer]() -> int {
    if (!cmd->parsed()) return -1;
    const bool table = format->table();
    nlohmann::ordered_json report;  // every figure, for --format json / csv
    const auto emit = [&format, &report](int code) {
      if (format->json()) {
        std::cout << report.dump(2) << '\n';
      } else if (format->csv()) {
        std::fflush(stdout);  // the CSV goes through std::cout
        writeJsonObjectCsv(std::cout, report);
        std::cout.flush();
      }
      return code;
    };
    if (!tokenizer->empty()) {
      if (text->trace.empty())
        throw InputError("", 0, "tokenizer", "bench --tokenizer needs a text file to tokenize (bench --tokenizer "
                                             "tokenizer.json TEXTFILE)");
      report["tokenizer"] = runTokenizerBench(*tokenizer, text->trace, *seconds, table);
      return emit(0);
    }
    if (!text->trace.empty()) {
      const TraceInfo traceInfo = probeTrace(*text);
      requireBlockIds(traceInfo, "bench");
      ReplayConfig config = configForTrace(traceInfo, toReplayConfig(*text, traceInfo));
      if (!reference->empty() && config.policy != "lru" && config.policy != "fifo")
        throw InputError(
            "", 0, "policy",
            "the Python reference implements lru and fifo only, got " + quoteForError(config.policy));
      std::string trace = text->trace;
      if (*scale > 1) {
        trace = scaledPath->empty() ? defaultScaledPath(text->trace, *scale) : *scaledPath;
        const auto t0 = std::chrono::steady_clock::now();
        const ScaledTraceInfo info =
            writeScaledTrace(text->trace, trace, *scale, [&] {
              TraceOpenOptions options = config.traceOpenOptions();
              options.format = traceInfo.format;
              return options;
            }());
        config.inputFormat = "mooncake";  // the scaled copy is Mooncake lines of the trace's chained keys
        report["scaled_trace"] = nlohmann::ordered_json{{"path", trace},
                                                        {"copies", *scale},
                                                        {"id_stride", info.scaling.idStride},
                                                        {"time_stride_ms", info.scaling.timeStrideMs}};
        if (table)
          std::printf(
              "scaled trace: %s = %u copies of %s (copy k: ids + k x %llu, timestamps + k x %lld ms), "
              "written in %.2f s\n",
              trace.c_str(), *scale, text->trace.c_str(), (unsigned long long)info.scaling.idStride,
              (long long)info.scaling.timeStrideMs, secondsSince(t0));
      }
      // Whole processes, timed from outside on equal terms, first: a child's peak RSS as the kernel reports
      // it includes this process's RSS at the spawn (exec keeps the high-water mark), so it is measured while
      // this process is still small, before the in-process figures load the whole trace.
      const std::string maxTokens = std::to_string(config.maxTokens);
      const std::string blockSize = std::to_string(config.blockSize);
      if (!reference->empty() && config.inputFormat != "mooncake")
        throw InputError("", 0, "reference",
                         "the Python reference reads Mooncake lines; this is a " + traceInfo.format +
                             " trace (add --scale 2 or more, which writes the scaled copy as Mooncake lines)");
      if (table) std::printf("whole processes (spawn to exit):\n");
      std::vector<std::string> replayArgs{currentExecutablePath(), "replay", trace, "--input-format",
                                          config.inputFormat, "--max-tokens", maxTokens, "--block-size", blockSize,
                                          "--policy", config.policy, "--json"};
      if (config.inputFormat == "prompts" && !config.prompts.tokenizerPath.empty())
        replayArgs.insert(replayArgs.end(), {"--tokenizer", config.prompts.tokenizerPath, "--chat-template",
                                             config.prompts.chatTemplate});
      const ProcessFigures ours = timeProcess("kvlab-cli replay", replayArgs, *runs);
      printProcess(ours, table);
      report["processes"]["kvlab_cli_replay"] = processJson(ours);
      if (!reference->empty()) {
        const ProcessFigures python =
            timeProcess("python3 " + std::filesystem::path(*reference).filename().string(),
                        {"python3", *reference, trace, "--max-tokens", maxTokens, "--block-size", blockSize,
                         "--policy", config.policy},
                        *runs);
        printProcess(python, table);
        report["processes"]["python_reference"] = processJson(python);
        bool same = true;
        for (const char* key : {"hit_tokens", "hit_blocks", "evictions", "prompt_tokens", "blocks"})
          same = same && ours.result.value(key, -1LL) == python.result.value(key, -2LL);
        report["reference_hit_counts_identical"] = same;
        if (table)
          std::printf("  kvlab-cli replay is %.1fx faster (median wall), %.1fx less CPU; hit counts %s\n",
                      median(python.wallS) / median(ours.wallS), median(python.cpuS) / median(ours.cpuS),
                      same ? "identical" : "DIFFER");
        if (!same) return emit(1);
      }
      // Each in-process figure is the best of a few passes: single passes of a few milliseconds are at
      // the mercy of the scheduler.
      constexpr int kFilePasses = 5;
      std::vector<TraceRequest> requests;
      double parseS = 1e300;
      for (int pass = 0; pass < kFilePasses; ++pass) {
        requests.clear();
        const auto t0 = std::chrono::steady_clock::now();
        requests = loadTrace(trace, config.traceOpenOptions()).requests;
        parseS = std::min(parseS, secondsSince(t0));
      }
      std::uint64_t blocks = 0;
      for (const TraceRequest& r : requests) blocks += r.hashIds.size();
      // Replay loop only: repeat fresh replays until --seconds have passed; report the best pass.
      double best = 1e300, total = 0;
      int passes = 0;
      double hitRate = 0;
      while (total < *seconds || passes < 3) {
        const std::unique_ptr<Replayer> replayer = makeReplayer(config);  // as kvlab-cli replay picks it
        const auto s = std::chrono::steady_clock::now();
        for (const TraceRequest& r : requests) replayer->replay(r);
        const double dt = secondsSince(s);
        best = std::min(best, dt);
        total += dt;
        ++passes;
        hitRate = replayer->result().tokenHitRate();
      }
      const std::size_t requestCount = requests.size();
      std::vector<TraceRequest>().swap(requests);  // the streaming figures below hold no whole trace
      double wholeS = 1e300;
      for (int pass = 0; pass < kFilePasses; ++pass)
        wholeS = std::min(wholeS, replayTraceFile(trace, config).elapsedS);
      report["replay"] = nlohmann::ordered_json{{"trace", trace},
                                                {"trace_format", config.inputFormat},
                                                {"requests", requestCount},
                                                {"block_lookups", blocks},
                                                {"policy", config.policy},
                                                {"max_tokens", config.maxTokens},
                                                {"token_hit_rate", hitRate},
                                                {"parse_s", parseS},
                                                {"loop_s", best},
                                                {"loop_passes", passes},
                                                {"parse_and_replay_s", wholeS},
                                                {"loop_block_lookups_per_s", double(blocks) / best}};
      if (table) {
        std::printf(
            "replay bench: %s (%s), %zu requests, %llu block lookups, policy %s, %llu tokens, hit rate %.2f%%\n",
            trace.c_str(), config.inputFormat.c_str(), requestCount, (unsigned long long)blocks, config.policy.c_str(),
            (unsigned long long)config.maxTokens, 100 * hitRate);
        std::printf("  parse only           %8.3f s  (%6.1f M blocks/s, best of %d)\n", parseS,
                    double(blocks) / parseS / 1e6, kFilePasses);
        std::printf(
            "  replay loop          %8.4f s  (%6.1f M block lookups/s, best of %d passes, single thread)\n",
            best, double(blocks) / best / 1e6, passes);
        std::printf(
            "  parse + replay       %8.3f s  (%6.1f M block lookups/s, streaming from the file, best of "
            "%d)\n",
            wholeS, double(blocks) / wholeS / 1e6, kFilePasses);
      }
    }
    if (*noPrefill) return emit(0);
    if (!computeModuleAvailable()) {
      if (table) std::printf("prefill bench: skipped (no compute module in this build)\n");
      report["prefill"] = nullptr;
      return emit(0);
    }
    if (table) return runComputeCommand({"bench-prefill", "--device", *device, "--dtype", *dtype});
    std::string prefill;
    const int code = runComputeCommandCapturing(
        {"bench-prefill", "--device", *device, "--dtype", *dtype, "--format", "json"}, prefill);
    if (code != 0) return code;
    report["prefill"] = nlohmann::ordered_json::parse(prefill, nullptr, /*allow_exceptions=*/false);
    if (report["prefill"].is_discarded())
      throw std::runtime_error("the prefill bench printed no JSON: " + prefill.substr(0, 200));
    return emit(0);
  };
}

}  // namespace kvlab
