// SPDX-License-Identifier: MIT
#pragma once
// Cache options shared by replay, sweep and bench, parsed from their text form with units.
#include <CLI/CLI.hpp>
#include <string>

#include "core/replay/trace_replayer.h"
#include "core/replay/trace_sweep.h"
#include "core/trace/trace_format.h"
#include "core/trace/trace_info.h"

namespace kvlab {

struct ReplayOptionText {
  std::string trace;
  std::string inputFormat;  // --input-format: a trace format name, "" = detect from the content
  std::string blockSize;    // "" = the trace's own (TraceInfo::blockSize); sweep: a list
  std::string policy = "lru";
  std::string granularity = "block";  // block | radix
  std::string maxTokens;             // "1000000", "unlimited"/"inf", or a list of these for sweep
  std::string maxSize;               // "80GiB" or "unlimited"/"inf" (with --model)
  std::string maxBlocks;             // "4096", "unlimited"/"inf", or a list/range for sweep
  std::string warmup;                // --warmup: "0.5" (a fraction of the requests) or "1000"; "" = none
  std::string model = "llama-3-8b";  // preset, config.json or model directory
  std::string kvDtype;               // --kv-dtype; "" = the model's weights' dtype
  std::string ttl = "0";             // sweep: a list
  std::string ttlMode = "idle";      // idle | age
  bool protectInUse = false;
  bool skipBadLines = false;
  PromptTextOptions prompts;  // --tokenizer, --chat-template (the prompts format; block size: blockSize)
  // Lower tiers (replay only): "" = none. Tokens or sizes (with --model), "unlimited" for no bound.
  std::string hostTokens, hostSize, hostPolicy = "lru";
  std::string remoteTokens, remoteSize, remotePolicy = "lru";
  std::string remoteWrite = "through";
  // Transfer cost model (TierCostModel), GB/s and ms.
  double pcieGBps = 25, pcieLatencyMs = 0.01, netGBps = 12.5, netLatencyMs = 0.2;
};

void addReplayOptions(CLI::App& command, ReplayOptionText& text, bool sizeLists);
// --input-format NAME (every command that reads a trace).
void addInputFormatOption(CLI::App& command, std::string& format);
// --tokenizer PATH and --chat-template NAME, which the prompts format reads text with (every command that
// reads a trace; docs/traces.md).
void addPromptTextOptions(CLI::App& command, PromptTextOptions& prompts, const std::string& tokenizerFlag = "--tokenizer");
// How the trace of text is opened: --input-format, --skip-bad-lines, the prompts reader's tokenizer and
// template, and --block-size when it is one value (the prompts reader cuts the tokens at it).
TraceOpenOptions traceOpenOptions(const ReplayOptionText& text);
// --block-size as a single value: 0 when not given (the trace's own), else at least 1; InputError naming
// 'block-size' otherwise.
std::uint32_t blockSizeFlag(const std::string& text);
// The tier flags of replay (--host-tokens/--host-size/--host-policy, --remote-tokens/--remote-size/
// --remote-policy, --remote-write, the cost model's
// --pcie-gbps/--pcie-latency-ms/--net-gbps/--net-latency-ms).
void addTierOptions(CLI::App& command, ReplayOptionText& text);
// Those flags resolved (sizes in blocks of blockSize, policies checked); InputError naming the flag.
struct ResolvedTiers {
  std::vector<LowerTierSpec> lower;  // host, remote (those given)
  bool remoteWriteThrough = true;
  TierCostModel cost;
};
ResolvedTiers resolveTierOptions(const ReplayOptionText& text, std::uint32_t blockSize);
// True if a host or remote tier was asked for.
bool tierOptionsGiven(const ReplayOptionText& text);
// Resolves sizes/durations/model into a config for the trace described by `trace` (its block size unless
// --block-size gives one, which must not contradict a declared one); throws InputError naming the flag.
ReplayConfig toReplayConfig(const ReplayOptionText& text, const TraceInfo& trace);
// Opens the trace just to learn what it declares (format, block size); InputError if it cannot be read.
TraceInfo probeTrace(const ReplayOptionText& text);
// --max-tokens list or range, or --max-size list or range converted with the model's bytes per token;
// "unlimited"/"inf" list items give kUnlimited tokens.
// --max-blocks N converts with blockSize (tokens = N x block size; required then).
std::vector<std::uint64_t> maxTokenList(const ReplayOptionText& text, std::uint32_t blockSize = 0);
// Sweep: every list resolved ("all" policies = every registered policy, opt included); throws InputError.
SweepSpec toSweepSpec(const ReplayOptionText& text);

}  // namespace kvlab
