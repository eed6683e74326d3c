// SPDX-License-Identifier: MIT
#pragma once
// Plain values a run consumes and produces. Torch-free and Qt-free: the GUI, the CLI and the tests include
// this; the values cross threads by copy.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cache/cache_snapshot.h"
#include "core/cache/cache_types.h"

namespace kvlab {

enum class Granularity : std::uint8_t { Prompt, Block, Radix };
std::string_view toString(Granularity granularity);
Granularity parseGranularity(std::string_view name);  // throws InputError(field "granularity")
std::vector<std::string> granularityNames();

// Everything a run needs. Unset optionals take the scenario file's defaults.
struct RunSettings {
  std::string scenario = "repeated-prefix";  // bundled name, scenario .json path, or Mooncake .jsonl trace
  std::string scenarioDir;                   // where bundled names resolve; "" = the built-in default
  std::string device = "cpu";                // compute device: cpu | cuda | auto
  std::string storageDevice;                 // where cached K/V live: "" = compute device, or cpu (offload)
  std::optional<Granularity> granularity;
  std::optional<std::uint32_t> blockSize;  // tokens per block (block mode; radix ignores it)
  std::optional<std::string> policy;
  std::optional<Bytes> maxBytes;      // cache max size
  std::optional<TimeMs> ttlMs;        // 0 = off
  std::optional<TtlMode> ttlMode;     // what the TTL measures (idle time or age); unset = the engine default
  std::optional<std::string> model;   // model preset
  std::optional<std::uint64_t> seed;  // scenario seed (prompts) - weights use the preset's seed
  Bytes pinnedBudgetBytes = 0;        // > 0: pin each request's first segment (system prompt) within it
  std::string hardware;               // trace replay: cost-model hardware profile ("" = h100-sxm)
  bool baseline = true;               // also run every request uncached, for speedup and logit diff
};

// One finished request. TTFT = wall time of its prefill (ms); hits are always a prefix of the prompt.
struct RequestRecord {
  int index = 0;
  std::string session;
  TimeMs arrivalMs = 0;
  std::uint32_t promptTokens = 0;
  std::uint32_t hitTokens = 0;       // reused from the cache
  std::uint32_t computedTokens = 0;  // promptTokens - hitTokens
  double ttftCachedMs = 0;
  double ttftUncachedMs = -1;   // -1: no baseline
  double lookupMs = 0;          // part of ttftCachedMs: cache lookup and prefix assembly
  double storeMs = 0;           // after TTFT: filing the new K/V into the cache
  double flopsCached = 0;       // model FLOPs of the cached prefill
  double flopsUncached = 0;     // model FLOPs of a full prefill
  std::uint64_t evictions = 0;  // evictions while serving this request
  double maxAbsLogitDiff = -1;  // last-position logits, cached vs uncached; -1: not compared
  bool simulated = false;       // trace replay: TTFTs come from the cost model
  std::string text;             // the prompt (empty for traces)
  std::uint32_t blockSize = 0;  // for drawing the prompt as blocks
  // Token offsets where the cache's units of this prompt end, ascending, the last = promptTokens: block
  // ends (block mode), radix node ends along its path, prompt-entry boundaries (prompt mode).
  std::vector<std::uint32_t> unitEnds;
};

// Resolved parameters and the machine, sent once when a run starts.
struct RunInfo {
  int runId = 0;
  std::string scenarioName;
  std::string scenarioTitle;
  std::string scenarioDescription;
  bool simulated = false;  // a trace: no tensors, speedup from the cost model
  std::string device;      // resolved compute device
  std::string storageDevice;
  std::string model;
  int layers = 0;
  Granularity granularity = Granularity::Block;
  std::uint32_t blockSize = 0;
  std::string policy;
  Bytes maxBytes = 0;
  TimeMs ttlMs = 0;
  int requestsTotal = 0;
  std::string blas;  // BLAS library and threads in use
  int computeThreads = 0;
  std::string torchVersion;
  double matmulGflops = 0;  // measured at start (live runs)
  TtlMode ttlMode = TtlMode::Idle;
  Bytes pinnedBudgetBytes = 0;
  // Simulated runs: the cost model's hardware profile (name, dense BF16 FLOP/s, bytes/s).
  std::string hardware;
  double hardwarePeakFlops = 0;
  double hardwareBandwidth = 0;
};

struct RunSummary {
  int runId = 0;
  int requests = 0;  // completed
  std::string device;
  double tokenHitRate = 0;
  double speedup = 0;       // sum uncached TTFT / sum cached TTFT (0 without baseline)
  double idealSpeedup = 0;  // sum uncached FLOPs / sum cached FLOPs
  double ttftMsCachedMean = 0;
  double ttftMsUncachedMean = 0;
  double maxAbsLogitDiff = 0;
  std::uint64_t evictions = 0;
  std::uint64_t expirations = 0;
  Bytes peakBytes = 0;
  double elapsedS = 0;
  bool cancelled = false;
  std::string error;    // non-empty: the run stopped early (e.g. out of memory)
  CacheSnapshot cache;  // final cache state
};

// Callbacks from the runner's thread, in order: started, then per request, then finished (always, also
// after cancel or error). Implementations copy what they need and return quickly.
class RunObserver {
public:
  virtual ~RunObserver() = default;
  virtual void onRunStarted(const RunInfo& info) {}
  virtual void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) {}
  virtual void onCacheEvent(const CacheEvent& event) {}
  virtual void onRunFinished(const RunSummary& summary) {}
};

}  // namespace kvlab
