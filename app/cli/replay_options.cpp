// SPDX-License-Identifier: MIT
#include "replay_options.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "core/policies/policy_registry.h"
#include "core/replay/replay_warmup.h"
#include "core/tiers/tier_capacity.h"
#include "core/trace/trace_format.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "core/util/value_series.h"
#include "model_options.h"

namespace kvlab {

namespace {
// What one cached token costs for the model's architecture (KvCacheLayout::cacheBytesPerToken).
Bytes modelBytesPerToken(const ReplayOptionText& text) {
  return resolveCacheBytesPerToken(text.model, text.kvDtype);
}
}  // namespace

void addInputFormatOption(CLI::App& command, std::string& format) {
  command.add_option(
      "--input-format", format,
      "trace format (" + traceFormatNames() + "); default: detected from the content (docs/traces.md)");
}

std::uint32_t blockSizeFlag(const std::string& text) {
  if (text.empty()) return 0;
  return std::uint32_t(parseCount(text, "block-size", 1, UINT32_MAX));
}

void addPromptTextOptions(CLI::App& command, PromptTextOptions& prompts, const std::string& tokenizerFlag) {
  command.add_option(tokenizerFlag, prompts.tokenizerPath,
                     "a Hugging Face tokenizer.json the prompts format tokenizes its text with (messages, "
                     "prompt); files of prompt_token_ids need none (docs/traces.md)");
  command
      .add_option(
          "--chat-template", prompts.chatTemplate,
          "how the prompts format renders chat messages: llama-3, chatml, raw (already templated), or "
          "auto (the family the tokenizer's added tokens name; docs/tokenizer.md)")
      ->capture_default_str();
}

TraceOpenOptions traceOpenOptions(const ReplayOptionText& text) {
  TraceOpenOptions options{text.inputFormat, text.skipBadLines, text.prompts};
  if (!text.blockSize
           .empty()) {  // a list (sweep) of several sizes: the prompts reader's default, refused later
    const std::vector<std::uint64_t> sizes = parseCountSeries(text.blockSize, "block-size");
    if (sizes.size() == 1 && sizes.front() >= 1 && sizes.front() <= UINT32_MAX)
      options.prompts.blockSize = std::uint32_t(sizes.front());
  }
  return options;
}

TraceInfo probeTrace(const ReplayOptionText& text) {
  return openTraceReader(text.trace, traceOpenOptions(text))->info();
}

void addReplayOptions(CLI::App& command, ReplayOptionText& text, bool sizeLists) {
  command
      .add_option(
          "trace", text.trace,
          "trace file or directory, any supported format (" + traceFormatNames() + "; docs/traces.md)")
      ->required();
  addInputFormatOption(command, text.inputFormat);
  addPromptTextOptions(command, text.prompts);
  command
      .add_option(
          "--granularity", text.granularity,
          "block: vLLM's hashed-block pool (any block can be evicted); radix: SGLang's prefix tree (only "
          "leaves are evicted, least recently used first; the request's path is protected while it "
          "inserts; policy lru)")
      ->capture_default_str();
  command.add_option("--block-size", text.blockSize,
                     sizeLists ? "tokens per block key, comma-separated (default: the trace's own: 512 for "
                                 "Mooncake, the declared size for the formats that declare one)"
                               : "tokens per block key (default: the trace's own: 512 for Mooncake, the "
                                 "declared size for the formats that declare one, which a different value "
                                 "contradicts: an error)");
  command
      .add_option("--policy", text.policy,
                  sizeLists
                      ? "eviction policies, comma-separated, or all (" + policyList(/*forReplay=*/true) + ")"
                      : "eviction policy: " + policyList(/*forReplay=*/true))
      ->capture_default_str();
  const std::string tokensHelp =
      sizeLists
          ? "cache sizes in tokens: a list (100000,1000000,unlimited) or a range FROM:TO:logN or "
            "FROM:TO:linN (100000:8000000:log12)"
          : "cache size in tokens (capacity = floor(N / block size) blocks); unlimited or inf = no bound";
  auto* tokens = command.add_option("--max-tokens", text.maxTokens, tokensHelp);
  auto* size = command.add_option(
      "--max-size", text.maxSize,
      sizeLists
          ? "cache sizes in bytes with units: a list (8GiB,16GiB,unlimited) or a range (8GiB:80GiB:log10)"
          : "cache size in bytes with a unit (e.g. 40GiB); tokens = size / K/V bytes per token of "
            "--model; unlimited or inf = no bound");
  auto* blocks = command.add_option(
      "--max-blocks", text.maxBlocks,
      sizeLists
          ? "cache sizes in blocks (a block pool's size): a list (1024,4096,unlimited) or a range "
            "FROM:TO:logN; tokens = blocks x block size (one block size)"
          : "cache size in blocks (a block pool's size); tokens = N x block size; unlimited or inf = no "
            "bound");
  tokens->excludes(size);
  blocks->excludes(tokens);
  blocks->excludes(size);
  command.add_option("--warmup", text.warmup,
                     "requests not measured (they fill the cache), as published hit-rate tables count: a "
                     "fraction of the requests (0.5 = the first half) or a count (1000)");
  addModelOption(command, text.model, "its K/V bytes per token size the cache");
  addKvDtypeOption(command, text.kvDtype);
  command
      .add_option("--ttl", text.ttl,
                  sizeLists
                      ? "TTLs, comma-separated (e.g. 0,30s,5m; 0 = off), in trace time; what they count "
                        "from: --ttl-mode"
                      : "time after which a block expires, in trace time (e.g. 30s, "
                        "5m; 0 = off); what it counts from: --ttl-mode")
      ->capture_default_str();
  command
      .add_option("--ttl-mode", text.ttlMode,
                  "idle: the TTL counts from a block's last use (a hit refreshes it); age: from its "
                  "insertion (hits do not refresh it)")
      ->capture_default_str();
  command.add_flag("--protect-in-use", text.protectInUse,
                   "a request's hit blocks cannot be evicted by its own inserts (as in a server); "
                   "default: the literal replay semantics, where they can");
  command.add_flag("--skip-bad-lines", text.skipBadLines,
                   "count and skip malformed trace lines instead of stopping");
}

void addTierOptions(CLI::App& command, ReplayOptionText& text) {
  auto* hostTokens = command.add_option("--host-tokens", text.hostTokens,
                                        "add a host-memory tier under the device cache, this many tokens "
                                        "(unlimited or inf = no bound)");
  auto* hostSize = command.add_option("--host-size", text.hostSize,
                                      "the host tier's size in bytes with a unit (tokens = size / K/V bytes "
                                      "per token of --model)");
  hostTokens->excludes(hostSize);
  command.add_option("--host-policy", text.hostPolicy, "the host tier's eviction policy")
      ->capture_default_str();
  auto* remoteTokens = command.add_option("--remote-tokens", text.remoteTokens,
                                          "add a remote (shared store) tier at the bottom, this many tokens "
                                          "(unlimited or inf = no bound)");
  auto* remoteSize =
      command.add_option("--remote-size", text.remoteSize, "the remote tier's size in bytes with a unit");
  remoteTokens->excludes(remoteSize);
  command.add_option("--remote-policy", text.remotePolicy, "the remote tier's eviction policy")
      ->capture_default_str();
  command
      .add_option("--remote-write", text.remoteWrite,
                  "through: new blocks also go to the remote tier at once; back: only blocks evicted above")
      ->capture_default_str();
  command.add_option("--pcie-gbps", text.pcieGBps, "cost model: device <-> host bandwidth, GB/s")
      ->capture_default_str();
  command.add_option("--pcie-latency-ms", text.pcieLatencyMs, "cost model: per device <-> host batch, ms")
      ->capture_default_str();
  command.add_option("--net-gbps", text.netGBps, "cost model: remote tier network bandwidth, GB/s")
      ->capture_default_str();
  command.add_option("--net-latency-ms", text.netLatencyMs, "cost model: per remote round trip, ms")
      ->capture_default_str();
}

namespace {
// A lower tier's capacity in blocks from --X-tokens or --X-size; nullopt = no such tier.
std::optional<std::uint64_t> tierBlocks(const std::string& tokens, const std::string& size,
                                        const std::string& name, const ReplayOptionText& text,
                                        std::uint32_t blockSize) {
  std::uint64_t count = 0;
  if (!tokens.empty()) {
    count = parseCountOrUnlimited(tokens, name + "-tokens", 1);
  } else if (!size.empty()) {
    const Bytes bytes = parseSizeOrUnlimited(size, name + "-size");
    count = bytes == kUnlimited ? kUnlimited : bytes / modelBytesPerToken(text);
  } else {
    return std::nullopt;
  }
  if (count == kUnlimited) return kUnlimited;
  return tierBlocksFromTokens(count, blockSize, tokens.empty() ? name + "-size" : name + "-tokens");
}

std::string checkedGranularity(const ReplayOptionText& text) {
  if (text.granularity != "block" && text.granularity != "radix")
    throw InputError("", 0, "granularity", "must be block or radix, got " + quoteForError(text.granularity));
  return text.granularity;
}

void checkPositive(double value, const char* field) {
  if (!(value > 0) || value > 1e9)
    throw InputError("", 0, field, "must be a number above 0, got " + std::to_string(value));
}
}  // namespace

std::vector<std::uint64_t> maxTokenList(const ReplayOptionText& text, std::uint32_t blockSize) {
  // A single value is reported as 'max-tokens', an item of a list as 'max-tokens[i]'.
  const auto isList = [](const std::string& s) { return s.find(',') != std::string::npos; };
  const auto isRange = [](const std::string& s) { return s.find(':') != std::string::npos; };
  if (!text.maxTokens.empty()) {
    if (isRange(text.maxTokens)) return parseCountSeries(text.maxTokens, "max-tokens");
    return isList(text.maxTokens)
               ? parseCountOrUnlimitedList(text.maxTokens, "max-tokens", 0)
               : std::vector<std::uint64_t>{parseCountOrUnlimited(text.maxTokens, "max-tokens", 0)};
  }
  if (!text.maxBlocks.empty()) {
    const std::vector<std::uint64_t> blocks =
        isRange(text.maxBlocks) ? parseCountSeries(text.maxBlocks, "max-blocks")
        : isList(text.maxBlocks)
            ? parseCountOrUnlimitedList(text.maxBlocks, "max-blocks", 0)
            : std::vector<std::uint64_t>{parseCountOrUnlimited(text.maxBlocks, "max-blocks", 0)};
    std::vector<std::uint64_t> tokens;
    for (const std::uint64_t b : blocks) {
      if (b != kUnlimited && blockSize && b > (kUnlimited - 1) / blockSize)
        throw InputError("", 0, "max-blocks", "is too large: " + std::to_string(b) + " blocks");
      tokens.push_back(b == kUnlimited ? kUnlimited : b * blockSize);
    }
    return tokens;
  }
  if (!text.maxSize.empty()) {
    const Bytes perToken = modelBytesPerToken(text);
    std::vector<std::uint64_t> tokens;
    const std::vector<std::uint64_t> sizes =
        isRange(text.maxSize)  ? parseSizeSeries(text.maxSize, "max-size")
        : isList(text.maxSize) ? parseSizeOrUnlimitedList(text.maxSize, "max-size")
                               : std::vector<std::uint64_t>{parseSizeOrUnlimited(text.maxSize, "max-size")};
    for (const std::uint64_t bytes : sizes)
      tokens.push_back(bytes == kUnlimited ? kUnlimited : bytes / perToken);
    return tokens;
  }
  throw InputError("", 0, "max-tokens",
                   "give the cache size: --max-tokens N, --max-blocks N or --max-size SIZE");
}

ReplayConfig toReplayConfig(const ReplayOptionText& text, const TraceInfo& trace) {
  ReplayConfig config;
  config.blockSize = resolveBlockSize(trace, blockSizeFlag(text.blockSize));
  config.inputFormat = trace.format;
  if (!findReplayPolicy(text.policy))
    throw InputError("", 0, "policy", unknownPolicyMessage(text.policy, /*forReplay=*/true));
  config.policy = text.policy;
  config.granularity = checkedGranularity(text);
  if (config.granularity == "radix") {
    if (config.policy != "lru" && config.policy != "opt")
      throw InputError(
          "", 0, "policy",
          "radix granularity evicts the least recently used leaf (SGLang), or with opt the leaf used "
          "farthest ahead: use lru or opt");
    if (!text.ttl.empty() && text.ttl != "0")
      throw InputError("", 0, "ttl", "is not modelled with --granularity radix");
    if (tierOptionsGiven(text))
      throw InputError("", 0, "granularity", "radix replays one tier (no host or remote)");
  }
  const auto sizes = maxTokenList(text, config.blockSize);
  if (sizes.size() != 1)
    throw InputError("", 0, "max-tokens", "replay takes one size; use sweep for several");
  config.maxTokens = sizes.front();
  config.ttlMs = parseDurationMs(text.ttl, "ttl");
  config.ttlMode = parseTtlMode(text.ttlMode, "ttl-mode");
  config.protectInUse = text.protectInUse;
  config.warmup = parseWarmup(text.warmup);
  config.bytesPerToken = modelBytesPerToken(text);
  if (config.maxTokens != kUnlimited && config.maxTokens > UINT64_MAX / config.bytesPerToken)
    throw InputError("", 0, text.maxTokens.empty() ? "max-size" : "max-tokens",
                     "is too large: " + std::to_string(config.maxTokens) + " tokens of " +
                         formatBytes(config.bytesPerToken) + " each exceed 16 EiB");
  config.skipBadLines = text.skipBadLines;
  config.prompts = text.prompts;
  ResolvedTiers tiers = resolveTierOptions(text, config.blockSize);
  config.lowerTiers = std::move(tiers.lower);
  config.remoteWriteThrough = tiers.remoteWriteThrough;
  config.tierCost = tiers.cost;
  return config;
}

ResolvedTiers resolveTierOptions(const ReplayOptionText& text, std::uint32_t blockSize) {
  ResolvedTiers tiers;
  const auto host = tierBlocks(text.hostTokens, text.hostSize, "host", text, blockSize);
  const auto remote = tierBlocks(text.remoteTokens, text.remoteSize, "remote", text, blockSize);
  for (const auto& [name, blocks, policy] :
       {std::tuple{"host", host, text.hostPolicy}, std::tuple{"remote", remote, text.remotePolicy}}) {
    if (!blocks) continue;
    if (!findPolicy(policy))  // lower tiers take live policies (no trace oracle there)
      throw InputError("", 0, std::string(name) + "-policy",
                       unknownPolicyMessage(policy, /*forReplay=*/false));
    tiers.lower.push_back(LowerTierSpec{name, *blocks, policy});
  }
  if (text.remoteWrite != "through" && text.remoteWrite != "back")
    throw InputError("", 0, "remote-write",
                     "must be through or back, got " + quoteForError(text.remoteWrite));
  tiers.remoteWriteThrough = text.remoteWrite == "through";
  checkPositive(text.pcieGBps, "pcie-gbps");
  checkPositive(text.netGBps, "net-gbps");
  if (!(text.pcieLatencyMs >= 0) || !(text.netLatencyMs >= 0) || text.pcieLatencyMs > 1e6 ||
      text.netLatencyMs > 1e6)
    throw InputError("", 0, text.pcieLatencyMs >= 0 ? "net-latency-ms" : "pcie-latency-ms",
                     "must be a number of ms in [0, 1e6]");
  tiers.cost = TierCostModel{text.pcieGBps * 1e9, text.pcieLatencyMs, text.netGBps * 1e9, text.netLatencyMs};
  return tiers;
}

bool tierOptionsGiven(const ReplayOptionText& text) {
  return !text.hostTokens.empty() || !text.hostSize.empty() || !text.remoteTokens.empty() ||
         !text.remoteSize.empty();
}

SweepSpec toSweepSpec(const ReplayOptionText& text) {
  SweepSpec spec;
  spec.blockSizes.clear();  // empty: the trace's own
  if (!text.blockSize.empty())
    for (const std::uint64_t b : parseCountSeries(text.blockSize, "block-size")) {
      if (b == 0 || b > UINT32_MAX)
        throw InputError("", 0, "block-size", "must be from 1 to 4294967295 tokens");
      spec.blockSizes.push_back(std::uint32_t(b));
    }
  std::uint32_t poolBlockSize = 0;  // --max-blocks: the one block size its blocks are made of
  if (!text.maxBlocks.empty()) {
    if (spec.blockSizes.size() > 1)
      throw InputError("", 0, "max-blocks", "sizes in blocks need one block size; give --max-tokens instead");
    poolBlockSize = spec.blockSizes.empty() ? resolveBlockSize(probeTrace(text), 0) : spec.blockSizes.front();
  }
  spec.maxTokens = maxTokenList(text, poolBlockSize);
  spec.warmup = parseWarmup(text.warmup);
  const std::string field =
      text.maxTokens.empty() ? (text.maxBlocks.empty() ? "max-size" : "max-blocks") : "max-tokens";
  spec.bytesPerToken = modelBytesPerToken(text);
  for (const std::uint64_t tokens : spec.maxTokens)
    if (tokens != kUnlimited && tokens > UINT64_MAX / spec.bytesPerToken)  // unlimited: no bound, no bytes
      throw InputError("", 0, field, "is too large: " + std::to_string(tokens) + " tokens exceed 16 EiB");
  spec.policies.clear();
  std::size_t from = 0;
  while (from <= text.policy.size()) {
    const std::size_t at = std::min(text.policy.find(',', from), text.policy.size());
    const std::string name = text.policy.substr(from, at - from);
    from = at + 1;
    if (name == "all") {
      for (const std::string& n : replayPolicyNames())
        if (std::find(spec.policies.begin(), spec.policies.end(), n) == spec.policies.end())
          spec.policies.push_back(n);
      continue;
    }
    if (!findReplayPolicy(name))
      throw InputError("", 0, "policy", unknownPolicyMessage(name, /*forReplay=*/true));
    if (std::find(spec.policies.begin(), spec.policies.end(), name) == spec.policies.end())
      spec.policies.push_back(name);
  }
  spec.granularity = checkedGranularity(text);
  if (spec.granularity == "radix")
    for (const std::string& policy : spec.policies)
      if (policy != "lru" && policy != "opt")
        throw InputError(
            "", 0, "policy",
            "radix granularity evicts the least recently used leaf (SGLang), or with opt the leaf used "
            "farthest ahead: use lru and/or opt, not " +
                policy);
  spec.ttlsMs = parseDurationList(text.ttl, "ttl");
  if (spec.granularity == "radix" && (spec.ttlsMs.size() != 1 || spec.ttlsMs.front() != 0))
    throw InputError("", 0, "ttl", "is not modelled with --granularity radix");
  spec.ttlMode = parseTtlMode(text.ttlMode, "ttl-mode");
  spec.protectInUse = text.protectInUse;
  spec.skipBadLines = text.skipBadLines;
  spec.inputFormat = text.inputFormat;
  spec.prompts = text.prompts;
  return spec;
}

}  // namespace kvlab
