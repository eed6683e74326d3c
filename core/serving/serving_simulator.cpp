// SPDX-License-Identifier: MIT
#include "core/serving/serving_simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <stdexcept>

#include "core/policies/policy_registry.h"
#include "core/serving/kv_block_pool.h"
#include "core/serving/step_cost_model.h"

namespace kvlab {

namespace {

// A request once it has arrived and was not rejected.
struct Sequence {
  std::uint32_t promptTokens = 0;
  std::uint32_t outputTokens = 1;      // max(1, requested)
  std::uint32_t fullPromptBlocks = 0;  // prompt blocks that are full and have a hash id: hashable
  std::uint32_t knownTokens = 0;       // prompt + generated: what must be computed before the next token
  std::uint32_t computed = 0;          // tokens whose K/V is in this sequence's blocks
  std::uint32_t generated = 0;
  std::uint32_t hashedBlocks = 0;  // leading blocks already offered to the hash map (computed or hit)
  bool admittedOnce = false;
  std::vector<BlockId> blocks;
};

struct Scheduled {
  std::uint32_t request;
  std::uint32_t newTokens;
};

class Run {
public:
  Run(const ServingConfig& config, const std::vector<TraceRequest>& requests, ServingObserver* observer)
      : m_config(config),
        m_requests(requests),
        m_observer(observer),
        m_cost(config.model, config.hardware),
        m_pool(config.poolBlocks, createPolicy(config.policy)) {}

  ServingResult go();

private:
  double arrivalS(std::size_t i) const { return double(m_requests[i].timestampMs) / 1e3 / m_config.speed; }
  std::uint64_t blocksFor(std::uint64_t tokens) const {
    return (tokens + m_config.blockSize - 1) / m_config.blockSize;
  }
  void arrive(std::uint32_t i);
  void scheduleRunning(std::uint32_t& budget, bool& preempted);
  void admitWaiting(std::uint32_t& budget);
  void preempt(std::uint32_t id);
  void applyStep();
  void finish(std::uint32_t id);
  void sample(bool force);
  void checkInvariants() const;

  const ServingConfig& m_config;
  const std::vector<TraceRequest>& m_requests;
  ServingObserver* m_observer;
  StepCostModel m_cost;
  KvBlockPool m_pool;
  ServingResult m_result;
  std::vector<Sequence> m_seqs;  // by request index
  std::deque<std::uint32_t> m_waiting;
  std::vector<std::uint32_t> m_running;  // admission order: back = newest
  std::vector<Scheduled> m_scheduled;
  std::vector<BlockId> m_hits;
  double m_now = 0;
  double m_waitingArea = 0;   // integral of the waiting count over time
  double m_inSystemArea = 0;  // integral of waiting + running
  double m_nextSampleS = 0;
};

void Run::arrive(std::uint32_t i) {
  const TraceRequest& r = m_requests[i];
  ServingRequestResult& out = m_result.requests[i];
  out.index = i;
  out.arrivalS = arrivalS(i);
  out.inputTokens = r.inputLength;
  out.outputTokens = r.outputLength;
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
  s.fullPromptBlocks =
      std::uint32_t(std::min<std::size_t>(r.hashIds.size(), r.inputLength / m_config.blockSize));
  s.knownTokens = r.inputLength;
  // It has been waiting since its arrival, possibly during the step that just ended.
  m_waitingArea += m_now - out.arrivalS;
  m_inSystemArea += m_now - out.arrivalS;
  m_waiting.push_back(i);
}

void Run::preempt(std::uint32_t id) {
  Sequence& s = m_seqs[id];
  for (auto it = s.blocks.rbegin(); it != s.blocks.rend(); ++it) m_pool.release(*it);
  s.blocks.clear();
  m_result.requests[id].recomputedTokens += s.computed;
  ++m_result.requests[id].preemptions;
  ++m_result.summary.preemptions;
  s.computed = 0;
  s.hashedBlocks = 0;
  m_waiting.push_front(id);
}

void Run::scheduleRunning(std::uint32_t& budget, bool& preempted) {
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
    m_scheduled.push_back({id, n});
    budget -= n;
    ++i;
  }
}

void Run::admitWaiting(std::uint32_t& budget) {
  const std::uint32_t bs = m_config.blockSize;
  while (!m_waiting.empty() && m_running.size() < m_config.maxRunning && budget > 0) {
    const std::uint32_t id = m_waiting.front();
    Sequence& s = m_seqs[id];
    const std::vector<std::uint64_t>& hashes = m_requests[id].hashIds;
    m_hits.clear();
    std::uint32_t freeHits = 0;
    if (m_config.prefixCache) {
      // Leading cached blocks, leaving at least the last known token to compute.
      const std::uint32_t maxHit = std::min(s.fullPromptBlocks, (s.knownTokens - 1) / bs);
      for (std::uint32_t j = 0; j < maxHit; ++j) {
        const BlockId b = m_pool.findCached(hashes[j]);
        if (b == kNoBlock) break;
        freeHits += m_pool.refCount(b) == 0;
        m_hits.push_back(b);
      }
    }
    const std::uint32_t cachedTokens = std::uint32_t(m_hits.size()) * bs;
    const std::uint32_t n = std::min(s.knownTokens - cachedTokens, budget);
    const std::uint64_t need = blocksFor(std::uint64_t(cachedTokens) + n) - m_hits.size();
    if (need + freeHits > m_pool.availableBlocks()) break;  // FCFS: the head blocks the queue
    for (const BlockId b : m_hits) m_pool.acquireCached(b);
    s.blocks.assign(m_hits.begin(), m_hits.end());
    s.hashedBlocks = std::uint32_t(m_hits.size());
    for (std::uint64_t b = 0; b < need; ++b) s.blocks.push_back(m_pool.allocate());
    s.computed = cachedTokens;
    if (!s.admittedOnce) {
      s.admittedOnce = true;
      m_result.requests[id].hitTokens = cachedTokens;
    } else {
      m_result.requests[id].recomputeHitTokens += cachedTokens;
    }
    m_waiting.pop_front();
    m_running.push_back(id);
    m_scheduled.push_back({id, n});
    budget -= n;
  }
}

void Run::finish(std::uint32_t id) {
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

void Run::applyStep() {
  const std::uint32_t bs = m_config.blockSize;
  bool anyFinished = false;
  for (const Scheduled& sch : m_scheduled) {
    Sequence& s = m_seqs[sch.request];
    s.computed += sch.newTokens;
    if (m_config.prefixCache) {
      const std::vector<std::uint64_t>& hashes = m_requests[sch.request].hashIds;
      while (s.hashedBlocks < s.fullPromptBlocks && (s.hashedBlocks + 1) * bs <= s.computed) {
        m_pool.setHash(s.blocks[s.hashedBlocks], hashes[s.hashedBlocks]);
        ++s.hashedBlocks;
      }
    }
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

void Run::sample(bool force) {
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

void Run::checkInvariants() const {
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
      // A block whose hash was recorded is still mapped to that hash: an in-use block was not evicted.
      if (j < s.hashedBlocks && m_pool.isCached(b) && m_pool.findCached(m_requests[id].hashIds[j]) != b)
        throw std::logic_error("an in-use block lost its hash (evicted while in use)");
    }
    held += s.blocks.size();
  }
  if (held < m_pool.usedBlocks()) throw std::logic_error("blocks in use that no running sequence holds");
}

ServingResult Run::go() {
  const auto wallStart = std::chrono::steady_clock::now();
  const std::size_t n = m_requests.size();
  m_result.requests.resize(n);
  m_seqs.resize(n);
  m_result.summary.requests = n;
  m_result.summary.poolBlocks = m_config.poolBlocks;
  std::size_t next = 0;
  sample(/*force=*/true);
  while (!(m_observer && m_observer->cancelled())) {
    while (next < n && arrivalS(next) <= m_now) arrive(std::uint32_t(next++));
    if (m_running.empty() && m_waiting.empty()) {
      if (next == n) break;
      m_now = arrivalS(next);  // idle until the next arrival
      sample(/*force=*/false);
      continue;
    }
    m_scheduled.clear();
    std::uint32_t budget = m_config.maxBatchedTokens;
    bool preempted = false;
    scheduleRunning(budget, preempted);
    if (!preempted) admitWaiting(budget);
    if (m_scheduled.empty()) throw std::logic_error("serving simulator: a step with nothing to compute");
    StepLoad load;
    for (const Scheduled& sch : m_scheduled) {
      const Sequence& s = m_seqs[sch.request];
      const double c = s.computed, k = sch.newTokens;
      load.newTokens += sch.newTokens;
      load.attentionPairs += k * c + k * (k + 1) / 2;  // token i of the chunk attends to c + i positions
      load.contextTokensRead += s.computed;
      load.logits += s.computed + sch.newTokens == s.knownTokens;
    }
    const double dt = m_cost.cost(load).seconds();
    m_waitingArea += double(m_waiting.size()) * dt;
    m_inSystemArea += double(m_waiting.size() + m_running.size()) * dt;
    m_now += dt;
    ++m_result.summary.steps;
    applyStep();
    if (m_config.checkInvariants) checkInvariants();
    sample(/*force=*/false);
  }
  sample(/*force=*/true);

  ServingSummary& sum = m_result.summary;
  std::vector<double> ttft, tpot;
  double latencySum = 0;
  for (const ServingRequestResult& r : m_result.requests) {
    if (!r.completed) continue;
    ttft.push_back(r.ttftMs());
    if (r.tpotMs() >= 0) tpot.push_back(r.tpotMs());
    latencySum += r.latencyMs();
    sum.promptTokens += r.inputTokens;
    sum.hitTokens += r.hitTokens;
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
  m_result.wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  return std::move(m_result);
}

}  // namespace

ServingSimulator::ServingSimulator(ServingConfig config) : m_config(std::move(config)) {
  if (m_config.blockSize == 0) throw std::invalid_argument("block size must be at least 1 token");
  if (m_config.poolBlocks == 0) throw std::invalid_argument("the KV pool needs at least one block");
  if (m_config.maxBatchedTokens == 0) throw std::invalid_argument("max batched tokens must be at least 1");
  if (m_config.maxRunning == 0) throw std::invalid_argument("max running must be at least 1");
  if (!(m_config.speed > 0) || !std::isfinite(m_config.speed))
    throw std::invalid_argument("speed must be a positive number");
  (void)createPolicy(m_config.policy);                     // throws for an unknown name
  (void)StepCostModel(m_config.model, m_config.hardware);  // throws for a profile without figures
}

ServingResult ServingSimulator::run(const std::vector<TraceRequest>& requests,
                                    ServingObserver* observer) const {
  for (std::size_t i = 1; i < requests.size(); ++i)
    if (requests[i].timestampMs < requests[i - 1].timestampMs)
      throw std::invalid_argument("request " + std::to_string(i) + " arrives before the one before it");
  return Run(m_config, requests, observer).go();
}

double nearestRankPercentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * double(values.size()));
  const std::size_t index = rank < 1 ? 0 : std::min(values.size() - 1, std::size_t(rank) - 1);
  return values[index];
}

}  // namespace kvlab
