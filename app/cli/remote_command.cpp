// SPDX-License-Identifier: MIT
#include "remote_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/model/model_config.h"
#include "core/tiers/model_blob_layout.h"
#include "core/tiers/redis_tier.h"
#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

namespace {

struct RemoteArgs {
  std::string remote;
  std::string model = "demo";
  uint32_t blockSize = 16;
  std::string timeout = "50ms";
  bool json = false;
};

void addCommonOptions(CLI::App& cmd, RemoteArgs& args) {
  cmd.add_option("--remote", args.remote, "redis://[user:password@]host:port[/db]")->required();
  cmd.add_option("--model", args.model, "model preset whose namespace to use (see `list`)")
      ->capture_default_str();
  cmd.add_option("--block-size", args.blockSize, "tokens per block of the runs that wrote the keys")
      ->capture_default_str();
  cmd.add_option("--remote-timeout", args.timeout, "connect / round-trip time-out, e.g. 50ms, 2s")
      ->capture_default_str();
  cmd.add_flag("--json", args.json, "print one JSON object");
}

std::unique_ptr<RedisTier> openTier(const RemoteArgs& args) {
  const RemoteUrl url = RemoteUrl::parse(args.remote, "remote");
  if (url.cluster) throw InputError("", 0, "remote", "redis-cluster:// is not supported yet; use redis://");
  const ModelConfig* model = findModelPreset(args.model);
  if (model == nullptr) throw InputError("", 0, "model", "unknown preset " + quoteForError(args.model));
  const int64_t timeoutMs = parseDurationMs(args.timeout, "remote-timeout");
  if (timeoutMs < 1 || timeoutMs > 600'000)
    throw InputError("", 0, "remote-timeout",
                     "must be between 1ms and 10m, got " + quoteForError(args.timeout));
  RedisTierOptions options;
  options.timeoutMs = static_cast<int>(timeoutMs);
  return std::make_unique<RedisTier>(url, modelBlobLayout(*model, args.blockSize), options);
}

}  // namespace

CommandAction addRemoteCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("remote", "show or empty this lab's keys in a shared Redis tier");
  cmd->require_subcommand(1);
  auto args = std::make_shared<RemoteArgs>();
  auto* stats = cmd->add_subcommand("stats", "count this lab's keys and their bytes (SCAN, read-only)");
  auto* clear = cmd->add_subcommand("clear", "delete this lab's keys (its namespace only)");
  addCommonOptions(*stats, *args);
  addCommonOptions(*clear, *args);
  return [cmd, stats, clear, args]() -> int {
    if (!cmd->parsed()) return -1;
    std::unique_ptr<RedisTier> tier = openTier(*args);
    nlohmann::json out{{"remote", RemoteUrl::parse(args->remote).redacted()},
                       {"namespace", tier->codec().namespaceId()},
                       {"model", args->model},
                       {"block_size", args->blockSize}};
    if (stats->parsed()) {
      const RedisTier::NamespaceUsage usage = tier->namespaceUsage();
      out["keys"] = usage.keys;
      out["value_bytes"] = usage.valueBytes;
      if (args->json)
        std::printf("%s\n", out.dump().c_str());
      else
        std::printf("%s namespace %s (model %s, block size %u): %llu keys, %s\n",
                    out["remote"].get<std::string>().c_str(), tier->codec().namespaceId().c_str(),
                    args->model.c_str(), args->blockSize, static_cast<unsigned long long>(usage.keys),
                    formatBytes(usage.valueBytes).c_str());
    } else if (clear->parsed()) {
      const uint64_t deleted = tier->clearNamespace();
      out["deleted"] = deleted;
      if (args->json)
        std::printf("%s\n", out.dump().c_str());
      else
        std::printf("%s namespace %s: deleted %llu keys\n", out["remote"].get<std::string>().c_str(),
                    tier->codec().namespaceId().c_str(), static_cast<unsigned long long>(deleted));
    }
    return 0;
  };
}

}  // namespace kvlab
