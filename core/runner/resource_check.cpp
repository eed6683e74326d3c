// SPDX-License-Identifier: MIT
#include "core/runner/resource_check.h"

#include "core/workload/input_error.h"
#include "core/workload/units.h"

#include <algorithm>
#include <fstream>
#include <string>

namespace kvlab {

MemoryEstimate estimateLiveRun(const ModelConfig& model, Granularity granularity, Bytes maxBytes,
                               const std::vector<ScenarioRequest>& requests) {
  const Bytes perToken = kvBytesPerToken(model);
  Bytes everything = 0;    // K/V of every token the run could store, ignoring reuse (an upper bound)
  Bytes largest = 0;
  for (const ScenarioRequest& r : requests) {
    Bytes tokens = r.text.size();
    // Prompt granularity stores one copy per boundary prefix.
    if (granularity == Granularity::Prompt) {
      tokens = 0;
      for (const std::uint32_t b : r.boundaries) tokens += b;
    }
    everything += tokens * perToken;
    largest = std::max<Bytes>(largest, r.text.size());
  }
  MemoryEstimate e;
  e.cacheBytes = std::min(maxBytes, everything);
  const Bytes d = Bytes(model.dModel), f = Bytes(model.ffnHidden), v = Bytes(model.vocab);
  const Bytes kvDim = Bytes(model.kvHeads) * Bytes(model.headDim);
  const Bytes perLayer = d * d + 2 * d * kvDim + d * d + 3 * d * f + 2 * d;
  e.weightBytes = (Bytes(model.layers) * perLayer + 2 * v * d) * Bytes(model.dtypeBytes);
  // Prefix + new K/V stacked twice (assembly and store) plus a few (T x ffn) activations.
  e.workingBytes = 3 * largest * perToken + 8 * largest * std::max(f, d) * Bytes(model.dtypeBytes);
  return e;
}

Bytes availableHostMemory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  Bytes kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;
}

void checkLiveRunFits(const ModelConfig& model, Granularity granularity, Bytes maxBytes,
                      const std::vector<ScenarioRequest>& requests, const std::string& storageDevice) {
  if (storageDevice != "cpu") return;
  const MemoryEstimate e = estimateLiveRun(model, granularity, maxBytes, requests);
  const Bytes available = availableHostMemory();
  if (available == 0 || e.total() <= available) return;
  throw InputError("", 0, "max-size",
                   "this run would need about " + formatBytes(e.total()) + " (cache " + formatBytes(e.cacheBytes) +
                       ", weights " + formatBytes(e.weightBytes) + ", working " + formatBytes(e.workingBytes) +
                       ") but only " + formatBytes(available) + " is available; lower --max-size");
}

}  // namespace kvlab
