// SPDX-License-Identifier: MIT
#include "core/model/cuda_memory.h"

#include "core/model/compute_info.h"

#if KVLAB_TORCH_CUDA
// Only in a build against a CUDA LibTorch (the GPU machines' PyTorch 2.x); never compiled on the CPU-only
// development machine, so kept to the long-stable parts of c10's CUDA API.
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

namespace kvlab {

namespace {

// -2: not a CUDA device; -1: the current CUDA device; N: cuda:N.
int cudaIndex(const std::string& device) {
  if (device == "cuda") return -1;
  const std::string prefix = "cuda:";
  if (device.rfind(prefix, 0) != 0 || device.size() == prefix.size() ||
      device.find_first_not_of("0123456789", prefix.size()) != std::string::npos)
    return -2;
  return std::stoi(device.substr(prefix.size()));
}

}  // namespace

#if KVLAB_TORCH_CUDA

namespace {
int resolvedIndex(int index) {
  int current = 0;
  if (index < 0 && cudaGetDevice(&current) == cudaSuccess) return current;
  return index < 0 ? 0 : index;
}
}  // namespace

CudaMemory cudaMemory(const std::string& device) {
  CudaMemory m;
  const int index = cudaIndex(device);
  if (index == -2 || !cudaAvailable()) return m;
  const c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(resolvedIndex(index)));
  size_t freeBytes = 0, totalBytes = 0;
  if (cudaMemGetInfo(&freeBytes, &totalBytes) != cudaSuccess) return m;
  m.known = true;
  m.freeBytes = freeBytes;
  m.totalBytes = totalBytes;
  return m;
}

std::uint64_t cudaReservedBytes(const std::string& device) {
  const int index = cudaIndex(device);
  if (index == -2 || !cudaAvailable()) return 0;
  const auto stats =
      c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(resolvedIndex(index)));
  return static_cast<std::uint64_t>(stats.reserved_bytes[0].current);  // [0] = StatType::AGGREGATE
}

std::uint64_t cudaPeakReservedBytes(const std::string& device) {
  const int index = cudaIndex(device);
  if (index == -2 || !cudaAvailable()) return 0;
  const auto stats =
      c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(resolvedIndex(index)));
  return static_cast<std::uint64_t>(stats.reserved_bytes[0].peak);
}

#else

CudaMemory cudaMemory(const std::string& device) {
  (void)cudaIndex(device);
  return {};
}
std::uint64_t cudaReservedBytes(const std::string&) { return 0; }
std::uint64_t cudaPeakReservedBytes(const std::string&) { return 0; }

#endif

}  // namespace kvlab
