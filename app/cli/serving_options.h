// SPDX-License-Identifier: MIT
#pragma once
// Serving-engine options shared by `simulate` and `fleet --serving`, resolved from their text form; every
// function throws InputError naming the flag.
#include <cstdint>
#include <string>
#include <vector>

#include "core/serving/serving_types.h"

namespace kvlab {

struct ReplayOptionText;

// Pool bookkeeping is ~30 bytes per block: 2^24 blocks keep it under 0.5 GiB.
inline constexpr std::uint64_t kMaxPoolBlocks = std::uint64_t(1) << 24;

// "cost model: <model> on <hardware> (<TFLOP/s> x <util>, <TB/s> x <util>)": the label of every simulated
// time.
std::string costModelLabel(const ServingConfig& config);
// --speed: a positive number (arrival-time divisor) up to 1e6, or a comma-separated list of them; field
// 'speed', or 'speed[i]' for a bad list item.
std::vector<double> parseSpeeds(const std::string& text);
const HardwareProfile& hardwareOrThrow(const std::string& name);  // field 'hardware'
// --tp > 1 needs a profile with a device interconnect (cpu-here has none); throws InputError (field 'tp').
void checkTensorParallel(const ServingConfig& config);
// "h100-sxm, h200, ... (spec sheets) or cpu-here (measured)" for --help.
std::string hardwareProfileList();
// The KV pool size in blocks from --pool-blocks (a count) or --pool-size (bytes with a unit, on each device,
// converted with the model's K/V bytes per token on one device); neither: planKvPool (90% of the
// hardware's memory minus the weights and the running sequences' windows and states, per device;
// core/hardware/kv_pool_plan.h), which refuses a model that does not fit, with the numbers.
// config.model, config.hardware, config.tensorParallel, config.maxRunning and config.blockSize must be set.
std::uint32_t resolvePoolBlocks(const std::string& poolBlocks, const std::string& poolSize,
                                const ServingConfig& config);

// The tier flags (addTierOptions: --host-tokens/--host-size, --remote-tokens/--remote-size, policies,
// --remote-write, the PCIe/network cost model) into config's tiers, sized with tierText's --model and
// --kv-dtype and config.blockSize; InputError naming the flag, also for tiers with config.prefixCache off.
void applyTierOptions(ServingConfig& config, const ReplayOptionText& tierText);

}  // namespace kvlab
