// SPDX-License-Identifier: MIT
#include "core/serving/serving_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <stdexcept>

#include "core/cache/clock.h"
#include "core/hardware/step_cost_model.h"
#include "core/policies/policy_registry.h"
#include "core/serving/kv_block_pool.h"
#include "core/serving/serving_simulator.h"
#include "core/tiers/tier_hierarchy.h"

namespace kvlab {

namespace {

// A request once it has arrived and was not rejected.
struct Sequence {
  std::uint32_t promptTokens = 0;
  std::uint32_t outputTokens = 1;  // max(1, requested)
  std::uint32_t knownTokens = 0;   // prompt + generated: what must be computed before the next token
  std::uint32_t computed = 0;      // tokens whose K/V is in this sequence's blocks (or is being computed)
  std::uint32_t generated = 0;
  std::uint32_t cachedBlocks = 0;  // leading blocks filed under their key (hit or scheduled full)
  bool admittedOnce = false;
  double waitingSinceS = 0;  // when it last entered the waiting queue (arrival or preemption)
  std::vector<BlockId> blocks;
};

struct Scheduled {
  std::uint32_t request;
  std::uint32_t newTokens;
};

// Measures the wall time of one public call into the engine.
class WallTimer {
public:
  explicit WallTimer(double& total) : m_total(total), m_start(std::chrono::steady_clock::now()) {}
  ~WallTimer() {
    m_total += std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  }
  WallTimer(const WallTimer&) = delete;
  WallTimer& operator=(const WallTimer&) = delete;

private:
  double& m_total;
  std::chrono::steady_clock::time_point m_start;
};

}  // namespace

class ServingEngine::Impl : private KvPoolObserver {
public:
  Impl(ServingConfig config, ServingObserver* observer, CacheEngine* sharedRemote)
      : m_config(std::move(config)),
        m_observer(observer),
        m_cost(m_config.model, m_config.hardware, int(m_config.tensorParallel)),
        m_pool(m_config.poolBlocks, createPolicy(m_config.policy)) {
    m_result.summary.poolBlocks = m_config.poolBlocks;
    makeTiers(sharedRemote);
    sample(/*force=*/true);
  }

  // The pool's events: a shared block's last copy evicted is demoted (the tiers' rules), then every event
  // goes on to the fleet's observer.
  void onBlockStored(std::uint64_t hash) override {
    if (m_poolObserver) m_poolObserver->onBlockStored(hash);
  }
  void onBlockRemoved(std::uint64_t hash) override {
    if (m_tiers) m_tiers->deviceRemoved(sharedBlockKey(hash));
    if (m_poolObserver) m_poolObserver->onBlockRemoved(hash);
  }
  void setPoolObserver(KvPoolObserver* observer) {
    m_poolObserver = observer;
    m_pool.setObserver(m_tiers || observer ? this : nullptr);
  }
  void makeTiers(CacheEngine* sharedRemote);
  std::uint32_t walkTiers(std::uint32_t id, std::uint32_t localHits, std::uint32_t maxHit, bool commit);

  double arrivalS(const TraceRequest& r) const { return double(r.timestampMs) / 1e3 / m_config.speed; }
  std::uint32_t submit(TraceRequest request);
  bool advanceTo(double timeS);
  bool drain();
  ServingResult result() const;

  std::uint64_t blocksFor(std::uint64_t tokens) const {
    return (tokens + m_config.blockSize - 1) / m_config.blockSize;
  }
  bool cancelled() const { return m_observer && m_observer->cancelled(); }
  void arriveUpToNow();
  bool idle() const { return m_running.empty() && m_waiting.empty(); }
  void arrive(std::uint32_t i);
  void step();
  void scheduleRunning(std::uint32_t& budget, bool& preempted);
  void admitWaiting(std::uint32_t& budget);
  CacheKey blockKey(std::uint32_t id, std::uint32_t block) const;
  void cacheFullBlocks(std::uint32_t id, std::uint32_t tokens);
  void preempt(std::uint32_t id);
  void applyStep();
  void finish(std::uint32_t id);
  void sample(bool force);
  void checkInvariants() const;

  ServingConfig m_config;
  ServingObserver* m_observer;
  StepCostModel m_cost;
  KvBlockPool m_pool;
  ServingResult m_result;
  std::vector<TraceRequest> m_requests;  // submitted, by engine index
  std::vector<double> m_arrivals;        // arrivalS of each
  std::size_t m_next = 0;                // first submitted request that has not arrived
  std::vector<Sequence> m_seqs;          // by request index
  std::deque<std::uint32_t> m_waiting;
  std::vector<std::uint32_t> m_running;  // admission order: back = newest
  std::vector<Scheduled> m_scheduled;
  std::vector<BlockId> m_hits;
  KvPoolObserver* m_poolObserver = nullptr;
  ManualClock m_tierClock;  // the tiers keep no TTL: their clock never moves
  std::unique_ptr<TierHierarchy> m_tiers;
  std::vector<CacheKey> m_tierKeys;  // a request's leading shared keys, reused
  std::vector<bool> m_filed;         // all true: finishRequest's "inserted" for the keys just filed
  std::vector<SlotId> m_noSlots;     // finishRequest's slots: the pool's blocks are no CacheEngine slots
  double m_stepLoadS = 0;            // tier loads of the requests admitted in this step
  double m_now = 0;
  double m_waitingArea = 0;   // integral of the waiting count over time
  double m_inSystemArea = 0;  // integral of waiting + running
  double m_nextSampleS = 0;
  double m_wallS = 0;
};

void ServingEngine::Impl::arrive(std::uint32_t i) {
  const TraceRequest& r = m_requests[i];
  ServingRequestResult& out = m_result.requests[i];
  out.index = i;
  out.arrivalS = m_arrivals[i];
  out.inputTokens = r.inputLength;
  out.outputTokens = r.outputLength;
  out.arrivalStep = m_result.summary.steps;
  const std::uint32_t output = std::max<std::uint32_t>(1, r.outputLength);
  // K/V slots the sequence holds at its largest: every prompt token and every generated token but the last.
  const std::uint64_t needed = blocksFor(std::uint64_t(r.inputLength) + output - 1);
  if (r.inputLength == 0) {
    out.rejectReason = "empty prompt (input_length 0)";
  } else if (needed > m_config.poolBlocks) {
    out.rejectReason = "needs " + std::to_string(needed) + " blocks (" + std::to_string(r.inputLength) +
                       " prompt + " + std::to_string(output) + " output tokens), the whole pool has " +
                       std::to_string(m_config.poolBlocks);
  }
  if (!out.rejectReason.empty()) {
    ++m_result.summary.rejected;
    if (m_observer) m_observer->onRequestDone(out);
    return;
  }
  Sequence& s = m_seqs[i];
  s.promptTokens = r.inputLength;
  s.outputTokens = output;
  s.knownTokens = r.inputLength;
  s.waitingSinceS = out.arrivalS;
  // It has been waiting since its arrival, possibly during the step that just ended.
  m_waitingArea += m_now - out.arrivalS;
  m_inSystemArea += m_now - out.arrivalS;
  m_waiting.push_back(i);
}

void ServingEngine::Impl::makeTiers(CacheEngine* sharedRemote) {
  TierHierarchyConfig tiers;
  if (m_config.hostBlocks) tiers.lower.push_back({"host", m_config.hostBlocks, m_config.hostPolicy});
  if (m_config.remoteBlocks || sharedRemote)
    tiers.lower.push_back({"remote", m_config.remoteBlocks, m_config.remotePolicy});
  if (tiers.lower.empty()) return;
  if (!m_config.prefixCache) throw std::invalid_argument("tiers under the pool need the prefix cache");
  tiers.bytesPerBlock = saturatingMul(kvBytesPerToken(m_config.model), m_config.blockSize);
  tiers.blockTokens = m_config.blockSize;
  tiers.remoteWriteThrough = m_config.remoteWriteThrough;
  tiers.cost = m_config.tierCost;
  tiers.sharedRemote = sharedRemote;
  m_tiers = std::make_unique<TierHierarchy>(std::move(tiers), m_tierClock, /*denseKeys=*/false);
  m_pool.setObserver(this);
}

// The tiers' leading run after the pool's localHits blocks, below maxHit blocks (the last-token rule), over
// the request's shared keys (a private block is in no tier: its key names a request of this engine only).
// commit = false: only how many blocks would be served; true: the walk itself (counted, touched), its
// load time added to this step, over the keys the peek of the same admission built (nothing runs between).
std::uint32_t ServingEngine::Impl::walkTiers(std::uint32_t id, std::uint32_t localHits, std::uint32_t maxHit,
                                             bool commit) {
  if (!m_tiers || localHits >= maxHit) return 0;
  if (!commit) {  // the commit that follows in the same admission walks the keys built here
    m_tierKeys.clear();
    for (std::uint32_t j = 0; j < maxHit; ++j) {
      const CacheKey key = blockKey(id, j);
      if (!isSharedBlockKey(key)) break;
      m_tierKeys.push_back(key);
    }
  }
  const std::uint64_t maxTokens = std::uint64_t(m_tierKeys.size()) * m_config.blockSize;
  if (!commit) return m_tiers->peek(m_tierKeys, localHits, maxTokens);
  const TierHierarchy::Walk walk = m_tiers->walk(m_tierKeys, localHits, maxTokens);
  m_stepLoadS += m_tiers->loadMs(walk) / 1e3;
  return walk.blocks;
}

void ServingEngine::Impl::preempt(std::uint32_t id) {
  Sequence& s = m_seqs[id];
  for (auto it = s.blocks.rbegin(); it != s.blocks.rend(); ++it) m_pool.release(*it);
  s.blocks.clear();
  m_result.requests[id].recomputedTokens += s.computed;
  ++m_result.requests[id].preemptions;
  ++m_result.summary.preemptions;
  s.computed = 0;
  s.cachedBlocks = 0;
  s.waitingSinceS = m_now;  // waiting again from this step on
  m_waiting.push_front(id);
}

CacheKey ServingEngine::Impl::blockKey(std::uint32_t id, std::uint32_t block) const {
  const TraceRequest& r = m_requests[id];
  const std::uint64_t end = (std::uint64_t(block) + 1) * m_config.blockSize;  // token after the block
  if (end <= r.inputLength && block < r.hashIds.size()) return sharedBlockKey(r.hashIds[block]);
  return privateBlockKey(id, block);  // generated tokens fill it, or the trace has no id for it
}

// vLLM's cache_blocks after allocate_slots: every block the first `tokens` tokens fill is filed under its
// key now, when its tokens are scheduled, so a request admitted later in the same step can hit it.
void ServingEngine::Impl::cacheFullBlocks(std::uint32_t id, std::uint32_t tokens) {
  if (!m_config.prefixCache) return;
  Sequence& s = m_seqs[id];
  m_tierKeys.clear();
  for (const std::uint32_t full = tokens / m_config.blockSize; s.cachedBlocks < full; ++s.cachedBlocks) {
    const CacheKey key = blockKey(id, s.cachedBlocks);
    m_pool.cacheBlock(s.blocks[s.cachedBlocks], key);
    if (m_tiers && isSharedBlockKey(key)) m_tierKeys.push_back(key);
  }
  // The tiers hear what the pool now holds (exclusive host, write-through) and close this batch's loads.
  if (m_tiers) {
    m_filed.assign(m_tierKeys.size(), true);
    m_noSlots.assign(m_tierKeys.size(), kNoSlot);
    m_tiers->finishRequest(m_tierKeys, m_noSlots, m_filed);
  }
}

void ServingEngine::Impl::scheduleRunning(std::uint32_t& budget, bool& preempted) {
  std::size_t i = 0;
  while (i < m_running.size() && budget > 0) {
    const std::uint32_t id = m_running[i];
    Sequence& s = m_seqs[id];
    const std::uint32_t n = std::min(s.knownTokens - s.computed, budget);
    const std::uint64_t need = blocksFor(std::uint64_t(s.computed) + n) - s.blocks.size();
    // Not enough memory: preempt the newest running sequence until there is, or until it is this one.
    while (need > m_pool.availableBlocks() && m_running.size() > i) {
      const std::uint32_t victim = m_running.back();
      m_running.pop_back();
      preempt(victim);
      preempted = true;
    }
    if (m_running.size() <= i) break;  // it preempted itself
    for (std::uint64_t b = 0; b < need; ++b) s.blocks.push_back(m_pool.allocate());
    cacheFullBlocks(id, s.computed + n);
    m_scheduled.push_back({id, n});
    budget -= n;
    ++i;
  }
}

void ServingEngine::Impl::admitWaiting(std::uint32_t& budget) {
  const std::uint32_t bs = m_config.blockSize;
  while (!m_waiting.empty() && m_running.size() < m_config.maxRunning && budget > 0) {
    const std::uint32_t id = m_waiting.front();
    Sequence& s = m_seqs[id];
    m_hits.clear();
    std::uint32_t freeHits = 0;
    if (m_config.prefixCache) {
      // Leading cached blocks, leaving at least the last known token to compute. After a preemption the
      // known tokens include the generated ones, whose blocks only this request can hit.
      const std::uint32_t maxHit = (s.knownTokens - 1) / bs;
      for (std::uint32_t j = 0; j < maxHit; ++j) {
        const BlockId b = m_pool.findCached(blockKey(id, j));
        if (b == kNoBlock) break;
        freeHits += m_pool.refCount(b) == 0;
        m_hits.push_back(b);
      }
    }
    // Then the tiers below (vLLM's KV connector: external tokens are loaded into newly allocated blocks).
    const std::uint32_t localHits = std::uint32_t(m_hits.size());
    const std::uint32_t tierHits =
        m_config.prefixCache ? walkTiers(id, localHits, (s.knownTokens - 1) / bs, /*commit=*/false) : 0;
    const std::uint32_t cachedTokens = (localHits + tierHits) * bs;
    const std::uint32_t n = std::min(s.knownTokens - cachedTokens, budget);
    const std::uint64_t need = blocksFor(std::uint64_t(cachedTokens) + n) - localHits;
    if (need + freeHits > m_pool.availableBlocks()) break;  // FCFS: the head blocks the queue
    // The walk itself (counted: a tier that ends it counts a miss), now that the request is admitted.
    if (m_tiers && walkTiers(id, localHits, (s.knownTokens - 1) / bs, /*commit=*/true) != tierHits)
      throw std::logic_error("serving engine: the tier walk served other blocks than it promised");
    for (const BlockId b : m_hits) m_pool.acquireCached(b);
    s.blocks.assign(m_hits.begin(), m_hits.end());
    s.cachedBlocks = localHits;
    for (std::uint64_t b = 0; b < need; ++b) s.blocks.push_back(m_pool.allocate());
    s.computed = cachedTokens;
    cacheFullBlocks(id, cachedTokens + n);
    if (!s.admittedOnce) {
      s.admittedOnce = true;
      m_result.requests[id].hitTokens = cachedTokens;
      m_result.requests[id].tierHitTokens = tierHits * bs;
    } else {
      m_result.requests[id].recomputeHitTokens += cachedTokens;
    }
    m_result.requests[id].waitingS += m_now - s.waitingSinceS;
    m_waiting.pop_front();
    m_running.push_back(id);
    m_scheduled.push_back({id, n});
    budget -= n;
  }
}

void ServingEngine::Impl::finish(std::uint32_t id) {
  Sequence& s = m_seqs[id];
  // Last block first: under LRU/FIFO a sequence's tail goes before its (more shareable) head, as in vLLM.
  for (auto it = s.blocks.rbegin(); it != s.blocks.rend(); ++it) m_pool.release(*it);
  s.blocks.clear();
  s.blocks.shrink_to_fit();
  ServingRequestResult& out = m_result.requests[id];
  out.completed = true;
  out.finishS = m_now;
  ++m_result.summary.completed;
  if (m_observer) m_observer->onRequestDone(out);
}

void ServingEngine::Impl::applyStep() {
  bool anyFinished = false;
  for (const Scheduled& sch : m_scheduled) {
    Sequence& s = m_seqs[sch.request];
    s.computed += sch.newTokens;
    if (s.computed < s.knownTokens) continue;  // a prefill chunk that did not reach the end
    ++s.generated;
    if (s.generated == 1) m_result.requests[sch.request].firstTokenS = m_now;
    if (s.generated == s.outputTokens) {
      finish(sch.request);
      anyFinished = true;
    } else {
      ++s.knownTokens;
    }
  }
  if (anyFinished)
    std::erase_if(m_running, [this](std::uint32_t id) { return m_result.requests[id].completed; });
}

void ServingEngine::Impl::sample(bool force) {
  if (m_config.timelineIntervalS <= 0 || (!force && m_now < m_nextSampleS)) return;
  m_nextSampleS = m_now + m_config.timelineIntervalS;
  ServingTimelinePoint p;
  p.timeS = m_now;
  p.waiting = std::uint32_t(m_waiting.size());
  p.running = std::uint32_t(m_running.size());
  p.usedBlocks = m_pool.usedBlocks();
  p.cachedFreeBlocks = m_pool.cachedFreeBlocks();
  p.freeBlocks = m_pool.plainFreeBlocks();
  p.preemptions = m_result.summary.preemptions;
  p.completed = m_result.summary.completed;
  m_result.timeline.push_back(p);
  if (m_observer) m_observer->onTimelinePoint(p);
}

void ServingEngine::Impl::checkInvariants() const {
  if (const std::string problem = m_pool.checkInvariants(); !problem.empty())
    throw std::logic_error("serving pool: " + problem);
  if (m_pool.usedBlocks() > m_config.poolBlocks)
    throw std::logic_error("serving pool: more blocks in use than exist");
  std::uint64_t held = 0;
  for (const std::uint32_t id : m_running) {
    const Sequence& s = m_seqs[id];
    if (s.blocks.size() != blocksFor(s.computed))
      throw std::logic_error("request " + std::to_string(id) + " holds " + std::to_string(s.blocks.size()) +
                             " blocks for " + std::to_string(s.computed) + " computed tokens");
    for (std::size_t j = 0; j < s.blocks.size(); ++j) {
      const BlockId b = s.blocks[j];
      if (m_pool.refCount(b) == 0) throw std::logic_error("a running sequence holds a free block");
      // A leading block filed under its key still holds it: an in-use block was not evicted.
      if (j < s.cachedBlocks && !(m_pool.isCached(b) && m_pool.key(b) == blockKey(id, std::uint32_t(j))))
        throw std::logic_error("an in-use block lost its key (evicted while in use)");
      if (j >= s.cachedBlocks && m_pool.isCached(b))
        throw std::logic_error("a block past the cached ones holds a key");
    }
    if (m_config.prefixCache && s.cachedBlocks != s.computed / m_config.blockSize) {
      throw std::logic_error("request " + std::to_string(id) + " has " + std::to_string(s.cachedBlocks) +
                             " cached blocks for " + std::to_string(s.computed) + " computed tokens");
    }
    held += s.blocks.size();
  }
  if (held < m_pool.usedBlocks()) throw std::logic_error("blocks in use that no running sequence holds");
}

std::uint32_t ServingEngine::Impl::submit(TraceRequest request) {
  const auto i = std::uint32_t(m_requests.size());
  if (i > 0 && request.timestampMs < m_requests.back().timestampMs)
    throw std::invalid_argument("request " + std::to_string(i) + " arrives before the one before it");
  m_arrivals.push_back(arrivalS(request));
  m_requests.push_back(std::move(request));
  m_seqs.emplace_back();
  m_result.requests.emplace_back();
  ++m_result.summary.requests;
  return i;
}

void ServingEngine::Impl::arriveUpToNow() {
  while (m_next < m_requests.size() && m_arrivals[m_next] <= m_now) arrive(std::uint32_t(m_next++));
}

// One iteration of the simulation loop, with arrivals up to now() already taken in and work to do.
void ServingEngine::Impl::step() {
  m_scheduled.clear();
  std::uint32_t budget = m_config.maxBatchedTokens;
  bool preempted = false;
  m_stepLoadS = 0;
  scheduleRunning(budget, preempted);
  if (!preempted) admitWaiting(budget);
  if (m_scheduled.empty()) throw std::logic_error("serving simulator: a step with nothing to compute");
  StepLoad load;
  for (const Scheduled& sch : m_scheduled) {
    const Sequence& s = m_seqs[sch.request];
    load.add(/*context=*/s.computed, sch.newTokens, /*logit=*/s.computed + sch.newTokens == s.knownTokens);
  }
  // Tier loads are not overlapped with compute here (vLLM's synchronous connector load, no layer-wise
  // pipelining): an upper bound on what they add.
  const double dt = m_cost.cost(load).seconds() + m_stepLoadS;
  m_waitingArea += double(m_waiting.size()) * dt;
  m_inSystemArea += double(m_waiting.size() + m_running.size()) * dt;
  m_now += dt;
  ++m_result.summary.steps;
  applyStep();
  if (m_config.checkInvariants) checkInvariants();
  sample(/*force=*/false);
}

bool ServingEngine::Impl::advanceTo(double timeS) {
  while (!cancelled()) {
    arriveUpToNow();
    if (idle()) {
      // Idle until the next arrival, if it is before timeS.
      if (m_next == m_requests.size() || m_arrivals[m_next] >= timeS) return true;
      m_now = m_arrivals[m_next];
      sample(/*force=*/false);
      continue;
    }
    if (m_now >= timeS) return true;  // the next step starts at or after timeS
    step();
  }
  return false;
}

bool ServingEngine::Impl::drain() {
  while (!cancelled()) {
    arriveUpToNow();
    if (idle()) {
      if (m_next == m_requests.size()) break;
      m_now = m_arrivals[m_next];  // idle until the next arrival
      sample(/*force=*/false);
      continue;
    }
    step();
  }
  sample(/*force=*/true);
  return !cancelled();
}

ServingResult ServingEngine::Impl::result() const {
  ServingResult out = m_result;
  ServingSummary& sum = out.summary;
  std::vector<double> ttft, tpot;
  double latencySum = 0;
  for (const ServingRequestResult& r : out.requests) {
    if (!r.completed) continue;
    ttft.push_back(r.ttftMs());
    if (r.tpotMs() >= 0) tpot.push_back(r.tpotMs());
    latencySum += r.latencyMs();
    sum.promptTokens += r.inputTokens;
    sum.hitTokens += r.hitTokens;
    sum.tierHitTokens += r.tierHitTokens;
    sum.outputTokens += std::max<std::uint32_t>(1, r.outputTokens);
    sum.recomputedTokens += r.recomputedTokens;
    sum.recomputeHitTokens += r.recomputeHitTokens;
    sum.simDurationS = std::max(sum.simDurationS, r.finishS);
  }
  sum.ttftMsP50 = nearestRankPercentile(ttft, 50);
  sum.ttftMsP90 = nearestRankPercentile(ttft, 90);
  sum.ttftMsP99 = nearestRankPercentile(ttft, 99);
  sum.tpotMsP50 = nearestRankPercentile(tpot, 50);
  sum.tpotMsP90 = nearestRankPercentile(tpot, 90);
  sum.latencyMsMean = ttft.empty() ? 0 : latencySum / double(ttft.size());
  sum.tokenHitRate = sum.promptTokens ? double(sum.hitTokens) / double(sum.promptTokens) : 0;
  sum.evictions = m_pool.evictions();
  sum.poolPeakBlocks = m_pool.peakUsedBlocks();
  if (sum.simDurationS > 0) {
    sum.throughputTokensPerS = double(sum.outputTokens) / sum.simDurationS;
    sum.meanWaiting = m_waitingArea / sum.simDurationS;
    sum.meanInSystem = m_inSystemArea / sum.simDurationS;
  }
  if (m_tiers) out.tiers = m_tiers->reports();
  out.wallS = m_wallS;
  return out;
}

void validateServingConfig(const ServingConfig& config) {
  if (config.blockSize == 0) throw std::invalid_argument("block size must be at least 1 token");
  if (config.poolBlocks == 0) throw std::invalid_argument("the KV pool needs at least one block");
  if (config.maxBatchedTokens == 0) throw std::invalid_argument("max batched tokens must be at least 1");
  if (config.maxRunning == 0) throw std::invalid_argument("max running must be at least 1");
  if (!(config.speed > 0) || !std::isfinite(config.speed))
    throw std::invalid_argument("speed must be a positive number");
  (void)createPolicy(config.policy);  // throws for an unknown name
  if (config.hostBlocks) (void)createPolicy(config.hostPolicy);
  if (config.remoteBlocks) (void)createPolicy(config.remotePolicy);
  // Throws for a profile without figures, or tensor parallelism on a profile without an interconnect.
  (void)StepCostModel(config.model, config.hardware, int(config.tensorParallel));
}

ServingEngine::ServingEngine(ServingConfig config, ServingObserver* observer, CacheEngine* sharedRemote) {
  validateServingConfig(config);
  m_impl = std::make_unique<Impl>(std::move(config), observer, sharedRemote);
}

ServingEngine::~ServingEngine() = default;

void ServingEngine::setPoolObserver(KvPoolObserver* observer) { m_impl->setPoolObserver(observer); }

std::uint32_t ServingEngine::submit(TraceRequest request) {
  WallTimer timer(m_impl->m_wallS);
  return m_impl->submit(std::move(request));
}

bool ServingEngine::advanceTo(double timeS) {
  WallTimer timer(m_impl->m_wallS);
  return m_impl->advanceTo(timeS);
}

bool ServingEngine::drain() {
  WallTimer timer(m_impl->m_wallS);
  return m_impl->drain();
}

double ServingEngine::arrivalS(const TraceRequest& request) const { return m_impl->arrivalS(request); }
double ServingEngine::now() const { return m_impl->m_now; }
std::uint32_t ServingEngine::waiting() const { return std::uint32_t(m_impl->m_waiting.size()); }
std::uint32_t ServingEngine::running() const { return std::uint32_t(m_impl->m_running.size()); }
std::uint32_t ServingEngine::pending() const {
  return std::uint32_t(m_impl->m_requests.size() - m_impl->m_next);
}

std::uint32_t ServingEngine::cachedLeadingBlocks(std::span<const std::uint64_t> hashIds) const {
  if (!m_impl->m_config.prefixCache) return 0;
  std::uint32_t n = 0;
  while (n < hashIds.size() && m_impl->m_pool.findCached(hashIds[n]) != kNoBlock) ++n;
  return n;
}

std::uint32_t ServingEngine::hashedBlocks() const { return m_impl->m_pool.sharedKeys(); }
ServingResult ServingEngine::result() const { return m_impl->result(); }
const ServingConfig& ServingEngine::config() const { return m_impl->m_config; }

}  // namespace kvlab
