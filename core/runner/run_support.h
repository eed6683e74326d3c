// SPDX-License-Identifier: MIT
#pragma once
// Helpers the live, decode and trace runs share: device and preset resolution, reproducibility fields,
// the timing summary. Internal to core/runner; torch-free header.
#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "core/arch/model_config.h"
#include "core/cache/cache_types.h"
#include "core/runner/run_types.h"
#include "core/workload/scenario.h"

namespace kvlab {

using SteadyClock = std::chrono::steady_clock;

inline double msSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// Forwards engine events to the run's observer.
class EventForwarder final : public CacheObserver {
public:
  explicit EventForwarder(RunObserver& observer) : m_observer(observer) {}
  void onCacheEvent(const CacheEvent& event) override { m_observer.onCacheEvent(event); }

private:
  RunObserver& m_observer;
};

// "auto" -> cuda if available else cpu; "cuda:N" for a visible GPU N. Throws InputError(field "device") for
// an unknown or absent device.
std::string resolveDevice(const std::string& device);
// The model `name` names: a preset, a config.json or a model directory (loadModel). Throws InputError(field
// "model") for an unknown one, or an accounting-only one when needComputable.
ModelConfig presetOrThrow(const std::string& name, bool needComputable);
// The computable preset `name` running in `dtype` on the resolved `device` (withDtype: K/V accounting
// follows the dtype). Throws InputError(field "model") like presetOrThrow and InputError(field "dtype")
// for fp16 on the CPU ("fp16 needs a CUDA device"). Also applies allowTf32 (process-wide, CUDA only).
ModelConfig computeModelOrThrow(const std::string& name, ComputeDtype dtype, const std::string& device,
                                bool allowTf32 = false);
// Largest |logit difference| a cached-prefix prefill (or a decode step) may show against the full
// computation in `dtype`: the verify tolerances of defaultVerifyTolerance.
double logitTolerance(ComputeDtype dtype);
bool isOutOfMemory(const std::exception& e);
// glibc allocator settings that keep large K/V and activation buffers mapped between prefills.
void keepLargeAllocationsMapped();
// Sets info's build and machine fields: git revision, version, BLAS, LibTorch version, compute threads.
void fillBuildInfo(RunInfo& info);
// The run id and what identifies the scenario (name, title, kind, seed, file SHA-256) for RunInfo.
void fillScenarioInfo(RunInfo& info, const ScenarioSpec& spec, int runId);

// Per-request TTFTs (ms) of a run: sets the means, medians, p90s and, when uncached has one entry per
// cached one, the speedup (sum uncached / sum cached) and its 95% bootstrap interval. Empty uncached: the
// uncached fields and the speedup stay 0 (not measured).
void summariseTimings(RunSummary& summary, const std::vector<double>& cachedMs,
                      const std::vector<double>& uncachedMs);

}  // namespace kvlab
