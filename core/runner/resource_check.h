// SPDX-License-Identifier: MIT
#pragma once
// Refuses, before it starts, a run that would need more memory than the machine has, showing the estimate.
#include <string>
#include <vector>

#include "core/arch/model_config.h"
#include "core/cache/cache_types.h"
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
// is checked by checkDeviceMemoryFits (and an out-of-memory mid-run still stops the run cleanly).
void checkLiveRunFits(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize,
                      Bytes maxBytes, const std::vector<ScenarioRequest>& requests,
                      const std::string& storageDevice);
// Admission on a CUDA compute device: the estimate's device part (weights + working memory, plus the cache
// when storageDevice is the GPU too) must fit the device's free memory (cudaMemGetInfo) now; otherwise
// InputError (field "max-size" when the cache is on the device, else "model") with both figures. No-op on
// the CPU or when the free memory is unknown.
void checkDeviceMemoryFits(const MemoryEstimate& estimate, const std::string& computeDevice,
                           const std::string& storageDevice);

}  // namespace kvlab
