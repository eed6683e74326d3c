// SPDX-License-Identifier: MIT
#include "core/runner/decode_run.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "core/model/byte_tokenizer.h"
#include "core/model/compute_info.h"
#include "core/model/cuda_memory.h"
#include "core/model/llama_model.h"
#include "core/device/device_timer.h"
#include "core/runner/run_support.h"

namespace kvlab {

namespace {

std::int32_t greedyToken(const at::Tensor& logits) { return std::int32_t(logits.argmax().item<int64_t>()); }

// One decoding of the prompt: step() produces the next token's logits (CPU) and the step's wall time.
class Decoder {
public:
  Decoder(const LlamaModel& llama, std::vector<std::int32_t> prompt, std::uint32_t outputTokens,
          bool withCache)
      : m_llama(llama), m_timer(llama.device()), m_tokens(std::move(prompt)), m_withCache(withCache) {
    if (withCache) m_sequence = llama.newSequence(std::int64_t(m_tokens.size() + outputTokens));
  }

  // Computes the logits of the next token: step 0 prefills the prompt; later steps first append the
  // previous step's token. Returns the logits on the CPU (the read waits for the device); ms is the step's
  // time between two device barriers.
  at::Tensor step(const std::atomic<bool>* cancel, double& ms) {
    m_timer.start();
    if (m_steps > 0) m_tokens.push_back(m_next);
    at::Tensor logits;
    if (!m_withCache) {
      logits = m_llama.prefill(m_tokens, {}, cancel).lastLogits;  // the whole sequence, every step
    } else if (m_steps == 0) {
      PrefillResult first = m_llama.prefill(m_tokens, {}, cancel);
      m_llama.appendToSequence(m_sequence, first.newKv);
      logits = first.lastLogits;
    } else {
      logits = m_llama.extend(m_tokens, m_sequence, cancel).lastLogits;  // one token vs stored K/V
    }
    at::Tensor cpu = logits.to(at::kCPU);
    m_next = greedyToken(cpu);
    ms = m_timer.elapsedMs();
    ++m_steps;
    return cpu;
  }

  std::int32_t lastToken() const { return m_next; }

private:
  const LlamaModel& m_llama;
  DeviceTimer m_timer;
  std::vector<std::int32_t> m_tokens;
  bool m_withCache;
  SequenceKv m_sequence;
  std::int32_t m_next = 0;
  int m_steps = 0;
};

void warmUp(const LlamaModel& llama, const std::vector<std::int32_t>& prompt) {
  const std::vector<std::int32_t> tokens(
      prompt.begin(), prompt.begin() + std::min<std::ptrdiff_t>(std::ptrdiff_t(prompt.size()), 64));
  double ms = 0;
  for (const bool withCache : {true, false}) {
    Decoder decoder(llama, tokens, 2, withCache);
    decoder.step(nullptr, ms);
    decoder.step(nullptr, ms);
  }
}

}  // namespace

RunSummary runDecode(const RunSettings& settings, const ScenarioSpec& specIn, RunControls& controls,
                     RunObserver& observer, int runId) {
  ScenarioSpec spec = specIn;
  if (settings.seed) spec.seed = *settings.seed;
  if (settings.outputTokens) spec.outputTokens = {*settings.outputTokens, *settings.outputTokens};
  const std::string device = resolveDevice(settings.device);
  const ModelConfig model =
      computeModelOrThrow(settings.model.value_or(spec.model), settings.dtype, device, settings.allowTf32);
  const std::vector<ScenarioRequest> requests = generateRequests(spec);
  const ScenarioRequest& request = requests.front();

  keepLargeAllocationsMapped();
  c10::InferenceMode inference;
  applyComputeThreads();
  const LlamaModel llama(model, device);

  RunInfo info;
  fillScenarioInfo(info, spec, runId);
  info.device = device;
  info.storageDevice = device;  // the per-sequence K/V live with the model
  info.model = model.name;
  info.dtype = std::string(toString(model.dtype));
  info.allowTf32 = settings.allowTf32;
  info.layers = model.layers;
  // The shared prefix cache is not used; its settings are reported as the scenario gives them.
  info.granularity = settings.granularity.value_or(parseGranularity(spec.cache.granularity));
  info.blockSize = settings.blockSize.value_or(spec.cache.blockSize);
  info.policy = settings.policy.value_or(spec.cache.policy);
  info.maxBytes = settings.maxBytes.value_or(spec.cache.maxSizeBytes);
  info.ttlMs = settings.ttlMs.value_or(spec.cache.ttlMs);
  info.pinnedBudgetBytes = settings.pinnedBudgetBytes;
  info.baseline = true;  // decoding without the cache is the comparison itself
  info.requestsTotal = 1;
  fillBuildInfo(info);
  info.matmulGflops = measureMatmulGflops(512, device);
  observer.onRunStarted(info);

  RunSummary summary;
  summary.runId = runId;
  summary.device = device;
  summary.matmulGflops = info.matmulGflops;
  DecodeComparison d;
  const std::vector<std::int32_t> prompt = ByteTokenizer::encode(request.text);
  d.promptTokens = std::uint32_t(prompt.size());
  d.outputTokens = request.outputTokens;
  d.tokensIdentical = true;
  const std::atomic<bool>* cancel = controls.cancelFlag();
  const auto runStart = SteadyClock::now();
  try {
    warmUp(llama, prompt);
    Decoder cached(llama, prompt, request.outputTokens, /*withCache=*/true);
    Decoder uncached(llama, prompt, request.outputTokens, /*withCache=*/false);
    for (std::uint32_t i = 0; i < request.outputTokens; ++i) {
      controls.apply(nullptr);
      if (controls.cancelled()) break;
      DecodeStep step;
      step.step = int(i);
      at::Tensor logitsCached, logitsUncached;
      // Alternate which side goes first, so neither always runs on warmer caches.
      if (i % 2 == 0) {
        logitsCached = cached.step(cancel, step.msCached);
        logitsUncached = uncached.step(cancel, step.msUncached);
      } else {
        logitsUncached = uncached.step(cancel, step.msUncached);
        logitsCached = cached.step(cancel, step.msCached);
      }
      step.token = cached.lastToken();
      if (cached.lastToken() != uncached.lastToken()) d.tokensIdentical = false;
      // Logits are comparable while both have decoded the same tokens.
      if (d.tokensIdentical)
        d.maxAbsLogitDiff =
            std::max(d.maxAbsLogitDiff, (logitsCached - logitsUncached).abs().max().item<double>());
      d.stepMsCached.push_back(step.msCached);
      d.stepMsUncached.push_back(step.msUncached);
      d.tokens.push_back(step.token);
      observer.onDecodeStep(step);
    }
  } catch (const Cancelled&) {
    // Stopped between layers: the step in flight is dropped.
  } catch (const std::exception& e) {
    summary.error = isOutOfMemory(e) ? std::string("out of memory: ") + e.what() : e.what();
  }
  summary.cancelled = controls.cancelled();
  d.totalMsCached = std::accumulate(d.stepMsCached.begin(), d.stepMsCached.end(), 0.0);
  d.totalMsUncached = std::accumulate(d.stepMsUncached.begin(), d.stepMsUncached.end(), 0.0);
  d.speedup = d.totalMsCached > 0 ? d.totalMsUncached / d.totalMsCached : 0;
  double flopsCached = 0, flopsUncached = 0;
  for (std::size_t i = 0; i < d.stepMsCached.size(); ++i) {
    // Step i sees the prompt and i generated tokens; with the cache it computes only the newest of them.
    const auto length = std::int64_t(d.promptTokens + i);
    flopsUncached += prefillFlops(model, length, 0);
    flopsCached += prefillFlops(model, length, i == 0 ? 0 : length - 1);
  }
  d.idealSpeedup = flopsCached > 0 ? flopsUncached / flopsCached : 0;
  if (summary.error.empty() && !d.tokensIdentical)
    summary.error = "decode check failed: the greedy tokens with and without the K/V cache differ";
  const double tolerance = logitTolerance(model.dtype);
  if (summary.error.empty() && d.maxAbsLogitDiff > tolerance) {
    char message[160];
    std::snprintf(message, sizeof message,
                  "decode check failed: max |logit difference| %.3g exceeds %.0e (%s)", d.maxAbsLogitDiff,
                  tolerance, std::string(toString(model.dtype)).c_str());
    summary.error = message;
  }

  if (!d.stepMsCached.empty()) {
    RequestRecord record;
    record.index = 0;
    record.session = request.session;
    record.promptTokens = d.promptTokens;
    record.computedTokens = d.promptTokens;
    record.ttftCachedMs = d.stepMsCached.front();
    record.ttftUncachedMs = d.stepMsUncached.front();
    record.outputTokens = std::uint32_t(d.stepMsCached.size());
    record.decodeStepMs.assign(d.stepMsCached.begin() + 1, d.stepMsCached.end());
    if (!record.decodeStepMs.empty())
      record.tpotMs = std::accumulate(record.decodeStepMs.begin(), record.decodeStepMs.end(), 0.0) /
                      double(record.decodeStepMs.size());
    record.flopsCached = prefillFlops(model, d.promptTokens, 0);
    record.flopsUncached = record.flopsCached;
    record.maxAbsLogitDiff = d.maxAbsLogitDiff;
    record.text = request.text;
    summary.requests = 1;
    summary.outputTokens = record.outputTokens;
    summary.tpotMsMean = record.tpotMs > 0 ? record.tpotMs : 0;
    summary.ttftMsCachedMean = summary.ttftMsCachedMedian = summary.ttftMsCachedP90 = record.ttftCachedMs;
    summary.ttftMsUncachedMean = summary.ttftMsUncachedMedian = summary.ttftMsUncachedP90 =
        record.ttftUncachedMs;
    summary.maxAbsLogitDiff = d.maxAbsLogitDiff;
    observer.onRequestDone(record, CacheSnapshot{});
  }
  summary.decode = std::move(d);
  summary.deviceReservedBytes = cudaReservedBytes(device);
  summary.devicePeakReservedBytes = cudaPeakReservedBytes(device);
  summary.elapsedS = msSince(runStart) / 1000.0;
  observer.onRunFinished(summary);
  return summary;
}

}  // namespace kvlab
