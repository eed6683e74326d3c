// SPDX-License-Identifier: MIT
#pragma once
// Named accelerator profiles for the cost model: the one table the serving simulator (`kvlab-cli simulate`)
// and the GUI's trace TTFTs both read. Peak figures come from the vendors' public spec sheets (cited per row
// in hardware_profile.cpp and in docs/serving.md); utilisation factors turn peaks into what a serving engine
// sustains. Every time computed from a profile is a cost-model figure, never a measurement.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

struct HardwareProfile {
  std::string name;                 // as typed on the command line: "h100-sxm"
  std::string description;          // one line for `kvlab-cli list`, tooltips and chart labels
  double peakFlops = 0;             // peak dense BF16 tensor FLOP/s (no sparsity); cpu-here: measured fp32
  double memoryBandwidth = 0;       // peak memory bandwidth, bytes/s
  std::uint64_t memoryBytes = 0;    // device memory, bytes (sizes the default KV pool)
  double computeUtilisation = 0.6;  // fraction of peakFlops a step sustains (assumption, see docs/serving.md)
  double memoryUtilisation = 0.8;   // fraction of memoryBandwidth a step sustains (assumption)
  bool measured = false;            // true: figures measured on this machine at start (cpu-here)

  double effectiveFlops() const { return peakFlops * computeUtilisation; }
  double effectiveBandwidth() const { return memoryBandwidth * memoryUtilisation; }
};

// The spec-sheet profiles, default first ("h100-sxm"). `cpu-here` is not in this list: it is measured on
// demand by measureCpuProfile() (findHardwareProfile("cpu-here") measures it once and caches the result).
const std::vector<HardwareProfile>& hardwareProfiles();

// The default profile's name: "h100-sxm".
std::string_view defaultHardwareProfileName();

// A spec-sheet profile by name, or "cpu-here" (measured on first use, then cached; thread-safe).
// nullptr for an unknown name.
const HardwareProfile* findHardwareProfile(std::string_view name);

// Every name findHardwareProfile accepts, spec-sheet profiles first, then "cpu-here".
std::vector<std::string> hardwareProfileNames();

// Measures this machine with plain C++ loops on every hardware thread: fp32 multiply-adds in registers
// (FLOP/s) and a streaming sum over a 256 MiB buffer (bytes/s); memoryBytes = physical RAM. Takes about
// 0.3 s. Utilisation factors are 1: the measured figures already are sustained rates.
HardwareProfile measureCpuProfile();

}  // namespace kvlab
