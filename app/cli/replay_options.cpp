// SPDX-License-Identifier: MIT
#include "replay_options.h"

#include "core/model/model_config.h"
#include "core/policies/policy_registry.h"
#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

namespace {
Bytes modelBytesPerToken(const std::string& model) {
  const ModelConfig* preset = findModelPreset(model);
  if (!preset) {
    std::string names;
    for (const ModelConfig& m : modelPresets()) names += (names.empty() ? "" : ", ") + m.name;
    throw InputError("", 0, "model",
                     "unknown model preset " + quoteForError(model) + " (choose from: " + names + ")");
  }
  return kvBytesPerToken(*preset);
}
}  // namespace

void addReplayOptions(CLI::App& command, ReplayOptionText& text, bool sizeLists) {
  command
      .add_option("trace", text.trace,
                  "Mooncake-format trace (JSON lines: timestamp, input_length, "
                  "output_length, hash_ids)")
      ->required();
  command.add_option("--block-size", text.blockSize, "tokens per hash id (the published traces use 512)")
      ->capture_default_str();
  command
      .add_option("--policy", text.policy,
                  sizeLists ? "eviction policies, comma-separated (see `kvlab-cli list`)"
                            : "eviction policy: lru, fifo, lfu, sieve")
      ->capture_default_str();
  const std::string tokensHelp =
      sizeLists
          ? "cache sizes in tokens, comma-separated (e.g. 100000,1000000,unlimited)"
          : "cache size in tokens (capacity = floor(N / block size) blocks); unlimited or inf = no bound";
  auto* tokens = command.add_option("--max-tokens", text.maxTokens, tokensHelp);
  auto* size = command.add_option(
      "--max-size", text.maxSize,
      sizeLists ? "cache sizes in bytes with units, comma-separated (e.g. 8GiB,16GiB,unlimited)"
                : "cache size in bytes with a unit (e.g. 40GiB); tokens = size / K/V bytes per token of "
                  "--model; unlimited or inf = no bound");
  tokens->excludes(size);
  command.add_option("--model", text.model, "model whose K/V bytes per token size the cache (see `list`)")
      ->capture_default_str();
  command
      .add_option("--ttl", text.ttl,
                  "time after which a block expires, in trace time (e.g. 30s, "
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

std::vector<std::uint64_t> maxTokenList(const ReplayOptionText& text) {
  // A single value is reported as 'max-tokens', an item of a list as 'max-tokens[i]'.
  const auto isList = [](const std::string& s) { return s.find(',') != std::string::npos; };
  if (!text.maxTokens.empty())
    return isList(text.maxTokens)
               ? parseCountOrUnlimitedList(text.maxTokens, "max-tokens", 0)
               : std::vector<std::uint64_t>{parseCountOrUnlimited(text.maxTokens, "max-tokens", 0)};
  if (!text.maxSize.empty()) {
    const Bytes perToken = modelBytesPerToken(text.model);
    std::vector<std::uint64_t> tokens;
    const std::vector<std::uint64_t> sizes =
        isList(text.maxSize) ? parseSizeOrUnlimitedList(text.maxSize, "max-size")
                             : std::vector<std::uint64_t>{parseSizeOrUnlimited(text.maxSize, "max-size")};
    for (const std::uint64_t bytes : sizes)
      tokens.push_back(bytes == kUnlimited ? kUnlimited : bytes / perToken);
    return tokens;
  }
  throw InputError("", 0, "max-tokens", "give the cache size: --max-tokens N or --max-size SIZE");
}

ReplayConfig toReplayConfig(const ReplayOptionText& text) {
  ReplayConfig config;
  if (text.blockSize == 0) throw InputError("", 0, "block-size", "must be at least 1 token");
  config.blockSize = text.blockSize;
  if (!findPolicy(text.policy)) {
    std::string names;
    for (const std::string& n : policyNames()) names += (names.empty() ? "" : ", ") + n;
    throw InputError("", 0, "policy",
                     "unknown policy " + quoteForError(text.policy) + " (choose from: " + names + ")");
  }
  config.policy = text.policy;
  const auto sizes = maxTokenList(text);
  if (sizes.size() != 1)
    throw InputError("", 0, "max-tokens", "replay takes one size; use sweep for several");
  config.maxTokens = sizes.front();
  config.ttlMs = parseDurationMs(text.ttl, "ttl");
  config.ttlMode = parseTtlMode(text.ttlMode, "ttl-mode");
  config.protectInUse = text.protectInUse;
  config.bytesPerToken = modelBytesPerToken(text.model);
  if (config.maxTokens != kUnlimited && config.maxTokens > UINT64_MAX / config.bytesPerToken)
    throw InputError("", 0, text.maxTokens.empty() ? "max-size" : "max-tokens",
                     "is too large: " + std::to_string(config.maxTokens) + " tokens of " +
                         formatBytes(config.bytesPerToken) + " each exceed 16 EiB");
  config.skipBadLines = text.skipBadLines;
  return config;
}

}  // namespace kvlab
