// SPDX-License-Identifier: MIT
#include "core/fleet/serving_fleet.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/cache/cache_engine.h"
#include "core/cache/clock.h"
#include "core/fleet/kv_block_index.h"
#include "core/fleet/router_registry.h"
#include "core/serving/kv_block_pool.h"
#include "core/serving/serving_engine.h"
#include "core/serving/serving_simulator.h"

namespace kvlab {

// Replica r's pool events -> the fleet index. Pool hashes are trace hash ids, so the index keys are
// CacheKey{hashId, 0}, as in replay.
// An event happens at the engine's now() (the start of the step that stored or removed the block).
class ServingFleet::PoolFeed final : public KvPoolObserver {
public:
  PoolFeed(KvBlockIndex& index, std::size_t replica) : m_index(index), m_replica(replica) {}
  void setEngine(const ServingEngine* engine) { m_engine = engine; }
  void onBlockStored(std::uint64_t hash) override {
    m_index.setEventTimeMs(m_engine->now() * 1e3);
    m_index.stored(m_replica, CacheKey{hash, 0});
  }
  void onBlockRemoved(std::uint64_t hash) override {
    m_index.setEventTimeMs(m_engine->now() * 1e3);
    m_index.removed(m_replica, CacheKey{hash, 0});
  }

private:
  KvBlockIndex& m_index;
  std::size_t m_replica;
  const ServingEngine* m_engine = nullptr;
};

// Replica r's finished requests -> the router (kv-aware releases what it counted in flight).
class ServingFleet::DoneFeed final : public ServingObserver {
public:
  DoneFeed(ServingFleet& fleet, std::size_t replica) : m_fleet(fleet), m_replica(replica) {}
  void onRequestDone(const ServingRequestResult& request) override {
    m_fleet.m_router->finished(m_fleet.m_result.routing[m_replica].at(request.index));
  }

private:
  ServingFleet& m_fleet;
  std::size_t m_replica;
};

double ServingFleetResult::loadImbalance() const {
  std::uint64_t total = 0, most = 0;
  for (const std::uint64_t t : routedPromptTokens) {
    total += t;
    most = std::max(most, t);
  }
  if (total == 0 || routedPromptTokens.empty()) return 1.0;
  return double(most) / (double(total) / double(routedPromptTokens.size()));
}

ServingFleet::ServingFleet(const ServingFleetConfig& config) : m_config(config) {
  const RouterInfo* info = findRouter(config.router);
  if (!info) (void)createRouter(config.router, config.routerParams, 1);  // throws, naming the choices
  if (info->sharedCache)
    throw std::invalid_argument("router " + config.router +
                                " is a shared-cache bound, not a fleet of serving engines: not available "
                                "with serving replicas");
  if (config.replicas == 0 || config.replicas > KvBlockIndex::kMaxReplicas)
    throw std::invalid_argument("a fleet has 1 to " + std::to_string(KvBlockIndex::kMaxReplicas) +
                                " replicas, not " + std::to_string(config.replicas));
  validateServingConfig(config.replica);
  if (!(config.eventLagMs >= 0)) throw std::invalid_argument("the event lag must be >= 0 ms");
  m_router = info->create(config.routerParams, config.replicas);
  m_index = std::make_unique<KvBlockIndex>(config.replicas);
  m_index->setEventLagMs(config.eventLagMs);
  if (config.replica.remoteBlocks) {  // one remote tier for the whole fleet, as Mooncake Store pools it
    if (!config.replica.prefixCache)
      throw std::invalid_argument("tiers under the pool need the prefix cache");
    CacheConfig remote;
    remote.capacityBytes =
        saturatingMul(config.replica.remoteBlocks,
                      saturatingMul(kvBytesPerToken(config.replica.model), config.replica.blockSize));
    remote.policy = config.replica.remotePolicy;
    m_remoteClock = std::make_unique<ManualClock>();
    m_sharedRemote = std::make_unique<CacheEngine>(remote, *m_remoteClock);
    m_sharedRemote->setAutoPublish(false);
  }
  for (std::size_t r = 0; r < config.replicas; ++r) {
    m_feeds.push_back(std::make_unique<PoolFeed>(*m_index, r));
    m_doneFeeds.push_back(std::make_unique<DoneFeed>(*this, r));
    m_engines.push_back(
        std::make_unique<ServingEngine>(config.replica, m_doneFeeds.back().get(), m_sharedRemote.get()));
    m_feeds.back()->setEngine(m_engines.back().get());
    m_engines.back()->setPoolObserver(m_feeds.back().get());
  }
  m_load.assign(config.replicas, 0);
  m_result.router = config.router;
  m_result.routedRequests.assign(config.replicas, 0);
  m_result.routedPromptTokens.assign(config.replicas, 0);
  m_result.routing.resize(config.replicas);
}

ServingFleet::~ServingFleet() = default;

std::size_t ServingFleet::route(const TraceRequest& request) {
  if (m_routed > 0 && request.timestampMs < m_lastTimestampMs)
    throw std::invalid_argument("request " + std::to_string(m_routed) + " arrives before the one before it");
  m_lastTimestampMs = request.timestampMs;
  const double t = m_engines.front()->arrivalS(request);
  for (std::size_t r = 0; r < m_engines.size(); ++r) {
    ServingEngine& e = *m_engines[r];
    e.advanceTo(t);
    m_load[r] = std::uint64_t(e.waiting()) + e.running() + e.pending();
  }
  m_index->advanceTo(t * 1e3);  // the events due by this arrival reach the router
  const FleetView view{m_load, m_index.get(), m_config.replica.blockSize, m_routed};
  const std::size_t target = m_router->route(request, view);
  if (target >= m_engines.size())
    throw std::logic_error("router " + m_config.router + " chose replica " + std::to_string(target) + " of " +
                           std::to_string(m_engines.size()));
  m_engines[target]->submit(request);
  ++m_result.routedRequests[target];
  m_result.routedPromptTokens[target] += request.inputLength;
  m_result.routing[target].push_back(m_routed++);
  return target;
}

ServingFleetResult ServingFleet::finish() {
  ServingFleetResult out = m_result;
  std::vector<double> ttft, tpot;
  for (const auto& engine : m_engines) {
    engine->drain();
    ServingResult r = engine->result();
    const ServingSummary& s = r.summary;
    out.requests += s.requests;
    out.completed += s.completed;
    out.rejected += s.rejected;
    out.promptTokens += s.promptTokens;
    out.hitTokens += s.hitTokens;
    out.tierHitTokens += s.tierHitTokens;
    out.preemptions += s.preemptions;
    addTierReports(out.tiers, r.tiers);
    out.evictions += s.evictions;
    out.simDurationS = std::max(out.simDurationS, s.simDurationS);
    out.wallS += r.wallS;
    for (const ServingRequestResult& q : r.requests) {
      if (!q.completed) continue;
      ttft.push_back(q.ttftMs());
      if (q.tpotMs() >= 0) tpot.push_back(q.tpotMs());
    }
    out.replicas.push_back(std::move(r));
  }
  out.ttftMsP50 = nearestRankPercentile(ttft, 50);
  out.ttftMsP90 = nearestRankPercentile(ttft, 90);
  out.ttftMsP99 = nearestRankPercentile(ttft, 99);
  out.tpotMsP50 = nearestRankPercentile(tpot, 50);
  for (TierReport& tier : out.tiers) {
    if (!tier.remote || !m_sharedRemote) continue;
    tier.entries = m_sharedRemote->entryCount();  // one engine: its figures once, not once per replica
    tier.evictions = m_sharedRemote->counters().capacityEvictions();
  }
  return out;
}

void addTierReports(std::vector<TierReport>& total, const std::vector<TierReport>& replica) {
  for (const TierReport& r : replica) {
    auto it = std::find_if(total.begin(), total.end(), [&](const TierReport& t) { return t.name == r.name; });
    if (it == total.end()) {
      total.push_back(r);
      continue;
    }
    it->hits += r.hits;
    it->hitTokens += r.hitTokens;
    it->misses += r.misses;
    it->bytesIn += r.bytesIn;
    it->bytesOut += r.bytesOut;
    it->entries += r.entries;
    it->evictions += r.evictions;
    it->transferMs += r.transferMs;
  }
}

ServingFleetResult simulateFleet(const std::vector<TraceRequest>& requests,
                                 const ServingFleetConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  ServingFleet fleet(config);
  for (const TraceRequest& r : requests) fleet.route(r);
  ServingFleetResult result = fleet.finish();
  result.wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace kvlab
