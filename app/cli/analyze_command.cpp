// SPDX-License-Identifier: MIT
#include "analyze_command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include "core/hardware/prefill_cost.h"
#include "core/replay/replay_warmup.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "json_csv.h"
#include "model_options.h"
#include "output_format.h"
#include "replay_options.h"
#include "serving_options.h"

namespace kvlab {

namespace {

using nlohmann::ordered_json;

struct AnalyzeText {
  std::string trace;
  std::string inputFormat;
  std::string blockSize;
  std::string warmup;
  std::string model;  // "" = sizes in blocks only
  std::string kvDtype;
  std::string hardware;  // "" = no time figures
  bool skipBadLines = false;
  PromptTextOptions prompts;  // --tokenizer, --chat-template (the prompts format)
};

// Prefill time the cache saves (cost model): hit tokens x the from-scratch prefill seconds per token of the
// trace's mean prompt on --model and --hardware, as the Tune page prices it. secondsPerToken 0 = not asked.
struct PrefillPrice {
  double secondsPerToken = 0;
  std::string
      label;  // "cost model: <model> on <hardware>, <us> us per token at <n> prompt tokens (the mean)"
  double saved(std::uint64_t hitTokens) const { return secondsPerToken * double(hitTokens); }
};

ordered_json labelRows(const std::vector<LabelBound>& rows) {
  ordered_json out = ordered_json::array();
  for (const LabelBound& r : rows)
    out.push_back(ordered_json{{"label", r.label},
                               {"requests", r.requests},
                               {"prompt_tokens", r.promptTokens},
                               {"infinite_hit_tokens", r.hitTokens},
                               {"infinite_hit_rate", r.hitRate()}});
  return out;
}

ordered_json sizeJson(std::uint64_t blocks, const TraceAnalysis& a, std::uint64_t bytesPerToken) {
  ordered_json j{{"capacity_blocks", blocks}, {"capacity_tokens", blocks * a.blockSize}};
  if (bytesPerToken) j["capacity_bytes"] = blocks * a.blockSize * bytesPerToken;
  return j;
}

void printLabels(const char* title, const std::vector<LabelBound>& rows) {
  if (rows.empty()) return;
  std::printf("  by %s:\n", title);
  for (const LabelBound& r : rows)
    std::printf("    %-24s %8llu requests %14llu tokens  bound %7.3f %%\n", r.label.c_str(),
                (unsigned long long)r.requests, (unsigned long long)r.promptTokens, 100.0 * r.hitRate());
}

void printTable(const TraceAnalysis& a, std::uint64_t bytesPerToken, const PrefillPrice& price) {
  std::printf(
      "analyze: %s trace, %llu requests measured (%llu warmup), %llu prompt tokens, blocks of %u tokens\n",
      a.format.c_str(), (unsigned long long)a.requests, (unsigned long long)a.warmupRequests,
      (unsigned long long)a.promptTokens, a.blockSize);
  if (!a.tokenization.empty()) std::printf("tokens: %s\n", a.tokenization.c_str());
  std::printf("infinite cache (prefix reuse)  %7.3f %%  (%llu of %llu tokens)\n", 100.0 * a.infiniteHitRate(),
              (unsigned long long)a.infiniteHitTokens, (unsigned long long)a.promptTokens);
  if (price.secondsPerToken > 0)
    std::printf("  prefill saved at the bound  %.1f s (%s)\n", price.saved(a.infiniteHitTokens),
                price.label.c_str());
  if (a.chunkHitTokens)
    std::printf(
        "chunk-level reuse (any earlier occurrence, CacheBlend-style)  %7.3f %% (%llu): +%llu tokens "
        "prefix caching cannot reuse\n",
        100.0 * a.chunkHitRate(), (unsigned long long)*a.chunkHitTokens,
        (unsigned long long)(*a.chunkHitTokens > a.infiniteHitTokens ? *a.chunkHitTokens - a.infiniteHitTokens
                                                                     : 0));
  std::printf("footprint  %llu distinct blocks, %llu tokens", (unsigned long long)a.distinctBlocks,
              (unsigned long long)a.footprintTokens);
  if (bytesPerToken) std::printf(" (%s of K/V)", formatBytes(a.footprintTokens * bytesPerToken).c_str());
  std::printf("\n");
  printLabels("segment", a.bySegment);
  printLabels("request type", a.byRequestType);
  printLabels("model", a.byModel);
  if (!a.bySession.empty()) {
    std::printf("  %llu sessions; the largest:\n", (unsigned long long)a.sessions);
    printLabels("session", a.bySession);
  }
  std::printf(
      "reusable prefix per request  %llu of %llu requests reuse; mean %.0f tokens, p50 %llu, p90 %llu, "
      "p99 %llu, max %llu\n",
      (unsigned long long)a.requestsWithReuse, (unsigned long long)a.requests, a.meanReusableTokens,
      (unsigned long long)a.reusableP50, (unsigned long long)a.reusableP90, (unsigned long long)a.reusableP99,
      (unsigned long long)a.reusableMax);
  if (!a.topPrefixes.empty()) {
    std::printf("top shared prefixes (longest prefix a set of requests shares):\n");
    std::printf("    %8s %10s %10s %14s\n", "blocks", "tokens", "requests", "tokens saved");
    for (const SharedPrefix& p : a.topPrefixes)
      std::printf("    %8llu %10llu %10llu %14llu\n", (unsigned long long)p.blocks,
                  (unsigned long long)p.tokens, (unsigned long long)p.requests,
                  (unsigned long long)p.savedTokens);
  }
  std::printf("idle TTL on an infinite cache (what it loses of the bound):\n");
  for (const TtlLoss& t : a.ttlLosses)
    std::printf("    ttl %-8s loses %14llu tokens (%6.2f %% of the bound)\n",
                formatDurationMs(t.ttlMs).c_str(), (unsigned long long)t.lostTokens,
                a.infiniteHitTokens ? 100.0 * double(t.lostTokens) / double(a.infiniteHitTokens) : 0.0);
  std::printf("LRU size reaching a fraction of the bound:\n");
  for (const BoundSize& b : a.boundSizes) {
    if (!b.capacityBlocks) {
      std::printf("    %3.0f %%  - (nothing to reuse)\n", 100.0 * b.fraction);
      continue;
    }
    std::printf("    %3.0f %%  %12llu blocks (%llu tokens", 100.0 * b.fraction,
                (unsigned long long)*b.capacityBlocks, (unsigned long long)(*b.capacityBlocks * a.blockSize));
    if (bytesPerToken)
      std::printf(", %s", formatBytes(*b.capacityBlocks * a.blockSize * bytesPerToken).c_str());
    std::printf(")\n");
  }
  std::printf("LRU hit-rate curve (one pass; equals replay --policy lru at each size):\n");
  std::printf("    %14s %16s %9s%s\n", "capacity_blocks", "hit_tokens", "hit rate",
              price.secondsPerToken > 0 ? "   prefill saved (cost model)" : "");
  for (const CurveSample& s : a.lruCurve) {
    std::printf("    %14llu %16llu %8.3f %%", (unsigned long long)s.capacityBlocks,
                (unsigned long long)s.hitTokens, 100.0 * s.tokenHitRate);
    if (price.secondsPerToken > 0) std::printf(" %14.1f s", price.saved(s.hitTokens));
    std::printf("\n");
  }
}

}  // namespace

namespace {
ordered_json analysisJson(const TraceAnalysis& a, std::uint64_t bytesPerToken, const PrefillPrice& price);
}  // namespace

ordered_json analysisJson(const TraceAnalysis& a, std::uint64_t bytesPerToken) {
  return analysisJson(a, bytesPerToken, PrefillPrice{});
}

namespace {
ordered_json analysisJson(const TraceAnalysis& a, std::uint64_t bytesPerToken, const PrefillPrice& price) {
  ordered_json j;
  j["trace_format"] = a.format;
  if (!a.tokenization.empty()) j["tokenization"] = a.tokenization;
  j["block_size"] = a.blockSize;
  j["requests"] = a.requests;
  j["warmup_requests"] = a.warmupRequests;
  j["prompt_tokens"] = a.promptTokens;
  j["blocks"] = a.blocks;
  j["infinite_hit_tokens"] = a.infiniteHitTokens;
  j["infinite_hit_rate"] = a.infiniteHitRate();
  j["infinite_hit_blocks"] = a.infiniteHitBlocks;
  if (price.secondsPerToken > 0) {
    j["prefill_cost"] = price.label;
    j["prefill_seconds_per_token"] = price.secondsPerToken;
    j["infinite_prefill_s_saved"] = price.saved(a.infiniteHitTokens);
  }
  j["chunk_hit_tokens"] = a.chunkHitTokens ? ordered_json(*a.chunkHitTokens) : ordered_json(nullptr);
  j["chunk_hit_rate"] = a.chunkHitTokens ? ordered_json(a.chunkHitRate()) : ordered_json(nullptr);
  j["footprint"] = ordered_json{{"distinct_blocks", a.distinctBlocks}, {"tokens", a.footprintTokens}};
  if (bytesPerToken) j["footprint"]["bytes"] = a.footprintTokens * bytesPerToken;
  j["by_segment"] = labelRows(a.bySegment);
  j["by_request_type"] = labelRows(a.byRequestType);
  j["by_model"] = labelRows(a.byModel);
  j["sessions"] = a.sessions;
  j["by_session_top"] = labelRows(a.bySession);
  j["reusable_prefix_tokens"] = ordered_json{{"requests_with_reuse", a.requestsWithReuse},
                                             {"mean", a.meanReusableTokens},
                                             {"p50", a.reusableP50},
                                             {"p90", a.reusableP90},
                                             {"p99", a.reusableP99},
                                             {"max", a.reusableMax}};
  ordered_json prefixes = ordered_json::array();
  for (const SharedPrefix& p : a.topPrefixes)
    prefixes.push_back(ordered_json{{"blocks", p.blocks},
                                    {"tokens", p.tokens},
                                    {"requests", p.requests},
                                    {"saved_tokens", p.savedTokens}});
  j["top_shared_prefixes"] = prefixes;
  ordered_json ttl = ordered_json::array();
  for (const TtlLoss& t : a.ttlLosses)
    ttl.push_back(
        ordered_json{{"ttl_ms", t.ttlMs}, {"hit_tokens", t.hitTokens}, {"lost_tokens", t.lostTokens}});
  j["idle_ttl_losses"] = ttl;
  ordered_json sizes = ordered_json::array();
  for (const BoundSize& b : a.boundSizes) {
    ordered_json row{{"fraction_of_bound", b.fraction}};
    if (b.capacityBlocks)
      row.update(sizeJson(*b.capacityBlocks, a, bytesPerToken));
    else
      row["capacity_blocks"] = nullptr;
    sizes.push_back(row);
  }
  j["lru_sizes_for_bound"] = sizes;
  ordered_json curve = ordered_json::array();
  for (const CurveSample& s : a.lruCurve) {
    ordered_json point{{"capacity_blocks", s.capacityBlocks},
                       {"hit_tokens", s.hitTokens},
                       {"token_hit_rate", s.tokenHitRate}};
    if (price.secondsPerToken > 0) point["prefill_s_saved"] = price.saved(s.hitTokens);
    curve.push_back(point);
  }
  j["lru_curve"] = curve;
  return j;
}
}  // namespace

CommandAction addAnalyzeCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("analyze",
                         "How cacheable is a trace (any format), without choosing a cache size: the "
                         "infinite-cache bound, the reuse structure and the LRU curve over all sizes");
  auto text = std::make_shared<AnalyzeText>();
  auto format = std::make_shared<OutputFormatOption>();
  cmd->add_option("trace", text->trace, "trace file or directory (any supported format)")->required();
  addInputFormatOption(*cmd, text->inputFormat);
  cmd->add_option("--block-size", text->blockSize, "tokens per block key (default: the trace's own)");
  cmd->add_option(
      "--warmup", text->warmup,
      "requests not measured (they fill the cache): a fraction (0.5 = the first half) or a count");
  cmd->add_option("--model", text->model, "model whose K/V bytes per token give sizes in bytes (optional)");
  addKvDtypeOption(*cmd, text->kvDtype);
  cmd->add_option("--hardware", text->hardware,
                  "with --model: prefill seconds the cache saves at the bound and along the LRU curve (cost "
                  "model, at the trace's mean prompt length): " +
                      hardwareProfileList());
  addPromptTextOptions(*cmd, text->prompts);
  cmd->add_flag("--skip-bad-lines", text->skipBadLines, "skip malformed lines (counted) instead of failing");
  format->addTo(*cmd, "one header row, then one row: the JSON object's fields, nested ones joined with '.'");
  cmd->footer(
      "Example:\n  kvlab-cli analyze conversation_trace.jsonl --warmup 0.5 --model llama-3-8b --hardware "
      "h100-sxm");
  return [cmd, text, format]() -> int {
    if (!cmd->parsed()) return -1;
    const WarmupSpec warmup = parseWarmup(text->warmup);
    const std::uint32_t blockSize = blockSizeFlag(text->blockSize);
    const std::uint64_t bytesPerToken =
        text->model.empty() ? 0 : resolveCacheBytesPerToken(text->model, text->kvDtype);
    if (!text->hardware.empty() && text->model.empty())
      throw InputError("", 0, "hardware", "needs --model (the model whose prefill it prices)");
    const HardwareProfile* hardware = text->hardware.empty() ? nullptr : &hardwareOrThrow(text->hardware);
    TraceOpenOptions open{text->inputFormat, text->skipBadLines, text->prompts};
    open.prompts.blockSize = blockSize;  // the prompts reader cuts the tokens at it
    const Trace trace = loadTrace(text->trace, open);
    AnalyzeOptions options;
    options.blockSize = blockSize;
    options.warmupRequests = warmup.requestsOf(trace.requests.size());
    const TraceAnalysis analysis = analyzeTrace(trace, options);
    PrefillPrice price;
    if (hardware && analysis.requests) {
      const ModelConfig model = resolveModel(text->model, text->kvDtype);
      const auto meanPrompt =
          std::uint32_t(std::max<std::uint64_t>(1, analysis.promptTokens / analysis.requests));
      price.secondsPerToken = prefillSecondsPerToken(model, *hardware, meanPrompt);
      char label[256];
      std::snprintf(label, sizeof label,
                    "cost model: %s on %s, %.2f us of prefill per token at %u prompt tokens (the mean)",
                    model.name.c_str(), hardware->name.c_str(), 1e6 * price.secondsPerToken, meanPrompt);
      price.label = label;
    }
    if (format->json()) {
      ordered_json j = analysisJson(analysis, bytesPerToken, price);
      j["skipped_lines"] = trace.skippedLines;
      std::cout << j.dump(2) << '\n';
    } else if (format->csv()) {
      ordered_json j = analysisJson(analysis, bytesPerToken, price);
      j["skipped_lines"] = trace.skippedLines;
      std::fflush(stdout);
      writeJsonObjectCsv(std::cout, j);
      std::cout.flush();
    } else {
      printTable(analysis, bytesPerToken, price);
      if (trace.skippedLines)
        std::printf("skipped lines  %llu (--skip-bad-lines)\n", (unsigned long long)trace.skippedLines);
    }
    for (const std::string& reason : trace.skipReasons) std::fprintf(stderr, "skipped: %s\n", reason.c_str());
    return 0;
  };
}

}  // namespace kvlab
