// SPDX-License-Identifier: MIT
#pragma once
#include <string>

namespace kvlab {

// Why CUDA cannot be used in this process, e.g. "this LibTorch (1.13.0) is built without CUDA, or its CUDA
// library failed to load" or "LibTorch has CUDA but sees no GPU (...)"; empty when it can (then
// cudaAvailable() in compute_info.h is true). `kvlab-cli list` and the device checks print it.
std::string cudaUnavailableReason();

// GPUs LibTorch sees (0 without CUDA). "cuda:N" is valid for N below it.
int cudaDeviceCount();

}  // namespace kvlab
