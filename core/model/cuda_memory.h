// SPDX-License-Identifier: MIT
#pragma once
// GPU memory as CUDA and LibTorch's caching allocator see it. Torch-free header. Compiled with CUDA code
// only when the LibTorch has CUDA (KVLAB_TORCH_CUDA, set by core/CMakeLists.txt); otherwise every figure is
// 0 / unavailable, which is also what a CUDA build reports for a "cpu" device.
#include <cstdint>
#include <string>

namespace kvlab {

struct CudaMemory {
  bool known = false;            // false: not a CUDA device, or no CUDA in this build
  std::uint64_t freeBytes = 0;   // cudaMemGetInfo: free on the device now (all processes)
  std::uint64_t totalBytes = 0;  // the device's memory
};

// device: "cuda" (the current device) or "cuda:N"; anything else -> known = false.
CudaMemory cudaMemory(const std::string& device);
// Bytes LibTorch's CUDA caching allocator holds on the device (reserved: in use + cached); 0 when unknown.
std::uint64_t cudaReservedBytes(const std::string& device);
// Peak of cudaReservedBytes since the process started; 0 when unknown.
std::uint64_t cudaPeakReservedBytes(const std::string& device);

}  // namespace kvlab
