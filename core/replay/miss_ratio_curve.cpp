// SPDX-License-Identifier: MIT
#include "core/replay/miss_ratio_curve.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "core/trace/block_token_ruler.h"
#include "core/trace/trace.h"

namespace kvlab {

namespace {

// Fenwick tree over touch times: a 1 marks the latest touch of some block. The stack distance of a block
// last touched at time t = number of marks after t = distinct blocks touched since.
class TouchTree {
public:
  void set(std::uint64_t t, int delta) {
    ensure(t + 1);
    for (std::uint64_t i = t + 1; i <= m_tree.size(); i += i & (~i + 1)) m_tree[i - 1] += delta;
    m_total += delta;
  }
  std::int64_t prefix(std::uint64_t t) const {  // marks at times <= t
    std::int64_t sum = 0;
    for (std::uint64_t i = std::min<std::uint64_t>(t + 1, m_tree.size()); i > 0; i -= i & (~i + 1))
      sum += m_tree[i - 1];
    return sum;
  }
  std::int64_t after(std::uint64_t t) const { return m_total - prefix(t); }

private:
  void ensure(std::uint64_t n) {
    if (n <= m_tree.size()) return;
    // Rebuild at double size: a Fenwick tree cannot grow in place.
    std::vector<std::int64_t> values(m_tree.size());
    for (std::uint64_t i = 0; i < m_tree.size(); ++i) values[i] = prefix(i) - (i ? prefix(i - 1) : 0);
    std::uint64_t size = std::max<std::uint64_t>(1024, m_tree.size());
    while (size < n) size *= 2;
    values.resize(size, 0);
    m_tree.assign(size, 0);
    for (std::uint64_t i = 0; i < size; ++i) {
      m_tree[i] += values[i];
      const std::uint64_t parent = i + ((i + 1) & (~(i + 1) + 1));
      if (parent < size) m_tree[parent] += m_tree[i];
    }
  }
  std::vector<std::int64_t> m_tree;
  std::int64_t m_total = 0;
};

}  // namespace

namespace {

// The stack-distance pass itself, fed one request at a time.
class LruStackPass {
public:
  LruStackPass(const ReplayConfig& base, const std::vector<std::uint64_t>& maxTokens)
      : m_base(base), m_points(maxTokens.size()), m_capacities(maxTokens.size()) {
    for (std::size_t s = 0; s < maxTokens.size(); ++s) {
      m_points[s].policy = "lru";
      m_points[s].maxTokens = maxTokens[s];
      m_points[s].onePass = true;
      ReplayConfig sized = base;
      sized.maxTokens = maxTokens[s];
      m_capacities[s] = sized.capacityBlocks();  // kUnlimited stays unbounded
    }
  }

  void add(const TraceRequest& request) {
    ++m_requests;
    m_promptTokens += request.inputLength;
    m_blocks += request.hashIds.size();
    // Stack distances at arrival (before this request's own touches); absent or expired = infinite.
    m_prefixMax.clear();
    std::uint64_t runningMax = 0;
    for (const std::uint64_t id : request.hashIds) {
      const auto it = m_last.find(id);
      std::uint64_t d = UINT64_MAX;
      if (it != m_last.end() && !(m_base.ttlMs > 0 && request.timestampMs - it->second.timeMs > m_base.ttlMs))
        d = std::uint64_t(m_tree.after(it->second.touch));
      runningMax = std::max(runningMax, d);
      m_prefixMax.push_back(runningMax);
    }
    for (std::size_t s = 0; s < m_capacities.size(); ++s) {
      // Blocks with prefix-max distance < capacity are hits: a count via binary search (prefixMax ascends).
      const auto hitBlocks = std::uint64_t(
          std::lower_bound(m_prefixMax.begin(), m_prefixMax.end(), m_capacities[s]) - m_prefixMax.begin());
      ReplayResult& r = m_points[s].result;
      r.hitBlocks += hitBlocks;
      r.hitTokens += request.blockTokens.empty()
                         ? std::min<std::uint64_t>(hitBlocks * m_base.blockSize, request.inputLength)
                         : BlockTokenRuler(m_base.blockSize, request.inputLength, request.blockTokens)
                               .leading(std::size_t(hitBlocks));
    }
    // Touch last to first, as the replay does.
    for (std::size_t i = request.hashIds.size(); i-- > 0;) {
      auto [it, inserted] = m_last.try_emplace(request.hashIds[i], Last{m_now, request.timestampMs});
      if (inserted) {
        ++m_firstTouches;
      } else {
        // Without a TTL, this touch inserts into a cache of C blocks exactly when its stack distance
        // (distinct blocks touched since its last touch) is >= C.
        const auto d = std::size_t(m_tree.after(it->second.touch));
        if (d >= m_touchDistances.size()) m_touchDistances.resize(d + 1, 0);
        ++m_touchDistances[d];
        m_tree.set(it->second.touch, -1);
      }
      it->second = Last{m_now, request.timestampMs};
      m_tree.set(m_now, +1);
      ++m_now;
    }
  }

  std::vector<CurvePoint> finish(double elapsedS, std::uint64_t skippedLines) {
    for (std::size_t s = 0; s < m_points.size(); ++s) {
      ReplayResult& r = m_points[s].result;
      r.requests = m_requests;
      r.promptTokens = m_promptTokens;
      r.blocks = m_blocks;
      r.capacityBlocks = m_capacities[s];
      r.elapsedS = elapsedS;
      r.skippedLines = skippedLines;
      if (m_base.ttlMs == 0 && m_capacities[s] > 0) {
        // Inserts = first touches + touches at distance >= C; nothing but capacity removes blocks, so
        // evictions = inserts - blocks left at the end = inserts - min(C, distinct blocks).
        std::uint64_t inserts = m_firstTouches;
        for (std::size_t d = std::size_t(std::min<std::uint64_t>(m_capacities[s], m_touchDistances.size()));
             d < m_touchDistances.size(); ++d)
          inserts += m_touchDistances[d];
        r.evictions = inserts - std::min<std::uint64_t>(m_capacities[s], m_last.size());
        m_points[s].countsEvictions = true;
      }
    }
    return std::move(m_points);
  }

private:
  struct Last {
    std::uint64_t touch;
    TimeMs timeMs;
  };
  ReplayConfig m_base;
  std::vector<CurvePoint> m_points;
  std::vector<std::uint64_t> m_capacities;
  absl::flat_hash_map<std::uint64_t, Last> m_last;  // hash id -> its latest touch
  TouchTree m_tree;
  std::uint64_t m_now = 0;
  std::vector<std::uint64_t> m_prefixMax;  // running max stack distance over leading blocks
  std::uint64_t m_requests = 0, m_promptTokens = 0, m_blocks = 0;
  std::uint64_t m_firstTouches = 0;
  std::vector<std::uint64_t> m_touchDistances;  // touches (not first ones) by stack distance at the touch
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<CurvePoint> lruCurveOnePass(const std::string& tracePath, const ReplayConfig& base,
                                        const std::vector<std::uint64_t>& maxTokens) {
  const auto start = std::chrono::steady_clock::now();
  const std::unique_ptr<TraceReader> reader =
      openTraceReader(tracePath, base.traceOpenOptions());
  const ReplayConfig config = configForTrace(reader->info(), base);
  LruStackPass pass(config, maxTokens);
  TraceRequest request;
  while (reader->next(request)) pass.add(request);
  return pass.finish(secondsSince(start), reader->skippedLines());
}

std::vector<CurvePoint> lruCurveOnePass(const std::vector<TraceRequest>& requests, const ReplayConfig& base,
                                        const std::vector<std::uint64_t>& maxTokens,
                                        const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  LruStackPass pass(base, maxTokens);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (cancel && (i & 1023) == 0 && cancel->load(std::memory_order_relaxed)) return {};
    pass.add(requests[i]);
  }
  return pass.finish(secondsSince(start), 0);
}

std::vector<CurvePoint> missRatioCurve(const std::string& tracePath, const ReplayConfig& base,
                                       const std::vector<std::string>& policies,
                                       const std::vector<std::uint64_t>& maxTokens, unsigned threads,
                                       const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<CurvePoint> points;
  for (const std::string& policy : policies)
    for (const std::uint64_t tokens : maxTokens) points.push_back(CurvePoint{policy, tokens, {}, false});

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex errorMutex;
  std::exception_ptr error;
  std::mutex progressMutex;
  auto work = [&] {
    for (std::size_t i = next++; i < points.size(); i = next++) {
      try {
        ReplayConfig config = base;
        config.policy = points[i].policy;
        config.maxTokens = points[i].maxTokens;
        points[i].result = replayTraceFile(tracePath, config);
      } catch (...) {
        std::lock_guard lock(errorMutex);
        if (!error) error = std::current_exception();
        next = points.size();  // stop handing out work
      }
      const std::size_t finished = ++done;
      if (progress) {
        std::lock_guard lock(progressMutex);
        progress(finished, points.size());
      }
    }
  };
  // No more threads than replays (`--threads 100000` must not exhaust the process's thread limit).
  const std::size_t workers = std::min<std::size_t>({std::max(1u, threads), points.size(), 256});
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return points;
}

}  // namespace kvlab
