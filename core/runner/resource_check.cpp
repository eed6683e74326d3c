// SPDX-License-Identifier: MIT
#include "core/runner/resource_check.h"

#include <algorithm>
#include <fstream>
#include <string>

#include "core/cache/block_cache.h"
#include "core/cache/clock.h"
#include "core/model/cuda_memory.h"
#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

MemoryEstimate estimateLiveRun(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize,
                               Bytes maxBytes, const std::vector<ScenarioRequest>& requests) {
  const Bytes perToken = kvBytesPerToken(model);
  // The K/V this run could hold with an unbounded cache. Block and radix modes share prefixes: replay the
  // prompts' block keys through a size-only engine (hashing only, no tensors) and add each prompt's partial
  // tail. Prompt mode stores one copy per boundary prefix.
  Bytes everything = 0;
  Bytes largest = 0;
  ManualClock clock;
  CacheConfig unbounded;
  unbounded.capacityBytes = ~Bytes(0);
  CacheEngine engine(unbounded, clock);
  const std::uint32_t b = granularity == Granularity::Block ? std::max<std::uint32_t>(1, blockSize) : 16;
  BlockCache blocks(engine, b, BlockHash::Xxh3, Bytes(b) * perToken);
  for (const ScenarioRequest& r : requests) {
    largest = std::max<Bytes>(largest, r.text.size());
    if (granularity == Granularity::Prompt) {
      for (const std::uint32_t boundary : r.boundaries) everything += Bytes(boundary) * perToken;
      continue;
    }
    const std::vector<std::int32_t> tokens(r.text.begin(), r.text.end());
    const std::vector<CacheKey> keys = blocks.blockKeys(tokens);
    blocks.commit(keys);
    if (granularity == Granularity::Radix) everything += Bytes(tokens.size() % b) * perToken;
  }
  everything += engine.usedBytes();
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

void checkDeviceMemoryFits(const MemoryEstimate& e, const std::string& computeDevice,
                           const std::string& storageDevice) {
  const CudaMemory memory = cudaMemory(computeDevice);
  if (!memory.known) return;
  const bool cacheOnDevice = storageDevice == computeDevice || (storageDevice.rfind("cuda", 0) == 0);
  const Bytes needed = e.weightBytes + e.workingBytes + (cacheOnDevice ? e.cacheBytes : 0);
  if (needed <= memory.freeBytes) return;
  throw InputError(
      "", 0, cacheOnDevice ? "max-size" : "model",
      "this run would need about " + formatBytes(needed) + " on " + computeDevice + " (weights " +
          formatBytes(e.weightBytes) + ", working " + formatBytes(e.workingBytes) +
          (cacheOnDevice ? ", cache " + formatBytes(e.cacheBytes) : std::string()) + ") but only " +
          formatBytes(memory.freeBytes) + " of " + formatBytes(memory.totalBytes) + " is free there; " +
          (cacheOnDevice ? "lower --max-size, use --storage cpu, or " : std::string("")) +
          "use a smaller --model or --dtype bf16");
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

void checkLiveRunFits(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize,
                      Bytes maxBytes, const std::vector<ScenarioRequest>& requests,
                      const std::string& storageDevice) {
  if (storageDevice != "cpu") return;
  const MemoryEstimate e = estimateLiveRun(model, granularity, blockSize, maxBytes, requests);
  const Bytes available = availableHostMemory();
  if (available == 0 || e.total() <= available) return;
  throw InputError("", 0, "max-size",
                   "this run would need about " + formatBytes(e.total()) + " (cache " +
                       formatBytes(e.cacheBytes) + ", weights " + formatBytes(e.weightBytes) + ", working " +
                       formatBytes(e.workingBytes) + ") but only " + formatBytes(available) +
                       " is available; lower --max-size");
}

}  // namespace kvlab
