// SPDX-License-Identifier: MIT
#pragma once
// The correctness check behind `kvlab-cli verify`: for every granularity, random prompts that share random
// prefixes are prefilled through the cache (reusing what earlier prompts stored) and from scratch; the
// last-position logits must agree within a tolerance. Torch-free header.
#include <cstdint>
#include <string>
#include <vector>

#include "core/runner/run_types.h"

namespace kvlab {

struct VerifyOptions {
  std::string model = "small";
  std::string device = "cpu";  // cpu, cuda, cuda:N or auto
  ComputeDtype dtype = ComputeDtype::Fp32;
  bool allowTf32 = false;
  std::string storageDevice;  // "" = compute device
  int prompts = 12;           // per granularity
  std::uint64_t seed = 7;
  double tolerance = -1;  // max abs logit difference allowed; < 0: defaultVerifyTolerance(dtype)
  std::uint32_t blockSize = 16;
};

struct VerifyRow {
  Granularity granularity = Granularity::Block;
  int prompts = 0;
  int promptsWithHits = 0;  // prompts that really reused something
  std::uint64_t hitTokens = 0;
  double maxAbsLogitDiff = 0;
  bool passed = false;
};

struct VerifyReport {
  std::string device;
  std::string model;
  std::string dtype;
  double tolerance = 0;  // as applied
  std::vector<VerifyRow> rows;
  bool passed() const;
};

VerifyReport verifyPrefixReuse(const VerifyOptions& options);

}  // namespace kvlab
