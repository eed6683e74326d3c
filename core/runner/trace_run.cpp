// SPDX-License-Identifier: MIT
#include "core/runner/trace_run.h"

#include <algorithm>
#include <filesystem>

#include "core/hardware/hardware_profile.h"
#include "core/hardware/prefill_cost.h"
#include "core/model/compute_info.h"
#include "core/replay/trace_replayer.h"
#include "core/runner/run_support.h"
#include "core/util/file_sha256.h"
#include "core/util/input_error.h"
#include "core/trace/trace_format.h"

namespace kvlab {

RunSummary runTrace(const RunSettings& settings, const std::string& path, RunControls& controls,
                    RunObserver& observer, int runId) {
  const ModelConfig model = presetOrThrow(settings.model.value_or("llama-3-8b"), /*needComputable=*/false);
  // Cost model (labelled: simulated = true, RunInfo::hardware): each prefill priced as one sequence alone in
  // one step of the serving simulator's cost model (core/hardware/prefill_cost.h), so a request gets the
  // TTFT here that `simulate` gives it on the same hardware.
  const std::string hwName =
      settings.hardware.empty() ? std::string(defaultHardwareProfileName()) : settings.hardware;
  const HardwareProfile* hw = findHardwareProfile(hwName);
  if (!hw) throw InputError("", 0, "hardware", "unknown hardware profile '" + hwName + "'");
  const auto costMs = [&](std::uint32_t prompt, std::uint32_t hit) {
    return 1e3 * prefillSeconds(model, *hw, prompt, hit);
  };
  // Any trace format (detected from the content); its own block size unless the settings name one.
  // Your own prompts with text are tokenized with the run's tokenizer and chat template.
  TraceOpenOptions open;
  open.prompts = PromptTextOptions{settings.tokenizerPath, settings.chatTemplate, settings.blockSize.value_or(0)};
  const std::unique_ptr<TraceReader> reader = openTraceReader(path, open);
  ReplayConfig config;
  config.blockSize = settings.blockSize.value_or(0);
  config.policy = settings.policy.value_or("lru");
  config.bytesPerToken = kvBytesPerToken(model);
  if (config.bytesPerToken == 0)
    throw InputError("", 0, "model", model.name + " keeps no K/V per token: nothing to replay");
  const Bytes maxBytes = settings.maxBytes.value_or(Bytes(64) << 30);
  config.maxTokens = maxBytes == kUnlimited ? kUnlimited : maxBytes / config.bytesPerToken;
  config.ttlMs = settings.ttlMs.value_or(0);
  config.ttlMode = settings.ttlMode.value_or(TtlMode::Idle);
  config = configForTrace(reader->info(), config);
  TraceReplayer replayer(config);
  EventForwarder forwarder(observer);
  replayer.engine().addObserver(&forwarder);

  RunInfo info;
  info.runId = runId;
  info.scenarioName = std::filesystem::path(path).filename().string();
  info.scenarioTitle = "Trace replay: " + info.scenarioName;
  info.scenarioDescription = "Trace (" + reader->info().format +
                             " format) replayed through the block cache (simulate mode: sizes only; "
                             "TTFT and the ideal speedup from a cost model).";
  info.scenarioKind = "trace";
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) info.scenarioSha256 = sha256HexOfFile(path);
  info.simulated = true;
  info.device = "simulated";
  info.storageDevice = "simulated";
  info.model = model.name;
  info.layers = model.layers;
  info.granularity = Granularity::Block;
  info.blockSize = config.blockSize;
  info.policy = config.policy;
  info.ttlMode = config.ttlMode;
  info.maxBytes = maxBytes;  // as given (kUnlimited: no bound); the cache holds floor(max tokens / block
                             // size) whole blocks
  info.ttlMs = config.ttlMs;
  info.pinnedBudgetBytes = settings.pinnedBudgetBytes;
  info.baseline = false;
  info.requestsTotal = 0;  // unknown while streaming
  fillBuildInfo(info);
  info.hardware = hw->name;
  info.hardwarePeakFlops = hw->effectiveFlops();
  info.hardwareBandwidth = hw->effectiveBandwidth();
  observer.onRunStarted(info);

  RunSummary summary;
  summary.runId = runId;
  summary.device = "simulated";
  double flopsCached = 0, flopsUncached = 0;
  const auto start = SteadyClock::now();
  TraceRequest request;
  int index = 0;
  try {
    while (reader->next(request)) {
      controls.apply(&replayer.engine());
      if (controls.cancelled()) break;
      const CacheCounters before = replayer.engine().counters();
      replayer.replay(request);
      const CacheCounters& after = replayer.engine().counters();
      RequestRecord record;
      record.index = index++;
      record.session = request.session != kNoLabel ? reader->info().sessions.name(request.session)
                                                   : "request " + std::to_string(record.index);
      record.arrivalMs = request.timestampMs;
      record.promptTokens = request.inputLength;
      record.hitTokens = std::uint32_t(after.hitTokens - before.hitTokens);
      record.computedTokens = record.promptTokens - record.hitTokens;
      record.flopsCached = prefillStepFlops(model, record.promptTokens, record.hitTokens);
      record.flopsUncached = prefillStepFlops(model, record.promptTokens, 0);
      record.ttftCachedMs = costMs(record.promptTokens, record.hitTokens);
      record.ttftUncachedMs = costMs(record.promptTokens, 0);
      record.evictions = after.totalEvictions() - before.totalEvictions();
      record.simulated = true;
      record.blockSize = config.blockSize;
      flopsCached += record.flopsCached;
      flopsUncached += record.flopsUncached;
      ++summary.requests;
      replayer.engine().publish();
      observer.onRequestDone(record, replayer.engine().snapshot());
    }
  } catch (const std::exception& e) {
    summary.error = e.what();
  }
  replayer.engine().removeObserver(&forwarder);
  summary.cancelled = controls.cancelled();
  replayer.engine().publish();
  summary.cache = replayer.engine().snapshot();
  summary.tokenHitRate = summary.cache.counters.tokenHitRate();
  summary.idealSpeedup = flopsCached > 0 ? flopsUncached / flopsCached : 0;
  summary.evictions = summary.cache.counters.capacityEvictions();
  summary.expirations = summary.cache.counters.expirations();
  summary.peakBytes = summary.cache.peakBytes;
  summary.elapsedS = msSince(start) / 1000.0;
  observer.onRunFinished(summary);
  return summary;
}

}  // namespace kvlab
