// SPDX-License-Identifier: MIT
#pragma once
// Plain values a run consumes and produces. Torch-free and Qt-free: the GUI, the CLI and the tests include
// this; the values cross threads by copy.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/arch/compute_dtype.h"
#include "core/cache/cache_snapshot.h"
#include "core/cache/cache_types.h"
#include "core/tiers/tier_report.h"

namespace kvlab {

enum class Granularity : std::uint8_t { Prompt, Block, Radix };
std::string_view toString(Granularity granularity);
Granularity parseGranularity(std::string_view name);  // throws InputError(field "granularity")
std::vector<std::string> granularityNames();

// Everything a run needs. Unset optionals take the scenario file's defaults.
struct RunSettings {
  std::string scenario = "repeated-prefix";  // bundled name, scenario .json path, or Mooncake .jsonl trace
  std::string scenarioDir;                   // where bundled names resolve; "" = the built-in default
  std::string device = "cpu";                // compute device: cpu | cuda | cuda:N | auto
  ComputeDtype dtype = ComputeDtype::Fp32;   // weights, activations and cached K/V (fp16: CUDA only)
  bool allowTf32 = false;                    // let cuBLAS use TF32 for fp32 GEMMs (CUDA; off = exact fp32)
  std::string storageDevice;                 // where cached K/V live: "" = compute device, or cpu (offload)
  std::optional<Granularity> granularity;
  std::optional<std::uint32_t> blockSize;  // tokens per block (block mode; radix ignores it)
  std::optional<std::string> policy;
  std::optional<Bytes> maxBytes;      // cache max size; kUnlimited = no bound
  std::optional<TimeMs> ttlMs;        // 0 = off
  std::optional<TtlMode> ttlMode;     // what the TTL counts from; unset = Idle (time since last use)
  std::optional<std::string> model;   // model preset
  std::optional<std::uint64_t> seed;  // scenario seed (prompts) - weights use the preset's seed
  Bytes pinnedBudgetBytes = 0;        // > 0: pin each request's first segment (system prompt) within it
  std::string hardware;               // trace replay: cost-model hardware profile ("" = h100-sxm)
  bool baseline = true;               // also run every request uncached, for speedup and logit diff
  std::optional<std::uint32_t> outputTokens;  // tokens each request generates (>= 1); overrides the file
  // Remote tier under the device cache (live runs, block granularity): "" = none, else a --remote URL
  // (redis://...). Write-through stores every new block there at once; write-back only blocks the device
  // cache evicts. Each round trip is bounded by remoteTimeoutMs.
  std::string remoteUrl;
  bool remoteWriteBack = false;
  int remoteTimeoutMs = 50;
  // Host-memory tier between the device cache and the remote tier (live runs, block granularity): its
  // capacity in bytes, 0 = no host tier, kUnlimited = no bound. Blocks the device cache evicts are demoted
  // (moved) into it; a host hit is promoted (moved) back up. Pinned memory when the compute device is CUDA.
  Bytes hostMaxBytes = 0;
  std::optional<std::string> hostPolicy;  // the host tier's eviction policy; unset = the device tier's
  // Live scenario runs: a Hugging Face tokenizer.json to tokenize the scenario text with ("" = the byte
  // tokenizer, one token per byte). Each segment is tokenized on its own (core/tokenizer/tokenized_prompt.h);
  // the random-weight model's vocabulary grows to the tokenizer's. Block and radix granularity only.
  std::string tokenizerPath;
  // Trace runs of your own prompts (the prompts format) with text: the chat template around each request's
  // messages, with tokenizerPath: auto, llama-3, chatml or raw (trace_reader.h PromptTextOptions).
  std::string chatTemplate = "auto";
};

// One finished request. TTFT = wall time of its prefill (ms); hits are always a prefix of the prompt.
// The cached and the uncached prefill run in alternating order (even index: cached first), so neither
// side always runs on a warmer machine. Decoding (outputTokens > 1) follows the cached prefill only.
struct RequestRecord {
  int index = 0;
  std::string session;
  TimeMs arrivalMs = 0;
  std::uint32_t promptTokens = 0;
  std::uint32_t hitTokens = 0;        // reused from the cache (every tier)
  std::uint32_t hostHitTokens = 0;    // part of hitTokens from the host tier, promoted or copied (in TTFT)
  std::uint32_t remoteHitTokens = 0;  // part of hitTokens fetched from the remote tier (in TTFT)
  std::uint32_t computedTokens = 0;   // promptTokens - hitTokens
  double ttftCachedMs = 0;
  double ttftUncachedMs = -1;      // -1: no baseline
  double lookupMs = 0;             // part of ttftCachedMs: the cache's lookup (index walk, lower tiers)
  double assemblyMs = 0;           // part of ttftCachedMs: the prefill reading the cached K/V in place
  double storeMs = 0;              // after TTFT: filing the new K/V into the cache
  double flopsCached = 0;          // model FLOPs of the cached prefill
  double flopsUncached = 0;        // model FLOPs of a full prefill
  std::uint64_t evictions = 0;     // evictions while serving this request
  double maxAbsLogitDiff = -1;     // last-position logits, cached vs uncached; -1: not compared
  std::uint32_t outputTokens = 0;  // tokens generated, the first (from the prefill's logits) included
  double tpotMs = -1;              // mean ms per output token after the first; -1: outputTokens < 2
  // Wall time (ms) of each decode step after the first token: step i computes output token i + 2 against
  // the sequence's stored K/V. Size outputTokens - 1 (empty for traces). For a per-step latency chart.
  std::vector<double> decodeStepMs;
  bool simulated = false;       // trace replay: TTFTs come from the cost model
  std::string text;             // the prompt as its tokens decode (empty for traces)
  // Byte offset in `text` where each token ends (real tokenizers); empty = one byte per token.
  std::vector<std::uint32_t> tokenEnds;
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
  std::string tokenizer = "bytes";  // "bytes" or the tokenizer.json path (live runs)
  std::string weights;              // live runs: "generated (seed N)" or "checkpoint DIR (...)"
  std::string dtype = "fp32";  // weights, activations and K/V
  bool allowTf32 = false;
  int layers = 0;
  Granularity granularity = Granularity::Block;
  std::uint32_t blockSize = 0;
  std::string policy;
  Bytes maxBytes = 0;  // kUnlimited = no bound
  TimeMs ttlMs = 0;
  int requestsTotal = 0;
  std::string blas;  // BLAS library and threads in use
  // What the model's matrix products run on: the CPU backend (cpuMatmulBackend()) or "cuBLAS (LibTorch)".
  std::string matmul;
  int computeThreads = 0;
  std::string torchVersion;
  double matmulGflops = 0;  // fp32 matmul GFLOP/s measured once at start on the compute device
  // Reproducibility: what is needed to rerun exactly this run.
  std::string scenarioKind;  // "agentic", "decode", ...; "trace" for a Mooncake trace
  std::uint64_t scenarioSeed = 0;
  std::string scenarioSha256;  // hex SHA-256 of the scenario or trace file's bytes as read
  std::string gitRevision;     // source revision of this build ("unknown" outside git)
  std::string kvlabVersion;
  TtlMode ttlMode = TtlMode::Idle;
  Bytes pinnedBudgetBytes = 0;
  bool baseline = true;  // the uncached baseline ran
  // Simulated runs: the cost model's hardware profile (name, sustained FLOP/s, bytes/s).
  std::string hardware;
  double hardwarePeakFlops = 0;
  double hardwareBandwidth = 0;
  std::string remote;  // the remote tier's URL, password redacted; "" = none
  bool remoteWriteBack = false;
  Bytes hostMaxBytes = 0;  // the host tier's capacity; 0 = no host tier, kUnlimited = no bound
  std::string hostPolicy;  // the host tier's eviction policy ("" = no host tier)
};

// The `decode` scenario: one prompt generated greedily twice, with the per-sequence K/V cache (each step
// computes one token against the stored K/V of the sequence) and without it (each step recomputes the
// whole sequence). Per-step times for a chart of step latency and cumulative time.
struct DecodeComparison {
  std::uint32_t promptTokens = 0;
  std::uint32_t outputTokens = 0;
  // Wall ms per step; step 0 is the prompt's prefill (it yields the first token), step i > 0 computes
  // token i + 1. Both have outputTokens entries (fewer after a cancel).
  std::vector<double> stepMsCached;
  std::vector<double> stepMsUncached;
  double totalMsCached = 0;
  double totalMsUncached = 0;
  double speedup = 0;                // totalMsUncached / totalMsCached
  double idealSpeedup = 0;           // the same ratio in model FLOPs (prefillFlops of each step both ways)
  double maxAbsLogitDiff = 0;        // over every step's logits, cached vs uncached
  bool tokensIdentical = false;      // the greedy tokens of both runs are the same
  std::vector<std::int32_t> tokens;  // generated with the cache (the run's tokenizer's ids)
  std::string text;                  // those tokens decoded by the run's tokenizer
};

// Where the cached requests' TTFT goes, from the runner's own timers: means (ms) over the requests that
// reused something (hit tokens > 0). lookup: the cache's lookup (prefix walk, host promotions, remote
// fetch); assembly: the prefill reading the cached K/V, layer by layer, into its attention buffers; compute:
// the rest of the cached TTFT (the new tokens' prefill, the last logits read back). The three add up to
// those requests' mean cached TTFT.
struct TtftBreakdown {
  int requests = 0;  // requests with a hit; 0: nothing to break down (JSON null)
  double lookupMs = 0;
  double assemblyMs = 0;
  double computeMs = 0;
};

// Timing fields are 0 when the run did not measure them (no baseline: the uncached ones and the speedup;
// trace replays: every TTFT and the speedup, which would only restate the cost model); JSON writes null.
struct RunSummary {
  int runId = 0;
  int requests = 0;  // completed
  std::string device;
  double tokenHitRate = 0;
  double speedup = 0;  // sum uncached TTFT / sum cached TTFT, both measured; 0: not measured
  // 95% percentile-bootstrap interval of speedup, resampling requests ([low, high]); {0, 0}: not measured.
  std::array<double, 2> speedupCi95{0, 0};
  TtftBreakdown ttftBreakdownMs;  // live runs: the cached requests' TTFT in parts
  double idealSpeedup = 0;  // sum uncached FLOPs / sum cached FLOPs
  double ttftMsCachedMean = 0;
  double ttftMsUncachedMean = 0;
  double ttftMsCachedMedian = 0;
  double ttftMsCachedP90 = 0;
  double ttftMsUncachedMedian = 0;
  double ttftMsUncachedP90 = 0;
  double maxAbsLogitDiff = -1;     // largest per-request logit difference; -1: not compared
  double matmulGflops = 0;         // measured once at run start (the same figure as RunInfo::matmulGflops)
  std::uint64_t outputTokens = 0;  // generated over the run, first tokens included
  double tpotMsMean = 0;  // mean of the per-request TPOTs (requests with >= 2 output tokens); 0: none
  std::optional<DecodeComparison> decode;  // the decode scenario only
  std::uint64_t evictions = 0;
  std::uint64_t expirations = 0;
  Bytes peakBytes = 0;  // the cache's accounted K/V bytes, at most
  // CUDA compute device: LibTorch's caching allocator's reserved bytes at the end and at the peak of the
  // process (weights, activations, K/V, allocator cache), beside peakBytes; 0 on the CPU (not measured).
  Bytes deviceReservedBytes = 0;
  Bytes devicePeakReservedBytes = 0;
  // K/V moved between storage and compute device (--storage cpu with a GPU): wall ms of the copies in each
  // direction, waited for; the bytes are the cache counters' bytesToStorage / bytesToCompute.
  double transferMsToStorage = 0;
  double transferMsToCompute = 0;
  bool pinnedHostStorage = false;  // offload used pinned host memory and side-stream copies
  double elapsedS = 0;
  bool cancelled = false;
  std::string error;    // non-empty: the run stopped early (e.g. out of memory)
  CacheSnapshot cache;  // final cache state
  // Per storage tier, top first: always "device"; "host" / "remote" when used (JSON "tiers").
  std::vector<TierReport> tiers;
};

// One step of the decode scenario, both ways (for a live per-step latency chart).
struct DecodeStep {
  int step = 0;            // 0 = the prompt's prefill (first token), i > 0 = output token i + 1
  double msCached = 0;     // with the per-sequence K/V cache
  double msUncached = 0;   // recomputing the whole sequence
  std::int32_t token = 0;  // the token this step produced (with the cache)
};

// Callbacks from the runner's thread, in order: started, then per request (the decode scenario: per step,
// then its one request), then finished (always, also after cancel or error). Implementations copy what
// they need and return quickly.
class RunObserver {
public:
  virtual ~RunObserver() = default;
  virtual void onRunStarted(const RunInfo& info) {}
  virtual void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) {}
  virtual void onCacheEvent(const CacheEvent& event) {}
  virtual void onDecodeStep(const DecodeStep& step) {}
  virtual void onRunFinished(const RunSummary& summary) {}
};

}  // namespace kvlab
