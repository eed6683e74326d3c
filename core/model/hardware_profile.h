// SPDX-License-Identifier: MIT
#pragma once
// Named accelerators for cost-model times: what a prefill would take on real hardware instead of on this
// machine's CPU. One table, from the vendors' public spec sheets; the trace replay (and any other cost
// model) looks profiles up here by name. Torch-free, Qt-free.
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

struct HardwareProfile {
  std::string name;            // "h100-sxm": what --hardware and the GUI accept
  std::string title;           // "NVIDIA H100 SXM5 80 GB", for labels
  double peakFlops = 0;        // dense BF16 tensor-core FLOP/s (spec-sheet figure without sparsity)
  double memoryBandwidth = 0;  // device memory bandwidth, bytes/s
  std::string source;          // where the two figures come from
};

inline constexpr std::string_view kDefaultHardwareProfile = "h100-sxm";

const std::vector<HardwareProfile>& hardwareProfiles();
// nullptr if no profile has that name.
const HardwareProfile* findHardwareProfile(std::string_view name);

// Roofline time of one prefill on `hw`, in seconds: the larger of FLOPs / peak FLOP/s and bytes moved /
// bandwidth (weights read once, cached K/V read, new K/V written). A lower bound a real kernel approaches,
// not a measurement: callers label it "cost model".
double rooflineSeconds(const HardwareProfile& hw, double flops, double bytesMoved);

}  // namespace kvlab
