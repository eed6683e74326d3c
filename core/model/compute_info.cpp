// SPDX-License-Identifier: MIT
#include "core/model/compute_info.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/randn.h>
#include <c10/core/InferenceMode.h>
#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/model/cpu_matmul.h"
#include "core/model/cuda_status.h"
#include "core/model/llama_model.h"
#include "core/model/torch_compat.h"
#include "core/device/device_timer.h"

namespace kvlab {

namespace {

// 0 = the default: 1 with OpenBLAS products, cpuMatmulThreads() with oneDNN ones (see computeThreads()).
std::atomic<int> g_computeThreads{0};

std::vector<std::string> loadedObjects() {
  std::vector<std::string> paths;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        if (info->dlpi_name && info->dlpi_name[0] != '\0') {
          char resolved[PATH_MAX];
          const char* path = realpath(info->dlpi_name, resolved) ? resolved : info->dlpi_name;
          static_cast<std::vector<std::string>*>(data)->emplace_back(path);
        }
        return 0;
      },
      &paths);
  return paths;
}

bool contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

at::Device parseDevice(const std::string& device) {
  if (device == "cpu") return at::Device(at::kCPU);
  if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
    if (!cudaAvailable())
      throw std::runtime_error("device '" + device +
                               "' requested, but this LibTorch build has no CUDA support "
                               "or no GPU is visible");
    return at::Device(device);  // "cuda" or "cuda:N"; throws c10::Error for a malformed index
  }
  throw std::invalid_argument("unknown device '" + device + "' (use cpu, cuda or cuda:N)");
}

at::ScalarType scalarTypeOf(ComputeDtype dtype) {
  return dtype == ComputeDtype::Bf16 ? at::kBFloat16 : dtype == ComputeDtype::Fp16 ? at::kHalf : at::kFloat;
}

// Waits for queued device work: copying one element to the host synchronises the stream.
void sync(const at::Tensor& t) {
  if (t.is_cuda()) (void)t.reshape({-1}).narrow(0, 0, 1).to(at::kCPU);
}

double seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string blasLibrary() {
  using GetConfig = char* (*)();
  using GetThreads = int (*)();
  std::string path;
  std::string kind;
  for (const std::string& p : loadedObjects()) {
    if (contains(p, "openblas")) {
      path = p;
      kind = "OpenBLAS";
      break;
    }
    if (contains(p, "libmkl")) {
      path = p;
      kind = "MKL";
    } else if (kind.empty() &&
               (contains(p, "libblis") || contains(p, "libflexiblas") || contains(p, "libblas."))) {
      path = p;
      kind = contains(p, "libblis") ? "BLIS" : contains(p, "flexiblas") ? "FlexiBLAS" : "BLAS";
    }
  }
  // OpenBLAS can hide behind a generic libblas.so.3 name; its entry points give it away.
  if (auto getConfig = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    std::string text = getConfig();
    if (auto getThreads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")))
      text += " (" + std::to_string(getThreads()) + " threads)";
    return text + (path.empty() ? "" : " [" + path + "]");
  }
  if (kind.empty() && at::hasMKL()) return "MKL (linked into LibTorch)";
  if (kind.empty()) return "unknown (no BLAS shared library loaded)";
  return kind + " [" + path + "]";
}

// One LibTorch intra-op thread helps only with an OpenBLAS LibTorch (Debian's): OpenBLAS threads each GEMM
// itself and LibTorch's pool on top oversubscribes the cores. An MKL/OpenMP LibTorch (PyTorch's wheels)
// threads its GEMMs through that pool, so there the CPU path keeps LibTorch's default (all cores).
static bool limitsIntraOpThreads() { return blasThreads() > 0; }

// With oneDNN products (cpu_matmul.h) the GEMMs run in LibTorch's own OpenMP pool, so the other ops may use
// it too: there is no second pool to oversubscribe the cores. Measured on the 2-core VM (demo, 70 new tokens
// over 2000 cached): 2 threads against 1 took the cached prefill from 49 to 42 ms and the uncached one from
// 722 to 660 ms.
static int defaultComputeThreads() {
#if KVLAB_HAVE_ONEDNN
  return cpuMatmulThreads();
#else
  return 1;
#endif
}

int computeThreads() {
  if (!limitsIntraOpThreads()) return at::get_num_threads();
  const int n = g_computeThreads.load();
  return n > 0 ? n : defaultComputeThreads();
}

void setComputeThreads(int n) {
  g_computeThreads.store(std::max(1, n));
  applyComputeThreads();
}

void applyComputeThreads() {
  if (!limitsIntraOpThreads()) return;
  const int wanted = computeThreads();
  if (at::get_num_threads() != wanted) at::set_num_threads(wanted);
}

bool cudaAvailable() { return cudaUnavailableReason().empty(); }

std::string torchVersion() { return torch_compat::kVersion; }

std::string attentionKernel() {
  return torch_compat::kHasSdpa ? "scaled_dot_product_attention (explicit bottom-right mask)"
                                : "chunked bmm + softmax (LibTorch < 2.1)";
}

void setAllowTf32(bool allow) { at::globalContext().setAllowTF32CuBLAS(allow); }

bool allowTf32() { return at::globalContext().allowTF32CuBLAS(); }

double measureGemmLoopGflops(int n, int gemms, const std::string& device, ComputeDtype dtype) {
  if (n < 1 || gemms < 1) throw std::invalid_argument("measureGemmLoopGflops: n and gemms must be positive");
  const at::Device dev = parseDevice(device);
  if (dtype == ComputeDtype::Fp16 && !dev.is_cuda())
    throw std::invalid_argument(
        "fp16 needs a CUDA device (LibTorch's CPU kernels lack fp16 matrix products)");
  applyComputeThreads();
  c10::InferenceMode inferenceGuard;
  const auto opts = at::TensorOptions().dtype(scalarTypeOf(dtype)).device(dev);
  const at::Tensor a = at::randn({n, n}, opts.dtype(at::kFloat)).to(opts.dtype());
  const at::Tensor b = at::randn({n, n}, opts.dtype(at::kFloat)).to(opts.dtype());
  at::Tensor c = at::empty({n, n}, opts);
  DeviceTimer timer(device);
  matmulOut(c, a, b);  // warm-up: cuBLAS handle and workspace, BLAS threads, page faults
  timer.start();        // waits for the warm-up
  for (int i = 0; i < gemms; ++i) matmulOut(c, a, b);
  // One barrier after the whole loop: the launches queue back to back, so the figure is the device's GEMM
  // rate, not launch latency.
  const double ms = timer.elapsedMs();
  return 2.0 * double(n) * double(n) * double(n) * double(gemms) / (ms * 1e-3) / 1e9;
}

double measureMatmulGflops(int n, const std::string& device) {
  if (n < 1) throw std::invalid_argument("measureMatmulGflops: n must be positive");
  const at::Device dev = parseDevice(device);
  applyComputeThreads();
  c10::InferenceMode inferenceGuard;
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(dev);
  const at::Tensor a = at::randn({n, n}, opts);
  const at::Tensor b = at::randn({n, n}, opts);
  at::Tensor c = at::empty({n, n}, opts);
  matmulOut(c, a, b);  // warm-up: BLAS thread start, page faults, CUDA context
  sync(c);
  const double flops = 2.0 * double(n) * double(n) * double(n);
  double best = 1e30;
  const auto begin = std::chrono::steady_clock::now();
  for (int rep = 0; rep < 50 && (rep < 3 || seconds(begin) < 0.3); ++rep) {
    const auto start = std::chrono::steady_clock::now();
    matmulOut(c, a, b);
    sync(c);
    best = std::min(best, seconds(start));
  }
  return flops / best / 1e9;
}

PrefillBench benchPrefill(const std::string& preset, int tokens, const std::string& device, int cachedTokens,
                          ComputeDtype dtype) {
  const ModelConfig* found = findModelPreset(preset);
  if (!found) throw std::invalid_argument("benchPrefill: unknown preset '" + preset + "'");
  const ModelConfig withType = withDtype(*found, dtype);
  const ModelConfig* config = &withType;
  if (tokens < 1 || cachedTokens < 0 || cachedTokens >= tokens)
    throw std::invalid_argument("benchPrefill: need 0 <= cachedTokens < tokens");
  const LlamaModel model(*config, device);  // throws for accounting-only presets or missing CUDA

  std::vector<int32_t> prompt(static_cast<size_t>(tokens));
  uint32_t state = 12345u;
  for (int32_t& t : prompt) {
    state = state * 1664525u + 1013904223u;
    t = int32_t((state >> 16) % uint32_t(config->vocab));
  }
  // The cached prefix: K/V of the first cachedTokens tokens, as a cache would hand them over.
  std::vector<LayerKv> prefix;
  if (cachedTokens > 0)
    prefix = model.prefill(std::span<const int32_t>(prompt).first(size_t(cachedTokens) + 1), {}).newKv;
  for (LayerKv& kv : prefix) {
    kv.k = kv.k.narrow(1, 0, cachedTokens).contiguous();
    kv.v = kv.v.narrow(1, 0, cachedTokens).contiguous();
  }

  PrefillBench bench;
  bench.preset = preset;
  bench.tokens = tokens;
  bench.cachedTokens = cachedTokens;
  double best = 1e30;
  for (int rep = 0; rep < 6; ++rep) {  // rep 0 warms up caches and allocator
    const auto start = std::chrono::steady_clock::now();
    const PrefillResult r = model.prefill(prompt, prefix);
    sync(r.lastLogits);
    if (rep > 0) best = std::min(best, seconds(start));
  }
  bench.seconds = best;
  bench.tokensPerSecond = double(tokens - cachedTokens) / best;
  bench.gflops = prefillFlops(*config, tokens, cachedTokens) / best / 1e9;
  bench.matmulGflops = measureMatmulGflops(1024, device);
  return bench;
}

int blasThreads() {
  using GetThreads = int (*)();
  if (auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) return get();
  return 0;
}

bool setBlasThreads(int n) {
  setCpuMatmulThreads(n);
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(std::max(1, n));
    return true;
  }
  return false;
}

}  // namespace kvlab
