// SPDX-License-Identifier: MIT
#include "core/model/hardware_profile.h"

#include <algorithm>

namespace kvlab {

const std::vector<HardwareProfile>& hardwareProfiles() {
  // Dense (no 2:4 sparsity) BF16 tensor-core peaks and memory bandwidths as printed in each datasheet.
  static const std::vector<HardwareProfile> profiles = {
      {"h100-sxm", "NVIDIA H100 SXM5 80 GB", 989.4e12, 3.35e12,
       "NVIDIA H100 Tensor Core GPU datasheet: BF16 1,979 TFLOPS with sparsity (989 dense), 3.35 TB/s"},
      {"h200-sxm", "NVIDIA H200 SXM 141 GB", 989.4e12, 4.8e12,
       "NVIDIA H200 datasheet: BF16 1,979 TFLOPS with sparsity (989 dense), 4.8 TB/s"},
      {"a100-sxm", "NVIDIA A100 SXM4 80 GB", 312e12, 2.039e12,
       "NVIDIA A100 Tensor Core GPU datasheet: BF16 312 TFLOPS (624 with sparsity), 2,039 GB/s"},
      {"l4", "NVIDIA L4 24 GB", 121e12, 300e9,
       "NVIDIA L4 datasheet: BF16 242 TFLOPS with sparsity (121 dense), 300 GB/s"},
  };
  return profiles;
}

const HardwareProfile* findHardwareProfile(std::string_view name) {
  const auto& all = hardwareProfiles();
  const auto it =
      std::find_if(all.begin(), all.end(), [name](const HardwareProfile& p) { return p.name == name; });
  return it == all.end() ? nullptr : &*it;
}

double rooflineSeconds(const HardwareProfile& hw, double flops, double bytesMoved) {
  return std::max(flops / hw.peakFlops, bytesMoved / hw.memoryBandwidth);
}

}  // namespace kvlab
