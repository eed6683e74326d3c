// SPDX-License-Identifier: MIT
#pragma once
// Refuses, before it starts, a run that would need more memory than the machine has, showing the estimate.
#include <string>
#include <vector>

#include "core/cache/cache_types.h"
#include "core/model/model_config.h"
#include "core/runner/run_types.h"
#include "core/workload/scenario.h"

namespace kvlab {

struct MemoryEstimate {
  Bytes cacheBytes = 0;    // most K/V the cache can hold in this run: min(max size, all K/V it could store)
  Bytes weightBytes = 0;   // model parameters
  Bytes workingBytes = 0;  // activations and the assembled prefix of the largest prompt
  Bytes total() const { return cacheBytes + weightBytes + workingBytes; }
};

MemoryEstimate estimateLiveRun(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize,
                               Bytes maxBytes, const std::vector<ScenarioRequest>& requests);
// Bytes the OS says are available (MemAvailable), or 0 if unknown.
Bytes availableHostMemory();
// Throws InputError (field "max-size") when the estimate exceeds what storageDevice can hold. CUDA memory
// is checked at run time instead (an out-of-memory stops the run cleanly, keeping results).
void checkLiveRunFits(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize,
                      Bytes maxBytes, const std::vector<ScenarioRequest>& requests,
                      const std::string& storageDevice);

}  // namespace kvlab
