// SPDX-License-Identifier: MIT
#include "core/model/cuda_status.h"

#include <ATen/Context.h>

#include <cstdlib>

#include "core/model/torch_compat.h"

namespace kvlab {

std::string cudaUnavailableReason() {
  if (!at::hasCUDA())
    return std::string("this LibTorch (") + torch_compat::kVersion +
           ") is built without CUDA, or its CUDA library failed to load";
  if (at::getNumGPUs() == 0) {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    return std::string("LibTorch has CUDA but sees no GPU (no device or driver") +
           (visible ? std::string("; CUDA_VISIBLE_DEVICES=\"") + visible + "\"" : std::string()) + ")";
  }
  return {};
}

int cudaDeviceCount() { return at::hasCUDA() ? int(at::getNumGPUs()) : 0; }

}  // namespace kvlab
