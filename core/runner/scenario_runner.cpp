// SPDX-License-Identifier: MIT
#include "core/runner/scenario_runner.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/Exception.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <new>
#include <optional>

#include "core/model/byte_tokenizer.h"
#include "core/model/compute_info.h"
#include "core/model/cuda_status.h"
#include "core/model/llama_model.h"
#include "core/model/model_config.h"
#include "core/model/torch_compat.h"
#include "core/replay/trace_replayer.h"
#include "core/runner/device_timer.h"
#include "core/runner/live_kv_cache.h"
#include "core/runner/resource_check.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "core/workload/scenario.h"

#ifndef KVLAB_SOURCE_SCENARIO_DIR
#define KVLAB_SOURCE_SCENARIO_DIR ""
#endif

namespace kvlab {

namespace {

using SteadyClock = std::chrono::steady_clock;

double msSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

bool isTraceFile(const std::string& path) {
  return path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
}

// Forwards engine events to the run's observer.
class EventForwarder final : public CacheObserver {
public:
  explicit EventForwarder(RunObserver& observer) : m_observer(observer) {}
  void onCacheEvent(const CacheEvent& event) override { m_observer.onCacheEvent(event); }

private:
  RunObserver& m_observer;
};

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

// Totals of a finished run from its sums (ms and FLOPs) and the engine's final state. sumUncachedMs = 0: no
// baseline ran.
void finishSummary(RunSummary& summary, CacheEngine& engine, double sumUncachedMs, double sumCachedMs,
                   double flopsUncached, double flopsCached, SteadyClock::time_point start) {
  engine.publish();
  summary.cache = engine.snapshot();
  summary.tokenHitRate = summary.cache.counters.tokenHitRate();
  summary.speedup = sumUncachedMs > 0 && sumCachedMs > 0 ? sumUncachedMs / sumCachedMs : 0;
  summary.idealSpeedup = flopsCached > 0 ? flopsUncached / flopsCached : 0;
  summary.ttftMsCachedMean = summary.requests ? sumCachedMs / summary.requests : 0;
  summary.ttftMsUncachedMean = summary.requests ? sumUncachedMs / summary.requests : 0;
  summary.evictions = summary.cache.counters.capacityEvictions();
  summary.expirations = summary.cache.counters.expirations();
  summary.peakBytes = summary.cache.peakBytes;
  summary.elapsedS = msSince(start) / 1000.0;
}

// By type, not by message text: LibTorch's allocators throw c10::OutOfMemoryError (torch_compat.h names it
// for every supported version), plain C++ allocations std::bad_alloc.
bool isOutOfMemory(const std::exception& e) {
  return dynamic_cast<const torch_compat::OutOfMemoryError*>(&e) != nullptr ||
         dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
}

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
  throw InputError("", 0, "device",
                   "unknown device " + quoteForError(device) + " (choose from: cpu, cuda, auto)");
}

const ModelConfig& presetOrThrow(const std::string& name, bool needComputable) {
  const ModelConfig* preset = findModelPreset(name);
  if (!preset) throw InputError("", 0, "model", "unknown model preset " + quoteForError(name));
  if (needComputable && !preset->computable)
    throw InputError("", 0, "model",
                     "preset '" + name +
                         "' has real-model shapes for accounting only; live runs "
                         "need a computable preset (demo, small)");
  return *preset;
}

}  // namespace

struct ScenarioRunner::Impl {
  // Live controls: written by any thread, applied by the run thread between requests.
  std::mutex controlMutex;
  std::condition_variable changed;  // resume, cancel or a pending change
  bool paused = false;
  std::optional<Bytes> pendingMaxBytes;
  std::optional<TimeMs> pendingTtlMs;
  std::optional<std::string> pendingPolicy;
  std::atomic<bool> cancelled{false};

  // Applies pending changes; while paused, waits, applying each change as it arrives (so a max-size
  // shrink evicts at once even in a paused run). Run thread only.
  void applyControls(CacheEngine& engine) {
    std::unique_lock lock(controlMutex);
    while (true) {
      const std::optional<Bytes> maxBytes = std::exchange(pendingMaxBytes, std::nullopt);
      const std::optional<TimeMs> ttlMs = std::exchange(pendingTtlMs, std::nullopt);
      const std::optional<std::string> policy = std::exchange(pendingPolicy, std::nullopt);
      if (maxBytes || ttlMs || policy) {
        lock.unlock();  // the engine's observers run user code: never call it under our lock
        if (maxBytes) engine.setCapacity(*maxBytes);
        if (ttlMs) engine.setTtlMs(*ttlMs);
        if (policy) {
          try {
            engine.setPolicy(*policy);
          } catch (const std::invalid_argument&) {
            // An unknown name from a caller: keep the current policy (the GUI only offers registered names).
          }
        }
        engine.publish();
        lock.lock();
        continue;
      }
      if (!paused || cancelled) return;
      changed.wait(
          lock, [this] { return !paused || cancelled || pendingMaxBytes || pendingTtlMs || pendingPolicy; });
    }
  }

  RunSummary runLive(const RunSettings& settings, const ScenarioSpec& spec, RunObserver& observer, int runId);
  RunSummary runTrace(const RunSettings& settings, const std::string& path, RunObserver& observer, int runId);
};

ScenarioRunner::ScenarioRunner() : m_impl(std::make_unique<Impl>()) {}
ScenarioRunner::~ScenarioRunner() { cancel(); }

void ScenarioRunner::setMaxBytes(Bytes bytes) {
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->pendingMaxBytes = bytes;
  }
  m_impl->changed.notify_all();
}
void ScenarioRunner::setTtlMs(TimeMs ttlMs) {
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->pendingTtlMs = ttlMs;
  }
  m_impl->changed.notify_all();
}
void ScenarioRunner::setPolicy(const std::string& policy) {
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->pendingPolicy = policy;
  }
  m_impl->changed.notify_all();
}
void ScenarioRunner::pause() {
  std::lock_guard lock(m_impl->controlMutex);
  m_impl->paused = true;
}
void ScenarioRunner::resume() {
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->paused = false;
  }
  m_impl->changed.notify_all();
}
void ScenarioRunner::cancel() {
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->cancelled = true;
  }
  m_impl->changed.notify_all();
}
bool ScenarioRunner::isPaused() const {
  std::lock_guard lock(m_impl->controlMutex);
  return m_impl->paused;
}

std::string defaultScenarioDir() {
  if (const char* env = std::getenv("KVLAB_SCENARIO_DIR")) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path() / ".." / "share" / "kvlab" / "scenarios";
    if (std::filesystem::is_directory(installed, ec)) return installed.lexically_normal().string();
  }
  return KVLAB_SOURCE_SCENARIO_DIR;
}

RunSummary ScenarioRunner::run(const RunSettings& settings, RunObserver& observer, int runId) {
  m_impl->cancelled = false;
  const std::string dir = settings.scenarioDir.empty() ? defaultScenarioDir() : settings.scenarioDir;
  if (isTraceFile(settings.scenario)) return m_impl->runTrace(settings, settings.scenario, observer, runId);
  const std::string path = resolveScenario(settings.scenario, dir);
  const ScenarioSpec spec = loadScenarioFile(path);
  return m_impl->runLive(settings, spec, observer, runId);
}

RunSummary ScenarioRunner::Impl::runLive(const RunSettings& settings, const ScenarioSpec& specIn,
                                         RunObserver& observer, int runId) {
  ScenarioSpec spec = specIn;
  if (settings.seed) spec.seed = *settings.seed;
  const ModelConfig& model = presetOrThrow(settings.model.value_or(spec.model), /*needComputable=*/true);
  const std::string device = resolveDevice(settings.device);
  const std::string storage = settings.storageDevice.empty() ? device : resolveDevice(settings.storageDevice);
  const Granularity granularity = settings.granularity.value_or(parseGranularity(spec.cache.granularity));
  const std::uint32_t blockSize = settings.blockSize.value_or(spec.cache.blockSize);
  if (blockSize == 0) throw InputError("", 0, "block-size", "must be at least 1 token");
  CacheConfig cacheConfig;
  cacheConfig.capacityBytes = settings.maxBytes.value_or(spec.cache.maxSizeBytes);
  cacheConfig.ttlMs = settings.ttlMs.value_or(spec.cache.ttlMs);
  cacheConfig.policy = settings.policy.value_or(spec.cache.policy);
  cacheConfig.pinnedBudgetBytes = settings.pinnedBudgetBytes;
  const std::vector<ScenarioRequest> requests = generateRequests(spec);
  checkLiveRunFits(model, granularity, blockSize, cacheConfig.capacityBytes, requests, storage);

  keepLargeAllocationsMapped();
  // Grad mode and LibTorch's thread count are per OS thread: set both here, on the run thread.
  c10::InferenceMode inference;
  applyComputeThreads();
  const LlamaModel llama(model, device);
  ManualClock clock;  // the scenario's clock: arrivals as generated, plus real serving time
  LiveKvCache cache(model, granularity, blockSize, cacheConfig, clock, storage, device);
  EventForwarder forwarder(observer);
  cache.engine().addObserver(&forwarder);

  RunInfo info;
  info.runId = runId;
  info.scenarioName = spec.name;
  info.scenarioTitle = spec.title;
  info.scenarioDescription = spec.description;
  info.device = device;
  info.storageDevice = storage;
  info.model = model.name;
  info.layers = model.layers;
  info.granularity = granularity;
  info.blockSize = blockSize;
  info.policy = cacheConfig.policy;
  info.maxBytes = cacheConfig.capacityBytes;
  info.ttlMs = cacheConfig.ttlMs;
  info.requestsTotal = int(requests.size());
  info.blas = blasLibrary();
  info.computeThreads = computeThreads();
  info.torchVersion = torchVersion();
  observer.onRunStarted(info);

  RunSummary summary;
  summary.runId = runId;
  summary.device = device;
  double sumCached = 0, sumUncached = 0, flopsCached = 0, flopsUncached = 0;
  // Every timed interval starts and ends at a device barrier (DeviceTimer), so asynchronous CUDA work never
  // leaks from one measured interval into the next.
  DeviceTimer timer(device);
  const auto runStart = SteadyClock::now();
  try {
    // Warm-up, untimed: the first prefill pays one-off costs (kernel selection, allocator growth, lazy CUDA
    // initialisation) that are no part of any request's TTFT.
    if (!requests.empty()) {
      std::vector<std::int32_t> warm = ByteTokenizer::encode(requests.front().text);
      warm.resize(std::min<std::size_t>(warm.size(), 64));
      if (!warm.empty()) (void)llama.prefill(warm, {}, &cancelled).lastLogits.to(at::kCPU);
    }
    for (const ScenarioRequest& request : requests) {
      applyControls(cache.engine());
      if (cancelled) break;
      clock.setMs(std::max(clock.nowMs(), request.arrivalMs));
      const std::vector<std::int32_t> tokens = ByteTokenizer::encode(request.text);
      const std::uint64_t evictionsBefore = cache.engine().counters().totalEvictions();

      // Cached path: lookup + prefix assembly + prefill of the rest; the TTFT a user would see.
      timer.start();
      const auto t0 = SteadyClock::now();
      const LiveKvCache::Lookup lookup = cache.lookup(tokens, request.text, request.boundaries);
      const double lookupMs = timer.elapsedMs();
      PrefillResult cached = llama.prefill(tokens, lookup.prefix, &cancelled);
      const at::Tensor cachedLogits = cached.lastLogits.to(at::kCPU);  // waits for the device
      const double ttftCached = timer.elapsedMs();
      const std::uint32_t pinTokens =
          settings.pinnedBudgetBytes > 0 && !request.boundaries.empty() ? request.boundaries.front() : 0;
      timer.start();
      cache.store(tokens, request.text, request.boundaries, lookup, cached.newKv, pinTokens);
      const double storeMs = timer.elapsedMs();

      RequestRecord record;
      record.index = request.index;
      record.session = request.session;
      record.arrivalMs = request.arrivalMs;
      record.promptTokens = std::uint32_t(tokens.size());
      record.hitTokens = std::uint32_t(lookup.hitTokens);
      record.computedTokens = record.promptTokens - record.hitTokens;
      record.ttftCachedMs = ttftCached;
      record.lookupMs = lookupMs;
      record.storeMs = storeMs;
      record.flopsCached = prefillFlops(model, std::int64_t(tokens.size()), std::int64_t(lookup.hitTokens));
      record.flopsUncached = prefillFlops(model, std::int64_t(tokens.size()), 0);
      record.text = request.text;
      record.blockSize = granularity == Granularity::Block ? blockSize : 0;
      if (settings.baseline) {
        timer.start();
        const PrefillResult full = llama.prefill(tokens, {}, &cancelled);
        const at::Tensor fullLogits = full.lastLogits.to(at::kCPU);
        record.ttftUncachedMs = timer.elapsedMs();
        record.maxAbsLogitDiff = (cachedLogits - fullLogits).abs().max().item<double>();
        sumUncached += record.ttftUncachedMs;
        summary.maxAbsLogitDiff = std::max(summary.maxAbsLogitDiff, record.maxAbsLogitDiff);
      }
      sumCached += ttftCached;
      flopsCached += record.flopsCached;
      flopsUncached += record.flopsUncached;
      record.evictions = cache.engine().counters().totalEvictions() - evictionsBefore;
      clock.advanceMs(TimeMs(msSince(t0)));
      ++summary.requests;
      cache.engine().publish();
      observer.onRequestDone(record, cache.engine().snapshot());
    }
  } catch (const Cancelled&) {
    // Stopped between layers: the request in flight is dropped, everything before it is kept.
  } catch (const std::exception& e) {
    // Out of memory (CUDA or host) mid-run: stop cleanly and keep what was measured.
    summary.error = isOutOfMemory(e) ? std::string("out of memory: ") + e.what() : e.what();
  }
  cache.engine().removeObserver(&forwarder);
  summary.cancelled = cancelled.load();
  finishSummary(summary, cache.engine(), settings.baseline ? sumUncached : 0, sumCached, flopsUncached,
                flopsCached, runStart);
  observer.onRunFinished(summary);
  return summary;
}

RunSummary ScenarioRunner::Impl::runTrace(const RunSettings& settings, const std::string& path,
                                          RunObserver& observer, int runId) {
  // Simulate mode: sizes only, no tensors. TTFTs come from a cost model: FLOPs / this machine's measured
  // matmul GFLOP/s (labelled as such by simulated = true).
  const ModelConfig& model = presetOrThrow(settings.model.value_or("llama-3-8b"), /*needComputable=*/false);
  const double gflops = measureMatmulGflops(512, "cpu");
  ReplayConfig config;
  config.blockSize = settings.blockSize.value_or(512);
  config.policy = settings.policy.value_or("lru");
  config.bytesPerToken = kvBytesPerToken(model);
  const Bytes maxBytes = settings.maxBytes.value_or(Bytes(64) << 30);
  config.maxTokens = maxBytes / config.bytesPerToken;
  config.ttlMs = settings.ttlMs.value_or(0);
  TraceReplayer replayer(config);
  EventForwarder forwarder(observer);
  replayer.engine().addObserver(&forwarder);
  MooncakeTraceReader reader(path, TraceReadOptions{});

  RunInfo info;
  info.runId = runId;
  info.scenarioName = std::filesystem::path(path).filename().string();
  info.scenarioTitle = "Trace replay: " + info.scenarioName;
  info.scenarioDescription =
      "Mooncake-format trace replayed through the block cache (simulate mode: sizes only; "
      "TTFT and speedup from a FLOP cost model).";
  info.simulated = true;
  info.device = "simulated";
  info.storageDevice = "simulated";
  info.model = model.name;
  info.layers = model.layers;
  info.granularity = Granularity::Block;
  info.blockSize = config.blockSize;
  info.policy = config.policy;
  info.maxBytes = config.capacityBlocks() * config.blockSize * config.bytesPerToken;
  info.ttlMs = config.ttlMs;
  info.requestsTotal = 0;  // unknown while streaming
  info.blas = blasLibrary();
  info.matmulGflops = gflops;
  observer.onRunStarted(info);

  RunSummary summary;
  summary.runId = runId;
  summary.device = "simulated";
  double sumCached = 0, sumUncached = 0;
  const auto start = SteadyClock::now();
  TraceRequest request;
  int index = 0;
  try {
    while (reader.next(request)) {
      applyControls(replayer.engine());
      if (cancelled) break;
      const CacheCounters before = replayer.engine().counters();
      replayer.replay(request);
      const CacheCounters& after = replayer.engine().counters();
      RequestRecord record;
      record.index = index++;
      record.session = "request " + std::to_string(record.index);
      record.arrivalMs = request.timestampMs;
      record.promptTokens = request.inputLength;
      record.hitTokens = std::uint32_t(after.hitTokens - before.hitTokens);
      record.computedTokens = record.promptTokens - record.hitTokens;
      record.flopsCached = prefillFlops(model, record.promptTokens, record.hitTokens);
      record.flopsUncached = prefillFlops(model, record.promptTokens, 0);
      record.ttftCachedMs = record.flopsCached / (gflops * 1e9) * 1e3;
      record.ttftUncachedMs = record.flopsUncached / (gflops * 1e9) * 1e3;
      record.evictions = after.totalEvictions() - before.totalEvictions();
      record.simulated = true;
      record.blockSize = config.blockSize;
      sumCached += record.ttftCachedMs;
      sumUncached += record.ttftUncachedMs;
      ++summary.requests;
      replayer.engine().publish();
      observer.onRequestDone(record, replayer.engine().snapshot());
    }
  } catch (const std::exception& e) {
    summary.error = e.what();
  }
  replayer.engine().removeObserver(&forwarder);
  summary.cancelled = cancelled.load();
  // The cost model's TTFTs are FLOPs / GFLOP/s, so measured and ideal speedups coincide by construction.
  finishSummary(summary, replayer.engine(), sumUncached, sumCached, sumUncached, sumCached, start);
  observer.onRunFinished(summary);
  return summary;
}

}  // namespace kvlab
