// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli stays free of LibTorch (Debian's takes ~0.7 s and 165 MB just to load), so replay and sweep
// start instantly. Commands that compute (run, verify, the prefill part of bench, device listing) live in
// the compute module, a shared object loaded with dlopen only when one of them is asked for.
#include <string>
#include <vector>

namespace kvlab {

// Entry point the module exports (extern "C"): a CLI of its own for run, verify, bench-prefill, devices.
using ComputeMainFn = int (*)(int argc, char** argv);
inline constexpr const char* kComputeMainSymbol = "kvlab_compute_main";
inline constexpr const char* kComputeModuleFile = "kvlab_compute_module.so";

// Runs the module's main with args (args[0] = the subcommand name). Returns its exit code, or 3 with a
// message on stderr when the module cannot be found or loaded (a build without LibTorch).
int runComputeCommand(const std::vector<std::string>& args);
// The same, with what the module prints to stdout collected into stdoutText instead (stderr is left
// alone): how kvlab-cli nests a module's JSON (bench-prefill, list-compute) into its own output.
int runComputeCommandCapturing(const std::vector<std::string>& args, std::string& stdoutText);
bool computeModuleAvailable();

}  // namespace kvlab
