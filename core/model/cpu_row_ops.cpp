// SPDX-License-Identifier: MIT
#include "core/model/cpu_row_ops.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>

namespace kvlab {

namespace {

bool isCpuFloat(const at::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == at::kFloat; }

// Rows per thread below which forking the OpenMP team costs more than it saves: a cache hit's few new
// tokens (a row takes well under a microsecond) stay on the calling thread.
constexpr int64_t kRowGrain = 256;

// The widest head ropeCpu writes with a strided last dimension (through a row on the stack).
constexpr int64_t kMaxStridedHeadDim = 1024;

// The build targets baseline x86-64 (SSE2); these loops also get an AVX2 and an AVX-512 version, picked at
// load time for the CPU at hand (GCC and Clang function multi-versioning).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KVLAB_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KVLAB_VECTOR_CLONES
#endif

// One head: o = x * cos + rotate_half(x) * sin. __restrict: in and out never overlap, which lets the
// compiler vectorise the loop without run-time alias checks.
KVLAB_VECTOR_CLONES void rotateHalf(const float* __restrict x, float* __restrict o, const float* __restrict c,
                const float* __restrict s, int64_t half) {
  const float* __restrict x2 = x + half;
  float* __restrict o2 = o + half;
  for (int64_t i = 0; i < half; ++i) {
    o[i] = x[i] * c[i] - x2[i] * s[i];
    o2[i] = x2[i] * c[i] + x[i] * s[i];
  }
}

// One row: out = x / sqrt(mean(x^2) + eps). The sum may be reassociated across vector lanes (omp simd,
// compiled with -fopenmp-simd: no OpenMP runtime), as LibTorch's own reduction does.
KVLAB_VECTOR_CLONES void rmsNormRow(const float* __restrict row, float* __restrict o, int64_t d, double eps) {
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < d; ++i) sum += row[i] * row[i];
  const float inv = float(1.0 / std::sqrt(double(sum) / double(d) + eps));
  for (int64_t k = 0; k < d; ++k) o[k] = row[k] * inv;
}

}  // namespace

bool rmsNormRowsCpu(const at::Tensor& x, double eps, const at::Tensor& out) {
  if (!isCpuFloat(x) || !isCpuFloat(out) || !x.is_contiguous() || !out.is_contiguous() || x.dim() < 1 ||
      !x.sizes().equals(out.sizes()) || x.numel() == 0)
    return false;
  const int64_t d = x.size(-1), rows = x.numel() / d;
  const float* in = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) rmsNormRow(in + r * d, dst + r * d, d, eps);
  });
  return true;
}

bool ropeCpu(const at::Tensor& in, const at::Tensor& out, const at::Tensor& cosT, const at::Tensor& sinT) {
  if (!isCpuFloat(in) || !isCpuFloat(out) || !isCpuFloat(cosT) || !isCpuFloat(sinT)) return false;
  if ((in.dim() != 3 && in.dim() != 4) || !in.sizes().equals(out.sizes()) || in.stride(-1) != 1 ||
      !cosT.is_contiguous() || !sinT.is_contiguous())
    return false;
  const int64_t tokens = in.size(0), hd = in.size(-1), half = hd / 2;
  if (hd % 2 != 0 || cosT.dim() != 2 || cosT.size(0) != tokens || cosT.size(1) != half ||
      !sinT.sizes().equals(cosT.sizes()))
    return false;
  // A strided last dimension (keys written into the paged pool's transposed key table) goes through a
  // row on the stack.
  const int64_t outE = out.stride(-1);
  if (outE != 1 && hd > kMaxStridedHeadDim) return false;
  // The middle dimensions as (a, b); a 3-D tensor has b = 1.
  const bool four = in.dim() == 4;
  const int64_t na = in.size(1), nb = four ? in.size(2) : 1;
  const int64_t inA = in.stride(1), inB = four ? in.stride(2) : 0;
  const int64_t outA = out.stride(1), outB = four ? out.stride(2) : 0;
  const float* src = in.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const float* cosData = cosT.data_ptr<float>();
  const float* sinData = sinT.data_ptr<float>();
  const int64_t inT = in.stride(0), outT = out.stride(0);
  at::parallel_for(0, tokens, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const float* c = cosData + t * half;
      const float* s = sinData + t * half;
      for (int64_t a = 0; a < na; ++a)
        for (int64_t b = 0; b < nb; ++b) {
          const float* x = src + t * inT + a * inA + b * inB;
          float* o = dst + t * outT + a * outA + b * outB;
          if (outE == 1) {
            rotateHalf(x, o, c, s, half);
            continue;
          }
          float row[kMaxStridedHeadDim];
          rotateHalf(x, row, c, s, half);
          for (int64_t i = 0; i < hd; ++i) o[i * outE] = row[i];
        }
    }
  });
  return true;
}

}  // namespace kvlab
