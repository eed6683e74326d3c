// SPDX-License-Identifier: MIT
#include "core/runner/run_support.h"

#include <malloc.h>

#include <new>
#include <numeric>

#include "core/arch/model_loader.h"
#include "core/model/compute_info.h"
#include "core/model/cuda_status.h"
#include "core/model/torch_compat.h"
#include "core/runner/run_statistics.h"
#include "core/util/build_info.h"
#include "core/util/input_error.h"

namespace kvlab {

std::string resolveDevice(const std::string& device) {
  if (device == "auto") return cudaAvailable() ? "cuda" : "cpu";
  if (device == "cpu") return device;
  if (device == "cuda") {
    if (!cudaAvailable())
      throw InputError(
          "", 0, "device",
          "cuda requested but not available (" + cudaUnavailableReason() + "); use --device cpu or auto");
    return device;
  }
  const std::string prefix = "cuda:";
  if (device.rfind(prefix, 0) == 0) {
    const std::string index = device.substr(prefix.size());
    if (index.empty() || index.size() > 3 || index.find_first_not_of("0123456789") != std::string::npos)
      throw InputError("", 0, "device", "expected cuda:N with a GPU index N, got " + quoteForError(device));
    if (!cudaAvailable())
      throw InputError("", 0, "device",
                       device + " requested but CUDA is not available (" + cudaUnavailableReason() +
                           "); use --device cpu or auto");
    const int gpus = cudaDeviceCount();
    if (std::stoi(index) >= gpus)
      throw InputError("", 0, "device",
                       device + " requested but only " + std::to_string(gpus) + " GPU(s) are visible (0.." +
                           std::to_string(gpus - 1) + ")");
    return device;
  }
  throw InputError("", 0, "device",
                   "unknown device " + quoteForError(device) + " (choose from: cpu, cuda, cuda:N, auto)");
}

ModelConfig presetOrThrow(const std::string& name, bool needComputable) {
  ModelConfig model = loadModel(name);
  if (needComputable && !model.computable)
    throw InputError("", 0, "model",
                     "'" + name +
                         "' has real-model shapes for accounting only; live runs "
                         "need a computable preset (demo, small, gpu-1b)");
  return model;
}

ModelConfig computeModelOrThrow(const std::string& name, ComputeDtype dtype, const std::string& device,
                                bool allowTf32) {
  const ModelConfig config = withDtype(presetOrThrow(name, /*needComputable=*/true), dtype);
  if (dtype == ComputeDtype::Fp16 && device.rfind("cuda", 0) != 0)
    throw InputError("", 0, "dtype",
                     "fp16 needs a CUDA device (LibTorch's CPU kernels lack fp16 matrix products); on " +
                         device + " use bf16 or fp32");
  setAllowTf32(allowTf32);
  return config;
}

double logitTolerance(ComputeDtype dtype) { return defaultVerifyTolerance(dtype); }

// By type, not by message text: LibTorch's allocators throw c10::OutOfMemoryError (torch_compat.h names it
// for every supported version), plain C++ allocations std::bad_alloc.
bool isOutOfMemory(const std::exception& e) {
  return dynamic_cast<const torch_compat::OutOfMemoryError*>(&e) != nullptr ||
         dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
}

// glibc serves blocks over 128 KiB-32 MiB with fresh mmap()s and unmaps them on free, so every prefill would
// page-fault its K/V and activation buffers in again (measured: ~15% of a cached run's time in the kernel's
// page-fault path). Keeping them in the heap lets the next request reuse the pages; memory stays bounded by
// the largest working set, which the soak test checks.
void keepLargeAllocationsMapped() {
  static const bool once = [] {
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1024 << 20);
    return true;
  }();
  (void)once;
}

void fillScenarioInfo(RunInfo& info, const ScenarioSpec& spec, int runId) {
  info.runId = runId;
  info.scenarioName = spec.name;
  info.scenarioTitle = spec.title;
  info.scenarioDescription = spec.description;
  info.scenarioKind = std::string(scenarioKindName(spec.kind));
  info.scenarioSeed = spec.seed;
  info.scenarioSha256 = spec.fileSha256;
}

void fillBuildInfo(RunInfo& info) {
  info.gitRevision = std::string(gitRevision());
  info.kvlabVersion = std::string(kvlabVersion());
  info.blas = blasLibrary();
  // info.device is set before this is called; a trace replay ("simulated") computes nothing.
  info.matmul = info.device.rfind("cuda", 0) == 0 ? "cuBLAS (LibTorch)"
                : info.device == "cpu"            ? cpuMatmulBackend()
                                                  : "";
  info.computeThreads = computeThreads();
  info.torchVersion = torchVersion();
}

void summariseTimings(RunSummary& summary, const std::vector<double>& cachedMs,
                      const std::vector<double>& uncachedMs) {
  const auto mean = [](const std::vector<double>& v) {
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  };
  summary.ttftMsCachedMean = mean(cachedMs);
  summary.ttftMsCachedMedian = percentile(cachedMs, 50);
  summary.ttftMsCachedP90 = percentile(cachedMs, 90);
  if (uncachedMs.empty() || uncachedMs.size() != cachedMs.size()) return;
  summary.ttftMsUncachedMean = mean(uncachedMs);
  summary.ttftMsUncachedMedian = percentile(uncachedMs, 50);
  summary.ttftMsUncachedP90 = percentile(uncachedMs, 90);
  const double sumCached = std::accumulate(cachedMs.begin(), cachedMs.end(), 0.0);
  const double sumUncached = std::accumulate(uncachedMs.begin(), uncachedMs.end(), 0.0);
  if (sumCached > 0 && sumUncached > 0) {
    summary.speedup = sumUncached / sumCached;
    summary.speedupCi95 = bootstrapRatioInterval(uncachedMs, cachedMs);
  }
}

}  // namespace kvlab
