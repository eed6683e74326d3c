// SPDX-License-Identifier: MIT
#pragma once
// The model's per-token element-wise steps (RMSNorm, RoPE) as one loop each for fp32 on the CPU. In
// LibTorch each is four or five operators, and for the few new tokens of a cache hit every operator's fixed
// cost (dispatch, an OpenMP fork) outweighs its work: measured on the 2-core VM (demo, 70 new tokens over
// 2000 cached), RMSNorm and RoPE took 3.8 ms of a 44 ms prefill, against 0.8 ms per token-proportional share
// of the uncached prefill. Each function returns false, doing nothing, when its fast path does not apply
// (another device or dtype, a layout it does not handle); the caller then uses LibTorch.
// Internal to core/model (it takes tensors).

#include <ATen/core/Tensor.h>

namespace kvlab {

// out = x / sqrt(mean(x^2) + eps) per row (the last dimension), summed in fp32. x, out: contiguous fp32
// CPU tensors of one shape (out may be x).
bool rmsNormRowsCpu(const at::Tensor& x, double eps, const at::Tensor& out);

// Rotates pairs (x[i], x[i + hd/2]) of every head: out = x * cos + rotate_half(x) * sin, the Llama layout.
// in, out: fp32 CPU (T, A, hd) or (T, A, B, hd) of one shape, any strides but in's unit last one (out's last
// stride may be any, for hd up to 1024); cosT, sinT: contiguous (T, hd/2). in and out must not overlap.
bool ropeCpu(const at::Tensor& in, const at::Tensor& out, const at::Tensor& cosT, const at::Tensor& sinT);

}  // namespace kvlab
