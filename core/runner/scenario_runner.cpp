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
#include <functional>
#include <limits>
#include <mutex>
#include <optional>

#include "core/model/byte_tokenizer.h"
#include "core/model/compute_info.h"
#include "core/model/llama_model.h"
#include "core/model/model_config.h"
#include "core/replay/trace_replayer.h"
#include "core/runner/live_kv_cache.h"
#include "core/runner/resource_check.h"
#include "core/serving/hardware_profile.h"
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

bool isOutOfMemory(const std::exception& e) {
  const std::string what = e.what();
  return what.find("out of memory") != std::string::npos ||
         what.find("CUDA out of memory") != std::string::npos;
}

std::string resolveDevice(const std::string& device) {
  if (device == "auto") return cudaAvailable() ? "cuda" : "cpu";
  if (device == "cpu") return device;
  if (device == "cuda") {
    if (!cudaAvailable())
      throw InputError("", 0, "device",
                       "cuda requested but not available (this LibTorch build has no CUDA "
                       "support or no GPU is visible); use --device cpu or auto");
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
  std::optional<Bytes> pendingPinnedBudget;
  std::vector<int> pendingPins;        // request indices whose prefix to pin
  std::atomic<bool> cancelled{false};  // the run in progress; set from its per-run token below
  int currentRunId = 0;                // guarded by controlMutex
  int cancelledThrough = std::numeric_limits<int>::min();  // runs with id <= this are cancelled

  bool hasPending() const {
    return pendingMaxBytes || pendingTtlMs || pendingPolicy || pendingPinnedBudget || !pendingPins.empty();
  }

  // Applies pending changes; while paused, waits, applying each change as it arrives (so a max-size
  // shrink evicts at once even in a paused run). Run thread only.
  // pinRequest: pins the prefix of a request index (live runs); empty = pins are ignored.
  void applyControls(CacheEngine& engine, const std::function<void(int)>& pinRequest = {}) {
    std::unique_lock lock(controlMutex);
    while (true) {
      const std::optional<Bytes> maxBytes = std::exchange(pendingMaxBytes, std::nullopt);
      const std::optional<TimeMs> ttlMs = std::exchange(pendingTtlMs, std::nullopt);
      const std::optional<std::string> policy = std::exchange(pendingPolicy, std::nullopt);
      const std::optional<Bytes> pinnedBudget = std::exchange(pendingPinnedBudget, std::nullopt);
      const std::vector<int> pins = std::exchange(pendingPins, {});
      if (maxBytes || ttlMs || policy || pinnedBudget || !pins.empty()) {
        lock.unlock();  // the engine's observers run user code: never call it under our lock
        if (pinnedBudget) engine.setPinnedBudget(*pinnedBudget);
        if (pinRequest)
          for (const int index : pins) pinRequest(index);
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
      changed.wait(lock, [this] { return !paused || cancelled || hasPending(); });
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
void ScenarioRunner::setPinnedBudget(Bytes bytes) {
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->pendingPinnedBudget = bytes;
  }
  m_impl->changed.notify_all();
}
void ScenarioRunner::pinRequestPrefix(int requestIndex) {
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->pendingPins.push_back(requestIndex);
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
void ScenarioRunner::cancelRun(int runId) {
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->cancelledThrough = std::max(m_impl->cancelledThrough, runId);
    if (m_impl->currentRunId <= m_impl->cancelledThrough) m_impl->cancelled = true;
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
  {
    std::lock_guard lock(m_impl->controlMutex);
    m_impl->currentRunId = runId;
    m_impl->cancelled = runId <= m_impl->cancelledThrough;  // cancelled before it started
    m_impl->pendingPins.clear();                            // indices of an earlier run
  }
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
  cacheConfig.ttlMode = settings.ttlMode.value_or(cacheConfig.ttlMode);
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
  info.ttlMode = cacheConfig.ttlMode;
  info.pinnedBudgetBytes = cacheConfig.pinnedBudgetBytes;
  info.requestsTotal = int(requests.size());
  info.blas = blasLibrary();
  info.computeThreads = computeThreads();
  info.torchVersion = torchVersion();
  observer.onRunStarted(info);

  RunSummary summary;
  summary.runId = runId;
  summary.device = device;
  double sumCached = 0, sumUncached = 0, flopsCached = 0, flopsUncached = 0;
  const auto runStart = SteadyClock::now();
  // "Pin this request's prefix": its segments up to the last boundary (all of it that later requests reuse).
  const auto pinRequest = [&](int index) {
    if (index < 0 || std::size_t(index) >= requests.size()) return;
    const ScenarioRequest& r = requests[std::size_t(index)];
    if (r.boundaries.empty()) return;
    cache.pinPrefix(ByteTokenizer::encode(r.text), r.text, r.boundaries, r.boundaries.back());
  };
  try {
    for (const ScenarioRequest& request : requests) {
      applyControls(cache.engine(), pinRequest);
      if (cancelled) break;
      clock.setMs(std::max(clock.nowMs(), request.arrivalMs));
      const std::vector<std::int32_t> tokens = ByteTokenizer::encode(request.text);
      const std::uint64_t evictionsBefore = cache.engine().counters().totalEvictions();

      // Cached path: lookup + prefix assembly + prefill of the rest; the TTFT a user would see.
      const auto t0 = SteadyClock::now();
      const LiveKvCache::Lookup lookup = cache.lookup(tokens, request.text, request.boundaries);
      const double lookupMs = msSince(t0);
      PrefillResult cached = llama.prefill(tokens, lookup.prefix, &cancelled);
      const at::Tensor cachedLogits = cached.lastLogits.to(at::kCPU);  // waits for the device
      const double ttftCached = msSince(t0);
      // The budget may have been changed live: pin while there is one.
      const std::uint32_t pinTokens =
          cache.engine().config().pinnedBudgetBytes > 0 && !request.boundaries.empty()
              ? request.boundaries.front()
              : 0;
      const auto tStore = SteadyClock::now();
      std::vector<std::uint32_t> unitEnds =
          cache.store(tokens, request.text, request.boundaries, lookup, cached.newKv, pinTokens);
      const double storeMs = msSince(tStore);

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
      record.unitEnds = std::move(unitEnds);
      if (settings.baseline) {
        const auto t1 = SteadyClock::now();
        const PrefillResult full = llama.prefill(tokens, {}, &cancelled);
        const at::Tensor fullLogits = full.lastLogits.to(at::kCPU);
        record.ttftUncachedMs = msSince(t1);
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
  // Simulate mode: sizes only, no tensors. TTFTs come from a cost model: the roofline time of each prefill
  // on a named accelerator (labelled as such by simulated = true and RunInfo::hardware).
  const ModelConfig& model = presetOrThrow(settings.model.value_or("llama-3-8b"), /*needComputable=*/false);
  const std::string hwName =
      settings.hardware.empty() ? std::string(defaultHardwareProfileName()) : settings.hardware;
  const HardwareProfile* hw = findHardwareProfile(hwName);
  if (!hw) throw InputError("", 0, "hardware", "unknown hardware profile " + quoteForError(hwName));
  const double weightBytes = double(estimateLiveRun(model, Granularity::Block, 1, 0, {}).weightBytes);
  const double kvPerToken = double(kvBytesPerToken(model));
  // Weights read once, cached K/V read, new K/V written.
  const auto costMs = [&](std::uint32_t prompt, std::uint32_t hit) {
    const double flops = prefillFlops(model, prompt, hit);
    // Roofline on the profile's sustained rates (the same utilisation factors as the serving simulator).
    return 1e3 * std::max(flops / hw->effectiveFlops(),
                          (weightBytes + kvPerToken * double(prompt)) / hw->effectiveBandwidth());
  };
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
  info.hardware = hw->name;
  info.hardwarePeakFlops = hw->effectiveFlops();
  info.hardwareBandwidth = hw->effectiveBandwidth();
  observer.onRunStarted(info);

  RunSummary summary;
  summary.runId = runId;
  summary.device = "simulated";
  double sumCached = 0, sumUncached = 0, flopsCachedSum = 0, flopsUncachedSum = 0;
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
      record.ttftCachedMs = costMs(record.promptTokens, record.hitTokens);
      record.ttftUncachedMs = costMs(record.promptTokens, 0);
      record.evictions = after.totalEvictions() - before.totalEvictions();
      record.simulated = true;
      record.blockSize = config.blockSize;
      sumCached += record.ttftCachedMs;
      sumUncached += record.ttftUncachedMs;
      flopsCachedSum += record.flopsCached;
      flopsUncachedSum += record.flopsUncached;
      ++summary.requests;
      replayer.engine().publish();
      observer.onRequestDone(record, replayer.engine().snapshot());
    }
  } catch (const std::exception& e) {
    summary.error = e.what();
  }
  replayer.engine().removeObserver(&forwarder);
  summary.cancelled = cancelled.load();
  finishSummary(summary, replayer.engine(), sumUncached, sumCached, flopsUncachedSum, flopsCachedSum, start);
  observer.onRunFinished(summary);
  return summary;
}

}  // namespace kvlab
