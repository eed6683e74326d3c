// SPDX-License-Identifier: MIT
#include "core/fleet/fleet_replayer.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/fleet/kv_block_index.h"
#include "core/fleet/router_registry.h"
#include "core/replay/trace_prefetcher.h"
#include "core/trace/trace.h"
#include "core/util/input_error.h"

namespace kvlab {

double FleetResult::loadImbalance() const {
  if (sharedCache || replicas.empty() || fleet.promptTokens == 0) return 1.0;
  std::uint64_t most = 0;
  for (const ReplayResult& r : replicas) most = std::max(most, r.promptTokens);
  const double mean = double(fleet.promptTokens) / double(replicas.size());
  return double(most) / mean;
}

FleetReplayer::FleetReplayer(const FleetConfig& config) : m_config(config) {
  const RouterInfo* info = findRouter(config.router);
  if (!info) (void)createRouter(config.router, config.routerParams, 1);  // throws, naming the choices
  if (config.replicas == 0 || config.replicas > KvBlockIndex::kMaxReplicas)
    throw std::invalid_argument("a fleet has 1 to " + std::to_string(KvBlockIndex::kMaxReplicas) +
                                " replicas, not " + std::to_string(config.replicas));
  m_shared = info->sharedCache;
  ReplayConfig cache = config.replica;
  if (m_shared)  // exactly N x the per-replica block capacity
    cache.maxTokens = config.replica.capacityBlocks() * config.replicas * config.replica.blockSize;
  m_capacityBlocks = cache.capacityBlocks();
  const std::size_t caches = m_shared ? 1 : config.replicas;
  m_index = std::make_unique<KvBlockIndex>(caches);
  for (std::size_t r = 0; r < caches; ++r) {
    m_replicas.push_back(std::make_unique<TraceReplayer>(cache));
    m_replicas.back()->engine().addObserver(&m_index->feed(r));
  }
  m_router = info->create(config.routerParams, caches);
  m_load.assign(caches, 0);
}

FleetReplayer::~FleetReplayer() {
  for (std::size_t r = 0; r < m_replicas.size(); ++r)
    m_replicas[r]->engine().removeObserver(&m_index->feed(r));
}

std::size_t FleetReplayer::replay(const TraceRequest& request) {
  const FleetView view{m_load, m_index.get()};
  const std::size_t target = m_router->route(request, view);
  if (target >= m_replicas.size())
    throw std::logic_error("router " + m_config.router + " chose replica " + std::to_string(target) + " of " +
                           std::to_string(m_replicas.size()));
  ++m_load[target];
  m_replicas[target]->replay(request);
  return target;
}

FleetResult FleetReplayer::result() const {
  FleetResult out;
  out.router = m_config.router;
  out.replicaCount = m_config.replicas;
  out.sharedCache = m_shared;
  ReplayResult& f = out.fleet;
  double evictedAge = 0, evictedIdle = 0, evictedReuse = 0;
  std::uint64_t evicted = 0;
  for (const auto& replica : m_replicas) {
    ReplayResult r = replica->result();
    f.requests += r.requests;
    f.promptTokens += r.promptTokens;
    f.hitTokens += r.hitTokens;
    f.blocks += r.blocks;
    f.hitBlocks += r.hitBlocks;
    f.evictions += r.evictions;
    f.expirations += r.expirations;
    for (int m = 0; m < kMissReasonCount; ++m) {
      f.missTokens[std::size_t(m)] += r.missTokens[std::size_t(m)];
      f.missBlocks[std::size_t(m)] += r.missBlocks[std::size_t(m)];
    }
    f.peakBlocks += r.peakBlocks;
    f.capacityBlocks += r.capacityBlocks;
    f.bytesPerBlock = r.bytesPerBlock;
    f.evictedNeverReused += r.evictedNeverReused;
    const std::uint64_t n = r.evictions + r.expirations;
    evicted += n;
    evictedAge += r.meanEvictedAgeMs * double(n);
    evictedIdle += r.meanEvictedIdleMs * double(n);
    evictedReuse += r.meanEvictedReuse * double(n);
    out.replicas.push_back(std::move(r));
  }
  if (evicted > 0) {
    f.meanEvictedAgeMs = evictedAge / double(evicted);
    f.meanEvictedIdleMs = evictedIdle / double(evicted);
    f.meanEvictedReuse = evictedReuse / double(evicted);
  }
  return out;
}

FleetResult replayFleetFile(const std::string& path, const FleetConfig& config,
                            const std::function<void(const ReplayProgress&)>& progress,
                            const std::function<void(const FleetReplayer&, std::size_t cache)>& onRequest) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<TraceReader> reader =
      openTraceReader(path, config.replica.traceOpenOptions());
  FleetConfig resolved = config;
  resolved.replica = configForTrace(reader->info(), config.replica);
  FleetReplayer fleet(resolved);  // validates the configuration before the trace is read
  TracePrefetcher prefetcher(std::move(reader));
  std::uint64_t count = 0;
  std::chrono::steady_clock::duration loop{};
  TracePrefetcher::Batch batch;
  TraceRequest request;
  while (prefetcher.next(batch)) {
    const auto t0 = std::chrono::steady_clock::now();
    for (const TracePrefetcher::Request& r : batch.requests) {
      // Routers see a whole TraceRequest; its id vector keeps its capacity across requests.
      request.timestampMs = r.timestampMs;
      request.inputLength = r.inputLength;
      request.outputLength = r.outputLength;
      const auto ids = batch.idsOf(r);
      request.hashIds.assign(ids.begin(), ids.end());
      const auto tokens = batch.tokensOf(r);
      request.blockTokens.assign(tokens.begin(), tokens.end());
      request.session = r.session;
      request.model = r.model;
      const std::size_t cache = fleet.replay(request);
      if (onRequest) onRequest(fleet, cache);
    }
    loop += std::chrono::steady_clock::now() - t0;
    count += batch.requests.size();
    if (progress) progress({batch.bytesRead, prefetcher.fileSize(), count});
    prefetcher.recycle(std::move(batch));
  }
  if (count == 0) throw emptyTraceError(path, prefetcher.skippedLines());
  FleetResult result = fleet.result();
  result.fleet.skippedLines = prefetcher.skippedLines();
  result.fleet.skipReasons = prefetcher.skipReasons();
  result.fleet.traceFormat = prefetcher.info().format;
  for (ReplayResult& replica : result.replicas) replica.traceFormat = result.fleet.traceFormat;
  result.fleet.loopS = std::chrono::duration<double>(loop).count();
  result.fleet.elapsedS = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace kvlab
