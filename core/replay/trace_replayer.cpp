// SPDX-License-Identifier: MIT
#include "core/replay/trace_replayer.h"

#include <algorithm>
#include <chrono>

#include "core/policies/policy_registry.h"
#include "core/replay/next_use_cursor.h"
#include "core/replay/trace_prefetcher.h"
#include "core/trace/trace.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {
double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

bool policyNeedsWholeTrace(const std::string& policy) {
  const PolicyInfo* info = findReplayPolicy(policy);
  return info && info->needsWholeTrace;
}

TraceReplayer::TraceReplayer(const ReplayConfig& config, std::shared_ptr<const NextUseIndex> nextUse)
    : m_config(config) {
  if (config.blockSize == 0) throw std::invalid_argument("block size must be at least 1 token");
  const Bytes bytesPerBlock = Bytes(config.blockSize) * std::max<Bytes>(1, config.bytesPerToken);
  CacheConfig cacheConfig;
  cacheConfig.capacityBytes = saturatingMul(config.capacityBlocks(), bytesPerBlock);  // kUnlimited stays so
  cacheConfig.ttlMs = config.ttlMs;
  cacheConfig.ttlMode = config.ttlMode;
  cacheConfig.policy = config.policy;
  cacheConfig.denseKeys = true;  // Mooncake hash ids are small dense integers
  std::unique_ptr<EvictionPolicy> policy = createReplayPolicy(config.policy);
  if (auto* needsNextUse = dynamic_cast<NeedsNextUse*>(policy.get())) {
    if (!nextUse)
      throw std::invalid_argument("policy '" + config.policy + "' (" + policyLabel(config.policy) +
                                  ") needs the whole trace up front: use it with kvlab-cli replay or sweep "
                                  "(a replayer needs its NextUseIndex)");
    m_nextUse = std::make_unique<NextUseCursor>(std::move(nextUse));
    needsNextUse->setNextUseOracle(m_nextUse.get());
  }
  m_engine = std::make_unique<CacheEngine>(cacheConfig, m_clock, std::move(policy));
  // Snapshots are published per request by replay(), not per block.
  m_engine->setAutoPublish(false);
  m_engine->reserve(std::size_t(std::min<std::uint64_t>(config.capacityBlocks(), 1u << 20)));
  m_blocks = std::make_unique<BlockCache>(*m_engine, config.blockSize, BlockHash::Xxh3, bytesPerBlock);
  if (!config.lowerTiers.empty()) {
    TierHierarchyConfig tiers;
    tiers.bytesPerBlock = bytesPerBlock;
    tiers.blockTokens = config.blockSize;
    tiers.lower = config.lowerTiers;
    tiers.remoteWriteThrough = config.remoteWriteThrough;
    tiers.protectInUse = config.protectInUse;
    tiers.cost = config.tierCost;
    m_tiers = std::make_unique<TierHierarchy>(*m_engine, std::move(tiers));
  }
}

TraceReplayer::~TraceReplayer() = default;

void TraceReplayer::replay(std::int64_t timestampMs, std::uint32_t inputLength,
                           std::span<const std::uint64_t> hashIds, std::span<const std::uint32_t> blockTokens) {
  if (m_tiers && !blockTokens.empty())
    throw std::invalid_argument("lower tiers count uniform blocks: a trace with per-block token counts "
                                "replays on one tier");
  m_clock.setMs(timestampMs);
  if (m_nextUse) m_nextUse->beginRequest(hashIds);
  m_keys.resize(hashIds.size());
  for (std::size_t i = 0; i < hashIds.size(); ++i) m_keys[i] = CacheKey{hashIds[i], 0};
  m_blocks->match(m_keys, inputLength, inputLength, m_match, blockTokens);
  if (m_tiers) {
    // The same rules as a live run (TierHierarchy): the hit run in use, the walk promotes or copies host
    // blocks and counts remote ones, the commit inserts what is not in the device yet, then the request's
    // write-through, exclusive-host and transfer batches.
    if (m_config.protectInUse)
      for (const SlotId slot : m_match.hitSlots) m_engine->protect(slot);
    m_tiers->walk(m_keys, m_match.hitBlocks, inputLength);
    m_blocks->commit(m_keys, m_match, m_slots, &m_inserted);
    if (m_config.protectInUse)
      for (const SlotId slot : m_match.hitSlots) m_engine->release(slot, m_engine->entry(slot).id);
    m_tiers->finishRequest(m_keys, m_slots, m_inserted);
    return;
  }
  if (!m_config.protectInUse) {
    m_blocks->commit(m_keys, m_match, m_slots);
    return;
  }
  // The clock stands still within a request, so the hit blocks cannot expire before the release.
  for (const SlotId slot : m_match.hitSlots) m_engine->protect(slot);
  m_blocks->commit(m_keys, m_match, m_slots);
  for (const SlotId slot : m_match.hitSlots) m_engine->release(slot, m_engine->entry(slot).id);
}

ReplayResult TraceReplayer::result() const {
  const Bytes bytesPerBlock = m_blocks->bytesPerBlock();
  ReplayResult r =
      replayResultFromCounters(m_engine->counters(), m_config, m_engine->peakBytes() / bytesPerBlock,
                               bytesPerBlock, m_engine->entryCount());
  if (m_tiers) {  // the device counters' hits plus what the lower tiers served; every tier's report
    r.hitTokens += m_tiers->walkHitTokens();
    r.hitBlocks += m_tiers->walkHitBlocks();
    r.tiers = m_tiers->reports();
  }
  return r;
}

ReplayConfig configForTrace(const TraceInfo& info, const ReplayConfig& config) {
  requireBlockIds(info, "replay");
  ReplayConfig resolved = config;
  resolved.blockSize = resolveBlockSize(info, config.blockSize);
  if (info.perBlockTokens && !config.lowerTiers.empty())
    throw InputError("", 0, config.lowerTiers.front().name + "-tokens",
                     "lower tiers count uniform blocks, but " + quoteForError(info.path, 120) + " (" + info.format +
                         ") gives each block its own token count; replay it on one tier");
  return resolved;
}

ReplayResult replayTraceFile(const std::string& path, const ReplayConfig& config,
                             const std::function<void(const ReplayProgress&)>& progress,
                             CacheObserver* observer) {
  return replayTrace(openTraceReader(path, config.traceOpenOptions()), config,
                     progress, observer);
}

ReplayResult replayTrace(std::unique_ptr<TraceReader> reader, const ReplayConfig& requested,
                         const std::function<void(const ReplayProgress&)>& progress, CacheObserver* observer) {
  const auto start = std::chrono::steady_clock::now();
  const ReplayConfig config = configForTrace(reader->info(), requested);
  const std::string path = reader->info().path;
  std::shared_ptr<const NextUseIndex> nextUse;
  if (policyNeedsWholeTrace(config.policy)) {
    TraceOpenOptions options = config.traceOpenOptions();
    options.format = reader->info().format;
    nextUse = NextUseIndex::fromFile(path, options);
  }
  TracePrefetcher prefetcher(std::move(reader));
  // Events need the general engine to observe; without them, the fastest replayer that can do config.
  std::unique_ptr<TraceReplayer> observed;
  std::unique_ptr<Replayer> fastest;
  if (observer) {
    if (config.granularity != "block")
      throw std::invalid_argument("cache events are recorded for block granularity only");
    observed = std::make_unique<TraceReplayer>(config, std::move(nextUse));
    observed->engine().addObserver(observer);
  } else {
    fastest = makeReplayer(config, std::move(nextUse));
  }
  Replayer& replayer = observed ? static_cast<Replayer&>(*observed) : *fastest;
  // Warmup: a fraction needs the request count first (one more pass over the file, as opt's index does).
  std::uint64_t warmup = config.warmup.count;
  if (config.warmup.fraction && config.warmup.any()) {
    TraceOpenOptions options = config.traceOpenOptions();
    options.format = prefetcher.info().format;
    const auto counter = openTraceReader(path, options);
    std::uint64_t total = 0;
    TraceRequest request;
    while (counter->next(request)) ++total;
    warmup = config.warmup.requestsOf(total);
  }
  ReplayResult atBoundary;
  std::uint64_t count = 0;
  std::chrono::steady_clock::duration loop{};
  TracePrefetcher::Batch batch;
  while (prefetcher.next(batch)) {
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t index = count;
    for (const TracePrefetcher::Request& request : batch.requests) {
      if (index++ == warmup && warmup > 0) atBoundary = replayer.result();
      replayer.replay(request.timestampMs, request.inputLength, batch.idsOf(request), batch.tokensOf(request));
    }
    loop += std::chrono::steady_clock::now() - t0;
    count += batch.requests.size();
    if (progress) progress({batch.bytesRead, prefetcher.fileSize(), count});
    prefetcher.recycle(std::move(batch));
  }
  if (count == 0)  // an empty result would look like a successful replay of nothing
    throw emptyTraceError(path, prefetcher.skippedLines());
  if (observed) observed->engine().removeObserver(observer);
  ReplayResult result = replayer.result();
  if (warmup > 0) {
    if (warmup >= count) atBoundary = result;
    result = measuredAfterWarmup(result, atBoundary, std::min(warmup, count));
  }
  result.skippedLines = prefetcher.skippedLines();
  result.skipReasons = prefetcher.skipReasons();
  result.traceFormat = prefetcher.info().format;
  result.bounds = prefetcher.bounds();
  result.loopS = std::chrono::duration<double>(loop).count();
  result.elapsedS = secondsSince(start);
  return result;
}

}  // namespace kvlab
