// SPDX-License-Identifier: MIT
#include "core/runner/prefix_verifier.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <random>

#include "core/arch/model_presets.h"
#include "core/cache/clock.h"
#include "core/model/byte_tokenizer.h"
#include "core/model/compute_info.h"
#include "core/runner/live_kv_cache.h"
#include "core/runner/run_support.h"
#include "core/util/input_error.h"

namespace kvlab {

bool VerifyReport::passed() const {
  return !rows.empty() && std::all_of(rows.begin(), rows.end(), [](const VerifyRow& r) { return r.passed; });
}

VerifyReport verifyPrefixReuse(const VerifyOptions& options) {
  const ModelConfig* preset = findModelPreset(options.model);
  if (!preset || !preset->computable)
    throw InputError("", 0, "model",
                     "verify needs a computable preset (demo, small), not " + quoteForError(options.model));
  const std::string device = resolveDevice(options.device);
  // K/V in the verified dtype, and the cache's byte accounting with it.
  const ModelConfig configured = computeModelOrThrow(preset->name, options.dtype, device, options.allowTf32);
  const ModelConfig* model = &configured;
  c10::InferenceMode inference;
  applyComputeThreads();
  const LlamaModel llama(*model, device);
  VerifyReport report;
  report.device = device;
  report.model = model->name;
  report.dtype = std::string(toString(options.dtype));
  report.tolerance = options.tolerance >= 0 ? options.tolerance : defaultVerifyTolerance(options.dtype);

  for (const Granularity granularity : {Granularity::Prompt, Granularity::Block, Granularity::Radix}) {
    std::mt19937_64 rng(options.seed);
    auto uniform = [&rng](int lo, int hi) { return lo + int(rng() % std::uint64_t(hi - lo + 1)); };
    ManualClock clock;
    CacheConfig config;
    config.capacityBytes = Bytes(1) << 30;
    LiveKvCache cache(*model, granularity, options.blockSize, config, clock,
                      options.storageDevice.empty() ? device : resolveDevice(options.storageDevice), device);
    VerifyRow row;
    row.granularity = granularity;
    std::vector<std::string> earlier;
    for (int p = 0; p < options.prompts; ++p) {
      // Half the prompts extend a random-length prefix of an earlier prompt; the rest are fresh.
      std::string text;
      std::vector<std::uint32_t> boundaries;
      if (!earlier.empty() && p % 2 == 1) {
        const std::string& base = earlier[std::size_t(uniform(0, int(earlier.size()) - 1))];
        // Every other such prompt extends a whole earlier prompt: prompt granularity can only reuse
        // boundary prefixes that were stored.
        const int cut = p % 4 == 3 ? int(base.size()) : uniform(1, int(base.size()));
        text = base.substr(0, std::size_t(cut));
        boundaries.push_back(std::uint32_t(cut));
      }
      const int extra = uniform(1, 150);
      for (int i = 0; i < extra; ++i) text.push_back(char('a' + uniform(0, 25)));
      boundaries.push_back(std::uint32_t(text.size()));
      // Earlier prompts' own boundaries make prompt-mode hits possible on exact prefixes.
      for (const std::string& e : earlier)
        if (e.size() < text.size() && text.compare(0, e.size(), e) == 0)
          boundaries.push_back(std::uint32_t(e.size()));
      std::sort(boundaries.begin(), boundaries.end());
      boundaries.erase(std::unique(boundaries.begin(), boundaries.end()), boundaries.end());

      const std::vector<std::int32_t> tokens = ByteTokenizer::encode(text);
      const LiveKvCache::Lookup lookup = cache.lookup(tokens, text, boundaries);
      PrefillResult cached = llama.prefill(tokens, *lookup.prefix);
      detachNewKv(cached);  // store() must not depend on the order in which it reads and files them
      const PrefillResult full = llama.prefill(tokens, {});
      const double diff =
          (cached.lastLogits.to(at::kCPU) - full.lastLogits.to(at::kCPU)).abs().max().item<double>();
      cache.store(tokens, text, boundaries, lookup, cached.newKv, 0);
      row.maxAbsLogitDiff = std::max(row.maxAbsLogitDiff, diff);
      row.hitTokens += lookup.hitTokens;
      if (lookup.hitTokens > 0) ++row.promptsWithHits;
      ++row.prompts;
      earlier.push_back(text);
      clock.advanceMs(1);
    }
    // A check that never reused anything would prove nothing.
    row.passed = row.maxAbsLogitDiff <= report.tolerance && row.promptsWithHits > 0 &&
                 cache.storedBytes() == cache.engine().usedBytes();
    report.rows.push_back(row);
  }
  return report;
}

}  // namespace kvlab
