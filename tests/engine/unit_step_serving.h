// SPDX-License-Identifier: MIT
#pragma once
// A serving config whose cost model is trivial, so scheduler cases can be worked by hand in steps: a model
// whose only weights are a 1000-byte LM head and whose K/V is 0 bytes, on a profile with 1e6 B/s and
// (practically) infinite FLOP/s, so every step takes exactly 1 ms (memory time = 1000 B / 1e6 B/s; compute
// time ~1e-27 s). Shared by the scheduler and the serving-fleet suites.
#include <cstdint>
#include <utility>
#include <vector>

#include "core/serving/serving_types.h"
#include "core/trace/trace_request.h"

namespace kvlab::test {

inline ServingConfig unitStepConfig(std::uint32_t blockSize, std::uint32_t poolBlocks,
                                    std::uint32_t maxBatched, std::uint32_t maxRunning = 256,
                                    bool prefixCache = true) {
  ServingConfig c;
  c.model.name = "unit-step";
  c.model.layers = 1;
  c.model.dModel = 1;
  c.model.vocab = 1000;
  c.model.dtypeBytes = 1;
  c.hardware.name = "unit";
  c.hardware.peakFlops = 1e30;
  c.hardware.memoryBandwidth = 1e6;
  c.hardware.computeUtilisation = 1;
  c.hardware.memoryUtilisation = 1;
  c.blockSize = blockSize;
  c.poolBlocks = poolBlocks;
  c.maxBatchedTokens = maxBatched;
  c.maxRunning = maxRunning;
  c.prefixCache = prefixCache;
  c.checkInvariants = true;
  return c;
}

// One trace request (hashes: one id per block of the prompt's leading full blocks, or none).
inline TraceRequest request(std::int64_t timestampMs, std::uint32_t input, std::uint32_t output,
                            std::vector<std::uint64_t> hashes = {}) {
  TraceRequest r;
  r.timestampMs = timestampMs;
  r.inputLength = input;
  r.outputLength = output;
  r.hashIds = std::move(hashes);
  return r;
}

}  // namespace kvlab::test
