// SPDX-License-Identifier: MIT
#pragma once
// Named accelerator profiles for the cost model: the one table the serving simulator (`kvlab-cli simulate`,
// `fleet --serving`), the GUI's trace TTFTs and the Tune page read. Peak figures come from the vendors'
// public spec sheets (cited per row in hardware_profile.cpp and in docs/models.md); utilisation factors
// turn peaks into what a serving engine sustains. Every time computed from a profile is a cost-model
// figure, never a measurement.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

struct HardwareProfile {
  std::string name;               // as typed on the command line: "h100-sxm"
  std::string description;        // one line for `kvlab-cli list`, tooltips and chart labels
  double peakFlops = 0;           // peak dense BF16 tensor FLOP/s (no sparsity); cpu-here: measured fp32
  double memoryBandwidth = 0;     // peak memory bandwidth, bytes/s
  std::uint64_t memoryBytes = 0;  // device memory, bytes (sizes the default KV pool)
  // Device-to-device bandwidth one way, bytes/s, for tensor parallelism's all-reduces: half the NVLink /
  // Infinity Fabric figure the sheet prints for both directions together; cards without such a link use
  // PCIe (half its bidirectional figure). 0 = no peer link (cpu-here: --tp must be 1).
  double interconnectBandwidth = 0;
  double pcieBandwidth = 0;         // host link one way, bytes/s (PCIe Gen4 x16: 32e9, Gen5: 64e9)
  double computeUtilisation = 0.6;  // fraction of peakFlops a step sustains (assumption, see docs/models.md)
  double memoryUtilisation = 0.8;   // fraction of memoryBandwidth a step sustains (assumption)
  double interconnectUtilisation =
      0.8;                // fraction of interconnectBandwidth an all-reduce sustains (assumption)
  std::string source;     // the spec sheet the figures come from
  bool measured = false;  // true: figures measured on this machine at start (cpu-here)

  double effectiveFlops() const { return peakFlops * computeUtilisation; }
  double effectiveBandwidth() const { return memoryBandwidth * memoryUtilisation; }
  double effectiveInterconnect() const { return interconnectBandwidth * interconnectUtilisation; }
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
