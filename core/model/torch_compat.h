// SPDX-License-Identifier: MIT
#pragma once
// The one place that knows LibTorch version differences. The code builds against Debian's LibTorch 1.13 (this
// machine) and against the LibTorch of a PyTorch 2.x wheel (GPU machines, docs/gpu.md); every version test
// goes through the macros below instead of being spelled out at the call site.
//
// Include only from .cpp files of kvlab_compute: no header of ours includes LibTorch.

#include <c10/util/Exception.h>
#include <torch/version.h>

// True when the LibTorch being compiled against is at least major.minor.
#define KVLAB_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// at::scaled_dot_product_attention (fused flash / memory-efficient kernels) exists from LibTorch 2.0; its
// `scale` argument, which the model needs (Q is pre-scaled by 1/sqrt(head_dim), so it passes scale = 1),
// from 2.1. The model uses it from 2.1 on and its own chunked kernel before.
#if KVLAB_TORCH_AT_LEAST(2, 1)
#define KVLAB_TORCH_HAS_SDPA 1
#else
#define KVLAB_TORCH_HAS_SDPA 0
#endif

namespace kvlab::torch_compat {

// The exception LibTorch throws when an allocator runs out of memory (CUDA caching allocator, CPU), caught by
// type rather than by matching its message. c10::OutOfMemoryError exists from 1.13 on, the oldest LibTorch
// this project supports; if an older one is ever needed, alias c10::Error here behind a version test.
using OutOfMemoryError = c10::OutOfMemoryError;

// "major.minor.patch" of the LibTorch compiled against (a run records it next to its figures).
inline constexpr const char* kVersion = TORCH_VERSION;
inline constexpr bool kHasSdpa = KVLAB_TORCH_HAS_SDPA != 0;

}  // namespace kvlab::torch_compat
