// SPDX-License-Identifier: MIT
#include "serving_options.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/hardware/step_cost_model.h"
#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

namespace {
// Share of device memory an engine may use (vLLM's gpu_memory_utilization default); the KV pool gets what
// is left after the weights.
constexpr double kMemoryUtilisation = 0.9;
}  // namespace

const ModelConfig& modelOrThrow(const std::string& name) {
  if (const ModelConfig* m = findModelPreset(name)) return *m;
  std::string names;
  for (const ModelConfig& m : modelPresets()) names += (names.empty() ? "" : ", ") + m.name;
  throw InputError("", 0, "model",
                   "unknown model preset " + quoteForError(name) + " (choose from: " + names + ")");
}

const HardwareProfile& hardwareOrThrow(const std::string& name) {
  if (const HardwareProfile* h = findHardwareProfile(name)) return *h;
  std::string names;
  for (const std::string& n : hardwareProfileNames()) names += (names.empty() ? "" : ", ") + n;
  throw InputError("", 0, "hardware",
                   "unknown hardware profile " + quoteForError(name) + " (choose from: " + names + ")");
}

std::uint32_t resolvePoolBlocks(const std::string& poolBlocksText, const std::string& poolSize,
                                const ServingConfig& config) {
  const std::uint64_t blockBytes = std::uint64_t(config.blockSize) * kvBytesPerToken(config.model);
  std::uint64_t poolBlocks = 0;
  if (!poolBlocksText.empty()) {
    poolBlocks = parseCount(poolBlocksText, "pool-blocks", 1, kMaxPoolBlocks);
  } else if (!poolSize.empty()) {
    poolBlocks = parseSize(poolSize, "pool-size") / blockBytes;
    if (poolBlocks == 0)
      throw InputError("", 0, "pool-size", "is smaller than one block (" + formatBytes(blockBytes) + ")");
  } else {
    const double weights = StepCostModel(config.model, config.hardware).weightBytes();
    const double left = kMemoryUtilisation * double(config.hardware.memoryBytes) - weights;
    if (left < double(blockBytes))
      throw InputError("", 0, "pool-size",
                       config.model.name + " weights (" + formatBytes(std::uint64_t(weights)) +
                           ") leave no room for a " + "KV pool on " + config.hardware.name +
                           "; give --pool-blocks or --pool-size");
    poolBlocks = std::uint64_t(left / double(blockBytes));
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
  return buf;
}

}  // namespace kvlab
