// SPDX-License-Identifier: MIT
#include "remote_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/tiers/model_blob_layout.h"
#include "core/tiers/redis_cluster_tier.h"
#include "core/tiers/redis_tier.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "json_csv.h"
#include "output_format.h"

namespace kvlab {

namespace {

struct RemoteArgs {
  std::string remote;
  std::string model = "demo";
  uint32_t blockSize = 16;
  std::string timeout = "50ms";
  OutputFormatOption format;
  uint64_t blocks = 1000;  // bench only
  uint64_t batch = 64;     // bench only
};

void addCommonOptions(CLI::App& cmd, RemoteArgs& args) {
  cmd.add_option("--remote", args.remote,
                 "redis://[user:password@]host:port[/db] or redis-cluster://host:port[,host:port...]; "
                 "leave the password out to read it from KVLAB_REMOTE_PASSWORD or the file "
                 "KVLAB_REMOTE_PASSWORD_FILE names (docs/tiers.md)")
      ->required();
  cmd.add_option("--model", args.model, "model preset whose namespace to use (see `list`)")
      ->capture_default_str();
  cmd.add_option("--block-size", args.blockSize, "tokens per block of the runs that wrote the keys")
      ->capture_default_str();
  cmd.add_option("--remote-timeout", args.timeout, "deadline of each remote operation, e.g. 50ms, 2s")
      ->capture_default_str();
  args.format.addTo(cmd, "one header row, then one row: the JSON object's fields");
}

// One server or a cluster, behind the operations this command needs.
struct OpenedTier {
  std::unique_ptr<RedisTier> single;
  std::unique_ptr<RedisClusterTier> cluster;

  RemoteKvStore& tier() { return single ? static_cast<RemoteKvStore&>(*single) : *cluster; }
  const KvBlobCodec& codec() const { return single ? single->codec() : cluster->codec(); }
  RedisTier::NamespaceUsage usage() { return single ? single->namespaceUsage() : cluster->namespaceUsage(); }
  uint64_t clear() { return single ? single->clearNamespace() : cluster->clearNamespace(); }
  uint64_t roundTrips() const { return single ? single->roundTrips() : cluster->counters().roundTrips; }
};

OpenedTier openTier(const RemoteArgs& args) {
  // A password left out of the URL comes from KVLAB_REMOTE_PASSWORD / KVLAB_REMOTE_PASSWORD_FILE.
  const RemoteUrl url = RemoteUrl::parse(args.remote, "remote").withEnvironment("remote");
  const ModelConfig* model = findModelPreset(args.model);
  if (model == nullptr) throw InputError("", 0, "model", "unknown preset " + quoteForError(args.model));
  const int64_t timeoutMs = parseDurationMs(args.timeout, "remote-timeout");
  if (timeoutMs < 1 || timeoutMs > 600'000)
    throw InputError("", 0, "remote-timeout",
                     "must be between 1ms and 10m, got " + quoteForError(args.timeout));
  RedisTierOptions options;
  options.timeoutMs = static_cast<int>(timeoutMs);
  OpenedTier opened;
  if (url.cluster)
    opened.cluster =
        std::make_unique<RedisClusterTier>(url, modelBlobLayout(*model, args.blockSize), options);
  else
    opened.single = std::make_unique<RedisTier>(url, modelBlobLayout(*model, args.blockSize), options);
  return opened;
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// remote bench: put then get `blocks` blocks of this layout's payload size in batches of `batch`, then
// remove them. Every figure is measured (wall time, round trips counted by the client, hits counted).
// The block hashes carry a fixed tag in their top bits so they never collide with a real run's blocks.
void runBench(OpenedTier& opened, const RemoteArgs& args, nlohmann::ordered_json& out) {
  constexpr uint64_t kBenchTag = 0xBE7C000000000000ull;
  const size_t payloadBytes = opened.codec().layout().payloadBytes();
  // One batch is encoded in memory at once (blobs + pipelined commands): keep it within 1 GiB.
  constexpr uint64_t kMaxBatchBytes = uint64_t(1) << 30;
  if (args.batch * payloadBytes > kMaxBatchBytes)
    throw InputError("", 0, "batch",
                     std::to_string(args.batch) + " blocks of " + formatBytes(payloadBytes) +
                         " exceed 1 GiB per batch; use a smaller --batch");
  std::vector<uint64_t> hashes(args.blocks);
  for (uint64_t i = 0; i < args.blocks; ++i) hashes[i] = kBenchTag | i;
  std::vector<std::string> payloads(26);  // block i carries payloads[i % 26]: distinct neighbours
  for (size_t k = 0; k < payloads.size(); ++k) payloads[k].assign(payloadBytes, static_cast<char>('a' + k));
  RemoteKvStore& tier = opened.tier();
  const uint64_t tripsBefore = opened.roundTrips();
  auto start = std::chrono::steady_clock::now();
  uint64_t stored = 0;
  for (uint64_t first = 0; first < args.blocks; first += args.batch) {
    std::vector<TierItem> items;
    for (uint64_t i = first; i < std::min(args.blocks, first + args.batch); ++i)
      items.push_back({hashes[i], payloads[i % payloads.size()]});
    stored += tier.put(items);
  }
  const double putMs = msSince(start);
  const uint64_t putTrips = opened.roundTrips() - tripsBefore;
  start = std::chrono::steady_clock::now();
  uint64_t hits = 0;
  for (uint64_t first = 0; first < args.blocks; first += args.batch) {
    const uint64_t last = std::min(args.blocks, first + args.batch);
    const auto got = tier.get(std::span<const uint64_t>(hashes).subspan(first, last - first));
    for (uint64_t i = first; i < last; ++i)
      hits += got[i - first] && *got[i - first] == payloads[i % payloads.size()] ? 1 : 0;
  }
  const double getMs = msSince(start);
  const uint64_t getTrips = opened.roundTrips() - tripsBefore - putTrips;
  tier.remove(hashes);
  // Throughput counts only the bytes that were stored / read back, so a failing remote shows 0 MB/s.
  const double storedMb = static_cast<double>(stored * payloadBytes) / 1e6;
  const double hitMb = static_cast<double>(hits * payloadBytes) / 1e6;
  out["blocks"] = args.blocks;
  out["batch"] = args.batch;
  out["payload_bytes"] = payloadBytes;
  out["stored"] = stored;
  out["hits"] = hits;
  out["put_ms"] = putMs;
  out["get_ms"] = getMs;
  out["put_mb_per_s"] = putMs > 0 ? storedMb / (putMs / 1e3) : 0.0;
  out["get_mb_per_s"] = getMs > 0 ? hitMb / (getMs / 1e3) : 0.0;
  out["put_round_trips"] = putTrips;
  out["get_round_trips"] = getTrips;
  if (opened.cluster) {
    const RedisClusterTier::Counters counters = opened.cluster->counters();
    out["masters"] = counters.masters;
    out["slot_map_refreshes"] = counters.slotMapRefreshes;
  }
  const TierStats stats = tier.stats();
  out["errors"] = stats.errors;
  out["timeouts"] = stats.timeouts;
  if (args.format.table())
    std::printf(
        "%s: %llu blocks of %s in batches of %llu: put %.1f ms (%.1f MB/s, %llu round trips), get %.1f "
        "ms (%.1f MB/s, %llu round trips), %llu/%llu hits, %llu errors, %llu time-outs\n",
        out["remote"].get<std::string>().c_str(), static_cast<unsigned long long>(args.blocks),
        formatBytes(payloadBytes).c_str(), static_cast<unsigned long long>(args.batch), putMs,
        out["put_mb_per_s"].get<double>(), static_cast<unsigned long long>(putTrips), getMs,
        out["get_mb_per_s"].get<double>(), static_cast<unsigned long long>(getTrips),
        static_cast<unsigned long long>(hits), static_cast<unsigned long long>(args.blocks),
        static_cast<unsigned long long>(stats.errors), static_cast<unsigned long long>(stats.timeouts));
}

}  // namespace

CommandAction addRemoteCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("remote", "show, empty or benchmark this lab's keys in a shared Redis tier");
  cmd->require_subcommand(1);
  auto args = std::make_shared<RemoteArgs>();
  auto* stats = cmd->add_subcommand("stats", "count this lab's keys and their bytes (SCAN, read-only)");
  auto* clear = cmd->add_subcommand("clear", "delete this lab's keys (its namespace only)");
  auto* bench = cmd->add_subcommand("bench", "time put/get of N blocks of this layout, then remove them");
  addCommonOptions(*stats, *args);
  addCommonOptions(*clear, *args);
  addCommonOptions(*bench, *args);
  bench->add_option("--blocks", args->blocks, "blocks to put and get")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  bench->add_option("--batch", args->batch, "blocks per put/get call (one pipelined batch)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  return [cmd, stats, clear, bench, args]() -> int {
    if (!cmd->parsed()) return -1;
    OpenedTier opened = openTier(*args);
    nlohmann::ordered_json out{{"remote", RemoteUrl::parse(args->remote).redacted()},
                               {"namespace", opened.codec().namespaceId()},
                               {"model", args->model},
                               {"block_size", args->blockSize}};
    if (stats->parsed()) {
      const RedisTier::NamespaceUsage usage = opened.usage();
      out["keys"] = usage.keys;
      out["value_bytes"] = usage.valueBytes;
      if (args->format.table())
        std::printf("%s namespace %s (model %s, block size %u): %llu keys, %s\n",
                    out["remote"].get<std::string>().c_str(), opened.codec().namespaceId().c_str(),
                    args->model.c_str(), args->blockSize, static_cast<unsigned long long>(usage.keys),
                    formatBytes(usage.valueBytes).c_str());
    } else if (clear->parsed()) {
      const uint64_t deleted = opened.clear();
      out["deleted"] = deleted;
      if (args->format.table())
        std::printf("%s namespace %s: deleted %llu keys\n", out["remote"].get<std::string>().c_str(),
                    opened.codec().namespaceId().c_str(), static_cast<unsigned long long>(deleted));
    } else if (bench->parsed()) {
      runBench(opened, *args, out);
    }
    if (args->format.json()) {
      std::printf("%s\n", out.dump().c_str());
    } else if (args->format.csv()) {
      std::fflush(stdout);  // the CSV goes through std::cout
      writeJsonObjectCsv(std::cout, out);
      std::cout.flush();
    }
    return 0;
  };
}

}  // namespace kvlab
