// SPDX-License-Identifier: MIT
#include "core/runner/live_run.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <numeric>

#include "core/model/compute_info.h"
#include "core/model/cuda_memory.h"
#include "core/model/llama_model.h"
#include "core/runner/live_model.h"
#include "core/runner/live_model_loader.h"
#include "core/policies/policy_registry.h"
#include "core/device/device_timer.h"
#include "core/runner/live_kv_cache.h"
#include "core/runner/resource_check.h"
#include "core/runner/run_support.h"
#include "core/tiers/model_blob_layout.h"
#include "core/tiers/redis_tier.h"
#include "core/tiers/remote_tier_factory.h"
#include "core/tiers/remote_url.h"
#include "core/tokenizer/tokenized_prompt.h"
#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

namespace {

// The remote tier of a live run (one Redis server or a Redis Cluster), the one place that builds it.
std::unique_ptr<RemoteKvStore> openRemoteTier(const RunSettings& settings, const ModelConfig& model,
                                              std::uint32_t blockSize) {
  // A password left out of the URL comes from KVLAB_REMOTE_PASSWORD / KVLAB_REMOTE_PASSWORD_FILE.
  const RemoteUrl url = RemoteUrl::parse(settings.remoteUrl, "remote").withEnvironment("remote");
  if (settings.remoteTimeoutMs < 1 || settings.remoteTimeoutMs > 600'000)
    throw InputError("", 0, "remote-timeout", "must be between 1ms and 10m");
  RedisTierOptions options;
  options.timeoutMs = settings.remoteTimeoutMs;
  return makeRemoteTier(url, modelBlobLayout(model, blockSize), options);
}

// The host tier's capacity and policy (unset: the device tier's policy); InputError for an unknown policy.
CacheConfig hostTierConfig(const RunSettings& settings, const CacheConfig& device) {
  CacheConfig host;
  host.capacityBytes = settings.hostMaxBytes;
  host.policy = settings.hostPolicy.value_or(device.policy);
  if (!findPolicy(host.policy))
    throw InputError("", 0, "host-policy", unknownPolicyMessage(host.policy, false));
  return host;
}

// The host tier holds at most min(host size, all K/V the scenario could store) in host memory, on top of what
// the run keeps there itself (everything when the cache lives in host memory). InputError when that exceeds
// the memory the OS says is available.
void checkHostTierFits(const ModelConfig& model, Granularity granularity, std::uint32_t blockSize,
                       const CacheConfig& device, const RunSettings& settings,
                       const std::vector<ScenarioRequest>& requests, const std::string& storage) {
  const Bytes available = availableHostMemory();
  if (available == 0) return;
  const Bytes host =
      estimateLiveRun(model, granularity, blockSize, settings.hostMaxBytes, requests).cacheBytes;
  const Bytes run =
      storage == "cpu"
          ? estimateLiveRun(model, granularity, blockSize, device.capacityBytes, requests).total()
          : 0;
  if (host + run <= available) return;
  throw InputError("", 0, "host-size",
                   "this run would need about " + formatBytes(host + run) + " of host memory (host tier " +
                       formatBytes(host) + ") but only " + formatBytes(available) +
                       " is available; lower --host-size");
}

std::int32_t greedyToken(const at::Tensor& logits) { return std::int32_t(logits.argmax().item<int64_t>()); }

// One untimed pass of everything a request does before the first timed request: the first prefill, first
// cached prefill and first decode step pay one-time costs (allocator growth, thread start-up, JIT kernels,
// lazy initialisation) that would otherwise land on request 0's timings. Measured on the 2-core VM:
//  - The uncached prefill runs at the first request's full length (up to kWarmUpTokens), so the allocator
//    already holds buffers of the size the timed prefills use (repeated-prefix, 2078 tokens, with a 64-token
//    warm-up: request 0's cached prefill, which runs first, 973 ms against its own uncached 709 ms).
//  - It runs twice, the second while the first's K/V are held, as a request's cached K/V are while its
//    uncached prefill runs. glibc's malloc raises its mmap threshold once the first prefill frees its big
//    buffers, so later prefills take theirs from a heap that still has to grow (a process's 2nd full prefill
//    of 1100 tokens: 313 ms and 4,500 page faults; the 3rd: 274 ms and 200). Agentic's request 0 (a miss),
//    cached against uncached, two runs each: one warm-up prefill 367 / 328 against 314 / 275 ms; two, the
//    first freed before the second, 326 / 338 against 279 / 279; two as here, 311 / 270 against 322 / 279.
// The cached prefill and the decode step then run on the first 64 tokens, whose K/V the full prefill already
// holds (a token's K/V depend only on the tokens up to it).
constexpr std::size_t kWarmUpTokens = 4096;

void warmUp(const LlamaModel& llama, std::span<const std::int32_t> prompt, bool decodes) {
  const std::span<const std::int32_t> warmUpPrompt = prompt.first(std::min(prompt.size(), kWarmUpTokens));
  const PrefillResult full = llama.prefill(warmUpPrompt, {});
  (void)llama.prefill(warmUpPrompt, {});  // while `full` is held, as a request's cached K/V are
  const std::span<const std::int32_t> tokens = prompt.first(std::min<std::size_t>(prompt.size(), 64));
  // The first n tokens' K/V of every layer, as the cache would hand them over.
  const auto firstTokensKv = [&full](std::size_t n) {
    std::vector<LayerKv> kv;
    for (const LayerKv& layer : full.newKv)
      kv.push_back({layer.k.narrow(1, 0, std::int64_t(n)).contiguous(),
                    layer.v.narrow(1, 0, std::int64_t(n)).contiguous()});
    return kv;
  };
  if (tokens.size() >= 2) (void)llama.prefill(tokens, firstTokensKv(tokens.size() / 2));
  if (decodes) {
    SequenceKv sequence = llama.newSequence(std::int64_t(tokens.size()) + 1);
    llama.appendToSequence(sequence, firstTokensKv(tokens.size()));
    std::vector<std::int32_t> extended(tokens.begin(), tokens.end());
    extended.push_back(greedyToken(full.lastLogits));  // any valid id warms the step up
    (void)llama.extend(extended, sequence);
  }
}

// Greedy decoding after the cached prefill: the sequence's K/V (cached prefix + computed) grown one token
// per step. Returns the wall ms of each step after the first token (each ends with a device barrier); the
// first step also pays the copy of the prompt's K/V into the sequence.
std::vector<double> decode(DeviceTimer& timer, const LlamaModel& llama, std::vector<std::int32_t> tokens,
                           const KvPrefixSource& prefix, const std::vector<LayerKv>& computed,
                           const at::Tensor& firstLogits, std::uint32_t outputTokens,
                           const std::atomic<bool>* cancel) {
  std::vector<double> stepMs;
  if (outputTokens < 2) return stepMs;
  stepMs.reserve(outputTokens - 1);
  timer.start();
  SequenceKv sequence = llama.newSequence(std::int64_t(tokens.size() + outputTokens - 1));
  llama.appendToSequence(sequence, prefix);
  llama.appendToSequence(sequence, computed);
  std::int32_t next = greedyToken(firstLogits);
  for (std::uint32_t i = 1; i < outputTokens; ++i) {
    tokens.push_back(next);
    const PrefillResult step = llama.extend(tokens, sequence, cancel);
    next = greedyToken(step.lastLogits);  // reads the logits back: waits for the device
    stepMs.push_back(timer.elapsedMs());
    timer.start();
  }
  return stepMs;
}

}  // namespace

RunSummary runLive(const RunSettings& settings, const ScenarioSpec& specIn, RunControls& controls,
                   RunObserver& observer, int runId) {
  ScenarioSpec spec = specIn;
  if (settings.seed) spec.seed = *settings.seed;
  if (settings.outputTokens) spec.outputTokens = {*settings.outputTokens, *settings.outputTokens};
  const std::string device = resolveDevice(settings.device);
  // The preset in the run's dtype: K/V byte accounting (cache, capacity check) follows it.
  // A preset (generated weights) or a model directory (its checkpoint and, unless --tokenizer, its
  // tokenizer.json).
  LiveModelChoice choice =
      chooseLiveModel(settings.model.value_or(spec.model), settings.dtype, device, settings.allowTf32);
  ModelConfig& model = choice.config;  // the vocabulary below reaches the model built from the choice
  const std::string tokenizerPath = settings.tokenizerPath.empty() ? choice.tokenizerPath : settings.tokenizerPath;
  const std::unique_ptr<TextTokenizer> tokenizer = openTextTokenizer(tokenizerPath);
  // Generated weights: with a real tokenizer the embedding and LM head take the tokenizer's vocabulary (K/V
  // sizes do not depend on it). A checkpoint's vocabulary is its own.
  if (choice.weightsDir.empty()) model.vocab = std::max(model.vocab, tokenizer->vocabSize());
  else if (tokenizer->vocabSize() > model.vocab)
    throw InputError(tokenizerPath, 0, "", "has " + std::to_string(tokenizer->vocabSize()) +
                                               " tokens but the model's vocab_size is " + std::to_string(model.vocab));
  const std::string storage = settings.storageDevice.empty() ? device : resolveDevice(settings.storageDevice);
  const Granularity granularity = settings.granularity.value_or(parseGranularity(spec.cache.granularity));
  const std::uint32_t blockSize = settings.blockSize.value_or(spec.cache.blockSize);
  if (blockSize == 0) throw InputError("", 0, "block-size", "must be at least 1 token");
  if (!tokenizerPath.empty() && granularity == Granularity::Prompt)
    throw InputError("", 0, settings.tokenizerPath.empty() ? "model" : "tokenizer",
                     "prompt granularity keys entries on the prompt's bytes (one byte, one token): with "
                     "--tokenizer or a model directory use --granularity block or radix");
  CacheConfig cacheConfig;
  cacheConfig.capacityBytes = settings.maxBytes.value_or(spec.cache.maxSizeBytes);
  cacheConfig.ttlMs = settings.ttlMs.value_or(spec.cache.ttlMs);
  cacheConfig.ttlMode = settings.ttlMode.value_or(TtlMode::Idle);
  cacheConfig.policy = settings.policy.value_or(spec.cache.policy);
  cacheConfig.pinnedBudgetBytes = settings.pinnedBudgetBytes;
  const std::vector<ScenarioRequest> requests = generateRequests(spec);
  std::vector<TokenizedPrompt> prompts;  // requests[i] in tokens
  prompts.reserve(requests.size());
  for (const ScenarioRequest& r : requests) prompts.push_back(tokenizePrompt(*tokenizer, r.text, r.boundaries));
  checkLiveRunFits(model, granularity, blockSize, cacheConfig.capacityBytes, requests, storage);
  if (settings.hostMaxBytes > 0)
    checkHostTierFits(model, granularity, blockSize, cacheConfig, settings, requests, storage);
  if (device != "cpu")
    checkDeviceMemoryFits(estimateLiveRun(model, granularity, blockSize, cacheConfig.capacityBytes, requests),
                          device, storage);

  keepLargeAllocationsMapped();
  // Grad mode and LibTorch's thread count are per OS thread: set both here, on the run thread.
  c10::InferenceMode inference;
  applyComputeThreads();
  // The scenario's own clock: arrival times as generated, never measured time, so TTL expiry (and with it
  // hits and evictions) is the same on every machine and with or without the baseline.
  ManualClock clock;
  // Before the model loads, so a bad tier setting fails at once.
  LiveKvCache cache(model, granularity, blockSize, cacheConfig, clock, storage, device);
  // The block pool sized once for what this run can store, plus one prompt's worth of blocks that a
  // request may hold beyond the cache (a prefix read while its blocks are evicted, lower-tier copies).
  std::size_t longestPrompt = 0;
  for (const ScenarioRequest& r : requests) longestPrompt = std::max(longestPrompt, r.text.size());
  cache.reservePool(estimateLiveRun(model, granularity, blockSize, cacheConfig.capacityBytes, requests).cacheBytes +
                    Bytes(longestPrompt) * kvBytesPerToken(model));
  if (settings.hostMaxBytes > 0) cache.attachHost(hostTierConfig(settings, cacheConfig));
  if (!settings.remoteUrl.empty())
    cache.attachRemote(openRemoteTier(settings, model, blockSize), settings.remoteWriteBack);
  const LlamaModel llama = openLiveModel(choice, device);
  DeviceTimer timer(device);
  EventForwarder forwarder(observer);
  cache.engine().addObserver(&forwarder);

  RunInfo info;
  fillScenarioInfo(info, spec, runId);
  info.device = device;
  info.storageDevice = storage;
  info.model = model.name;
  info.tokenizer = tokenizer->name();
  info.weights = choice.weightsDescription;
  info.dtype = std::string(toString(model.dtype));
  info.allowTf32 = settings.allowTf32;
  info.layers = model.layers;
  info.granularity = granularity;
  info.blockSize = blockSize;
  info.policy = cacheConfig.policy;
  info.maxBytes = cacheConfig.capacityBytes;
  info.ttlMs = cacheConfig.ttlMs;
  info.ttlMode = cacheConfig.ttlMode;
  info.pinnedBudgetBytes = cacheConfig.pinnedBudgetBytes;
  info.baseline = settings.baseline;
  if (!settings.remoteUrl.empty()) info.remote = RemoteUrl::parse(settings.remoteUrl).redacted();
  info.remoteWriteBack = settings.remoteWriteBack;
  if (cache.hasHost()) {
    info.hostMaxBytes = settings.hostMaxBytes;
    info.hostPolicy = cache.hostPolicy();
  }
  info.requestsTotal = int(requests.size());
  fillBuildInfo(info);
  info.matmulGflops = measureMatmulGflops(512, device);
  observer.onRunStarted(info);

  RunSummary summary;
  summary.runId = runId;
  summary.device = device;
  summary.matmulGflops = info.matmulGflops;
  std::vector<double> cachedMs, uncachedMs, tpots;
  double flopsCached = 0, flopsUncached = 0;
  std::uint64_t remoteHitTokens = 0;
  std::uint64_t hostHitTokens = 0;
  const std::atomic<bool>* cancel = controls.cancelFlag();
  const auto runStart = SteadyClock::now();
  // "Pin this request's prefix": its segments up to the last boundary (all of it that later requests reuse).
  const auto pinRequest = [&](int index) {
    if (index < 0 || std::size_t(index) >= requests.size()) return;
    const TokenizedPrompt& p = prompts[std::size_t(index)];
    if (p.boundaries.empty()) return;
    cache.pinPrefix(p.tokens, p.text, p.boundaries, p.boundaries.back());
  };
  try {
    if (!requests.empty()) {
      const bool decodes = std::any_of(requests.begin(), requests.end(),
                                       [](const ScenarioRequest& r) { return r.outputTokens > 1; });
      warmUp(llama, prompts.front().tokens, decodes);
    }
    for (const ScenarioRequest& request : requests) {
      controls.apply(&cache.engine(), pinRequest);
      if (controls.cancelled()) break;
      clock.setMs(std::max(clock.nowMs(), request.arrivalMs));
      const TokenizedPrompt& prompt = prompts[std::size_t(request.index)];
      const std::vector<std::int32_t>& tokens = prompt.tokens;
      const std::uint64_t evictionsBefore = cache.engine().counters().totalEvictions();
      RequestRecord record;

      // Baseline: a full prefill without the cache. Odd requests run it first, even ones after the cached
      // path, so neither side always gets the warmer caches.
      // Every interval below starts and ends with a device barrier (DeviceTimer), so no asynchronous CUDA
      // work of one interval (a K/V copy of store, say) is counted in the next.
      at::Tensor fullLogits;
      const auto runUncached = [&] {
        timer.start();
        const PrefillResult full = llama.prefill(tokens, {}, cancel);
        fullLogits = full.lastLogits.to(at::kCPU);  // waits for the device
        record.ttftUncachedMs = timer.elapsedMs();
      };
      const bool uncachedFirst = request.index % 2 == 1;
      if (settings.baseline && uncachedFirst) runUncached();

      // Cached path: lookup + prefix assembly + prefill of the rest; the TTFT a user would see.
      timer.start();
      const LiveKvCache::Lookup lookup = cache.lookup(tokens, prompt.text, prompt.boundaries);
      const double lookupMs = timer.elapsedMs();
      PrefillResult cached = llama.prefill(tokens, *lookup.prefix, cancel);
      const at::Tensor cachedLogits = cached.lastLogits.to(at::kCPU);  // waits for the device
      const double ttftCached = timer.elapsedMs();
      // The budget may have been changed live: pin while there is one.
      const std::uint32_t pinTokens =
          cache.engine().config().pinnedBudgetBytes > 0 && !prompt.boundaries.empty()
              ? prompt.boundaries.front()
              : 0;
      timer.start();
      // The new K/V may lie in free pool blocks the prefill borrowed: decoding reads them after the store
      // has filed (and maybe reused) those blocks, so they get storage of their own first.
      detachNewKv(cached);
      record.unitEnds =
          cache.store(tokens, prompt.text, prompt.boundaries, lookup, cached.newKv, pinTokens);
      const double storeMs = timer.elapsedMs();
      // Decoding continues this sequence privately; its tokens are not filed in the shared cache.
      record.decodeStepMs = decode(timer, llama, tokens, *lookup.prefix, cached.newKv, cachedLogits,
                                   request.outputTokens, cancel);

      if (settings.baseline && !uncachedFirst) runUncached();

      record.index = request.index;
      record.session = request.session;
      record.arrivalMs = request.arrivalMs;
      record.promptTokens = std::uint32_t(tokens.size());
      record.hitTokens = std::uint32_t(lookup.hitTokens);
      record.remoteHitTokens = std::uint32_t(lookup.remoteHitTokens);
      remoteHitTokens += lookup.remoteHitTokens;
      record.hostHitTokens = std::uint32_t(lookup.hostHitTokens);
      hostHitTokens += lookup.hostHitTokens;
      record.computedTokens = record.promptTokens - record.hitTokens;
      record.ttftCachedMs = ttftCached;
      record.lookupMs = lookupMs;
      record.assemblyMs = cached.prefixReadMs;
      record.storeMs = storeMs;
      record.outputTokens = request.outputTokens;
      if (!record.decodeStepMs.empty()) {
        record.tpotMs = std::accumulate(record.decodeStepMs.begin(), record.decodeStepMs.end(), 0.0) /
                        double(record.decodeStepMs.size());
        tpots.push_back(record.tpotMs);
      }
      record.flopsCached = prefillFlops(model, std::int64_t(tokens.size()), std::int64_t(lookup.hitTokens));
      record.flopsUncached = prefillFlops(model, std::int64_t(tokens.size()), 0);
      record.text = prompt.text;
      record.tokenEnds = prompt.tokenEnds;
      record.blockSize = granularity == Granularity::Block ? blockSize : 0;
      if (settings.baseline) {
        record.maxAbsLogitDiff = (cachedLogits - fullLogits).abs().max().item<double>();
        uncachedMs.push_back(record.ttftUncachedMs);
        summary.maxAbsLogitDiff = std::max(summary.maxAbsLogitDiff, record.maxAbsLogitDiff);
      }
      cachedMs.push_back(ttftCached);
      if (record.hitTokens > 0) {
        TtftBreakdown& parts = summary.ttftBreakdownMs;
        ++parts.requests;
        parts.lookupMs += lookupMs;
        parts.assemblyMs += record.assemblyMs;
        parts.computeMs += ttftCached - lookupMs - record.assemblyMs;
      }
      flopsCached += record.flopsCached;
      flopsUncached += record.flopsUncached;
      summary.outputTokens += record.outputTokens;
      record.evictions = cache.engine().counters().totalEvictions() - evictionsBefore;
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
  summary.cancelled = controls.cancelled();
  cache.engine().publish();
  summary.cache = cache.engine().snapshot();
  // Every tier's hits: the host and remote tiers' tokens were queried (and missed) in the device cache.
  summary.tokenHitRate = summary.cache.counters.queriedTokens
                             ? double(summary.cache.counters.hitTokens + hostHitTokens + remoteHitTokens) /
                                   double(summary.cache.counters.queriedTokens)
                             : 0.0;
  summary.tiers = cache.tierReports();
  summariseTimings(summary, cachedMs, settings.baseline ? uncachedMs : std::vector<double>{});
  if (TtftBreakdown& parts = summary.ttftBreakdownMs; parts.requests > 0) {
    parts.lookupMs /= parts.requests;
    parts.assemblyMs /= parts.requests;
    parts.computeMs /= parts.requests;
  }
  summary.idealSpeedup = flopsCached > 0 ? flopsUncached / flopsCached : 0;
  summary.tpotMsMean =
      tpots.empty() ? 0 : std::accumulate(tpots.begin(), tpots.end(), 0.0) / double(tpots.size());
  summary.evictions = summary.cache.counters.capacityEvictions();
  summary.expirations = summary.cache.counters.expirations();
  summary.peakBytes = summary.cache.peakBytes;
  summary.deviceReservedBytes = cudaReservedBytes(device);
  summary.devicePeakReservedBytes = cudaPeakReservedBytes(device);
  summary.transferMsToStorage = cache.payload().transferMsToStorage();
  summary.transferMsToCompute = cache.payload().transferMsToCompute();
  summary.pinnedHostStorage = cache.payload().offloading();
  summary.elapsedS = msSince(runStart) / 1000.0;
  observer.onRunFinished(summary);
  return summary;
}

}  // namespace kvlab
