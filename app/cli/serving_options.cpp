// SPDX-License-Identifier: MIT
#include "serving_options.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/arch/kv_cache_layout.h"
#include "core/hardware/kv_pool_plan.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "replay_options.h"

namespace kvlab {

const HardwareProfile& hardwareOrThrow(const std::string& name) {
  if (const HardwareProfile* h = findHardwareProfile(name)) return *h;
  std::string names;
  for (const std::string& n : hardwareProfileNames()) names += (names.empty() ? "" : ", ") + n;
  throw InputError("", 0, "hardware",
                   "unknown hardware profile " + quoteForError(name) + " (choose from: " + names + ")");
}

void checkTensorParallel(const ServingConfig& config) {
  if (config.tensorParallel > 1 && !(config.hardware.interconnectBandwidth > 0))
    throw InputError("", 0, "tp",
                     config.hardware.name + " has no device interconnect for tensor parallelism; use --tp 1");
}

std::string hardwareProfileList() {
  std::string names;
  for (const HardwareProfile& h : hardwareProfiles()) names += (names.empty() ? "" : ", ") + h.name;
  return names + " (spec sheets) or cpu-here (measured)";
}

std::uint32_t resolvePoolBlocks(const std::string& poolBlocksText, const std::string& poolSize,
                                const ServingConfig& config) {
  std::uint64_t poolBlocks = 0;
  if (!poolBlocksText.empty()) {
    poolBlocks = parseCount(poolBlocksText, "pool-blocks", 1, kMaxPoolBlocks);
  } else if (!poolSize.empty()) {
    const std::uint64_t blockBytes =
        std::uint64_t(config.blockSize) *
        KvCacheLayout(config.model, int(config.tensorParallel)).cacheBytesPerToken();
    if (blockBytes == 0)
      throw InputError("", 0, "pool-size", config.model.name + " keeps no K/V per token: give --pool-blocks");
    poolBlocks = parseSize(poolSize, "pool-size") / blockBytes;
    if (poolBlocks == 0)
      throw InputError("", 0, "pool-size", "is smaller than one block (" + formatBytes(blockBytes) + ")");
  } else {
    poolBlocks = planKvPool(config.model, config.hardware, int(config.tensorParallel), config.blockSize,
                            config.maxRunning)
                     .blocks;
  }
  if (poolBlocks > kMaxPoolBlocks)
    throw InputError("", 0, poolBlocksText.empty() ? "pool-size" : "pool-blocks",
                     "gives " + std::to_string(poolBlocks) + " blocks; the simulator takes at most " +
                         std::to_string(kMaxPoolBlocks) + " (use a larger --block-size)");
  return std::uint32_t(poolBlocks);
}

std::vector<double> parseSpeeds(const std::string& text) {
  std::vector<double> speeds;
  std::stringstream in(text);
  std::string item;
  for (int i = 0; std::getline(in, item, ','); ++i) {
    const std::string field =
        text.find(',') == std::string::npos ? "speed" : "speed[" + std::to_string(i) + "]";
    const auto first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    const std::string trimmed = first == std::string::npos ? "" : item.substr(first, last - first + 1);
    double v = 0;
    const auto [end, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), v);
    if (trimmed.empty() || ec != std::errc() || end != trimmed.data() + trimmed.size() || !std::isfinite(v) ||
        v <= 0 || v > 1e6)
      throw InputError(
          "", 0, field,
          "expected a positive number (arrival-time divisor) up to 1e6, got " + quoteForError(item));
    speeds.push_back(v);
  }
  if (speeds.empty() || text.back() == ',')
    throw InputError("", 0, "speed",
                     "expected a number or a comma-separated list, got " + quoteForError(text));
  return speeds;
}

std::string costModelLabel(const ServingConfig& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "cost model: %s on %s (%.4g TFLOP/s x %.2f, %.4g TB/s x %.2f)",
                c.model.name.c_str(), c.hardware.name.c_str(), c.hardware.peakFlops / 1e12,
                c.hardware.computeUtilisation, c.hardware.memoryBandwidth / 1e12,
                c.hardware.memoryUtilisation);
  std::string label = buf;
  if (c.tensorParallel > 1) {
    std::snprintf(buf, sizeof buf, ", tp %u over %.4g GB/s x %.2f", c.tensorParallel,
                  c.hardware.interconnectBandwidth / 1e9, c.hardware.interconnectUtilisation);
    label += buf;
  }
  return label;
}

void applyTierOptions(ServingConfig& config, const ReplayOptionText& tierText) {
  const ResolvedTiers tiers = resolveTierOptions(tierText, config.blockSize);
  for (const LowerTierSpec& tier : tiers.lower) {
    if (!config.prefixCache)
      throw InputError("", 0, "no-prefix-cache",
                       "cannot be used with a " + tier.name + " tier: the tiers hold prefix-cache blocks");
    (tier.name == "host" ? config.hostBlocks : config.remoteBlocks) = tier.capacityBlocks;
    (tier.name == "host" ? config.hostPolicy : config.remotePolicy) = tier.policy;
  }
  config.remoteWriteThrough = tiers.remoteWriteThrough;
  config.tierCost = tiers.cost;
}

}  // namespace kvlab
