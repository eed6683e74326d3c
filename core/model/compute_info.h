// SPDX-License-Identifier: MIT
#pragma once
// What the compute layer runs on (BLAS, threads, CUDA, LibTorch version) and two benchmarks the CLI
// `bench` command and the GUI report. Torch-free header.

#include <string>

#include "core/arch/compute_dtype.h"

namespace kvlab {

// The BLAS library actually loaded into the process, e.g.
// "OpenBLAS 0.3.21 ... (2 threads) [/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3]".
std::string blasLibrary();

// LibTorch intra-op threads (elementwise ops, softmax) used by every prefill. With oneDNN products the
// default is cpuMatmulThreads(): the GEMMs run in the same OpenMP pool. With OpenBLAS products it is 1:
// LibTorch's OpenMP workers spinning next to OpenBLAS's own threads oversubscribe the cores (measured on
// 2 cores: see the model README notes).
int computeThreads();
// Any thread may call it; takes effect in every thread at its next prefill. n < 1 is clamped to 1.
void setComputeThreads(int n);
// Applies computeThreads() to the calling thread (LibTorch's thread count is per OS thread).
// LlamaModel::prefill calls it; cheap when nothing changed.
void applyComputeThreads();

bool cudaAvailable();
std::string torchVersion();  // e.g. "1.13.0"
// The attention kernel compiled into LlamaModel: "scaled_dot_product_attention (bottom-right mask)" with
// LibTorch >= 2.1, else "chunked bmm + softmax (LibTorch < 2.1)".
std::string attentionKernel();

// fp32 (n x n) @ (n x n) throughput in GFLOP/s (2 n^3 FLOPs per product), best of several runs of
// about 0.3 s in total. device: "cpu" or "cuda". Throws std::invalid_argument / std::runtime_error
// like LlamaModel for an unknown or unavailable device.
double measureMatmulGflops(int n = 1024, const std::string& device = "cpu");

// `dtype` (n x n) @ (n x n) GEMMs, `gemms` of them queued back to back and timed as one interval between
// two device barriers (DeviceTimer: on CUDA a stream synchronize, so no launch is left running), after one
// untimed warm-up GEMM. GFLOP/s = 2 n^3 gemms / interval. device: "cpu", "cuda" or "cuda:N"; fp16 only on
// CUDA (std::invalid_argument otherwise).
double measureGemmLoopGflops(int n, int gemms, const std::string& device, ComputeDtype dtype);

// TF32 for fp32 matrix products on CUDA (cuBLAS). Off by default (the process starts with it off and the
// runner sets it from `--allow-tf32`): TF32 rounds the inputs to 10 mantissa bits, which would make fp32
// verify tolerances meaningless. No effect on the CPU.
void setAllowTf32(bool allow);
bool allowTf32();

struct PrefillBench {
  double tokensPerSecond = 0;  // prompt tokens / best prefill wall time
  double gflops = 0;           // prefillFlops(config, tokens, 0) / best wall time, in GFLOP/s
  double matmulGflops = 0;     // measureMatmulGflops(1024, device), the roofline to compare against
  int tokens = 0;              // prompt length
  int cachedTokens = 0;        // of which reused from a cached prefix
  double seconds = 0;          // best wall time of one prefill
  std::string preset;
};

// Builds the preset's model and times an uncached prefill of `tokens` pseudo-random tokens (one warm-up,
// best of 3). Throws std::invalid_argument for an unknown or accounting-only preset or tokens < 1.
// cachedTokens > 0 times a prefill that reuses the K/V of the first cachedTokens tokens (computing the
// rest); tokensPerSecond and gflops then count only the computed part.
// dtype: the model's (withDtype); matmulGflops stays the fp32 figure.
PrefillBench benchPrefill(const std::string& preset, int tokens, const std::string& device,
                          int cachedTokens = 0, ComputeDtype dtype = ComputeDtype::Fp32);

// What the model's CPU matrix products run on (core/model/cpu_matmul.h): "oneDNN 2.6.3 (fp32, bf16), 2
// threads" when the build has oneDNN, else "LibTorch (BLAS)".
std::string cpuMatmulBackend();
// Threads of each oneDNN product. Default: OpenBLAS's thread count (which follows OPENBLAS_NUM_THREADS and
// OMP_NUM_THREADS), else the machine's cores; setBlasThreads sets both. n < 1 is clamped to 1. Process-wide.
void setCpuMatmulThreads(int n);
int cpuMatmulThreads();

// OpenBLAS threads used inside each GEMM (0 / false when the BLAS is not OpenBLAS). Process-wide.
int blasThreads();
bool setBlasThreads(int n);

}  // namespace kvlab
