// SPDX-License-Identifier: MIT
#include "core/hardware/kv_pool_plan.h"

#include <algorithm>

#include "core/arch/kv_cache_layout.h"
#include "core/arch/parameter_count.h"
#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

KvPoolPlan planKvPool(const ModelConfig& model, const HardwareProfile& hardware, int tp,
                      std::uint32_t blockSize, std::uint32_t maxRunning, double memoryFraction) {
  const int devices = std::max(1, tp);
  const KvCacheLayout layout(model, devices);
  KvPoolPlan p;
  p.usableBytes = memoryFraction * double(hardware.memoryBytes);
  p.weightBytes = weightBytes(model) / double(devices);
  p.sequenceBytes = double(maxRunning) * double(layout.sequenceFixedBytes());
  p.poolBytes = p.usableBytes - p.weightBytes - p.sequenceBytes;
  p.blockBytes = std::uint64_t(blockSize) * layout.cacheBytesPerToken();
  if (p.blockBytes == 0)
    throw InputError("", 0, "pool-size",
                     model.name + " keeps no K/V per token (only recurrent states): give --pool-blocks");
  if (p.poolBytes < double(p.blockBytes)) {
    const std::string perDevice = devices > 1 ? " per device (--tp " + std::to_string(devices) + ")" : "";
    std::string what = model.name + " does not fit " + hardware.name + perDevice + ": weights " +
                       formatBytes(std::uint64_t(p.weightBytes));
    if (p.sequenceBytes > 0)
      what += " + windows/states of " + std::to_string(maxRunning) + " sequences " +
              formatBytes(std::uint64_t(p.sequenceBytes));
    what += " leave no room for a K/V block of " + formatBytes(p.blockBytes) + " in " +
            formatBytes(std::uint64_t(std::max(0.0, p.usableBytes))) + " (" +
            std::to_string(int(memoryFraction * 100 + 0.5)) + " % of " + formatBytes(hardware.memoryBytes) +
            "); use a larger --tp, a larger --hardware, or give --pool-blocks";
    throw InputError("", 0, "pool-size", what);
  }
  p.blocks = std::uint64_t(p.poolBytes / double(p.blockBytes));
  return p;
}

}  // namespace kvlab
