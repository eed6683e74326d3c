// SPDX-License-Identifier: MIT
#pragma once
// The model's matrix products. On the CPU they go to oneDNN's JIT GEMM when the build has oneDNN
// (KVLAB_HAVE_ONEDNN): it uses AVX-512 where the CPU has it, and its speed hardly depends on the number of
// rows, so the few new tokens of a cache hit run about as efficiently as a whole prompt. Debian's OpenBLAS
// 0.3.21 runs its AVX2 (Haswell) kernels on the same CPU and repacks the weights on every call: measured on
// the 2-core EPYC (AVX-512) here, 105-130 GFLOP/s for a 70-row product against 330-350 with oneDNN, and
// 195 against 390 for 2000 rows. Other devices, dtypes and layouts use LibTorch (at::mm, at::addmm).
// Internal to core/model (it takes tensors).

#include <ATen/core/Tensor.h>

namespace kvlab {

// out = a @ b, or out += a @ b when accumulate. a: (M, K), b: (K, N), out: (M, N), all 2-D on one device
// in one dtype; any row stride, and b may be a transposed view (its rows or its columns contiguous).
void matmulOut(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, bool accumulate = false);

// The same per batch: a (B, M, K), b (B, K, N), out (B, M, N).
void batchMatmulOut(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, bool accumulate = false);

// cpuMatmulBackend() and its thread count: core/model/compute_info.h (no LibTorch headers).

}  // namespace kvlab
