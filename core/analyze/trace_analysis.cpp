// SPDX-License-Identifier: MIT
#include "core/analyze/trace_analysis.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cmath>

#include "core/replay/lru_stack_pass.h"
#include "core/trace/block_token_ruler.h"
#include "core/trace/trace_bounds.h"

namespace kvlab {

namespace {

// Per label index: the measured requests' bound.
class LabelTally {
public:
  void add(std::uint32_t label, std::uint64_t promptTokens, std::uint64_t hitTokens, bool countRequest = true) {
    if (label == kNoLabel) return;
    if (label >= m_rows.size()) m_rows.resize(label + 1);
    m_rows[label].requests += countRequest ? 1 : 0;
    m_rows[label].promptTokens += promptTokens;
    m_rows[label].hitTokens += hitTokens;
  }
  // Rows with any request or token, labelled from table (segments: requests having a block of it, tokens
  // of those blocks); top n by prompt tokens (0 = all, table order).
  std::vector<LabelBound> rows(const LabelTable& table, std::size_t n = 0) const {
    std::vector<LabelBound> out;
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
      if (m_rows[i].requests == 0 && m_rows[i].promptTokens == 0) continue;
      LabelBound row = m_rows[i];
      row.label = table.name(std::uint32_t(i));
      out.push_back(std::move(row));
    }
    if (n > 0 && out.size() > n) {
      std::stable_sort(out.begin(), out.end(),
                       [](const LabelBound& a, const LabelBound& b) { return a.promptTokens > b.promptTokens; });
      out.resize(n);
    }
    return out;
  }
  std::uint64_t labelsSeen() const {
    return std::uint64_t(std::count_if(m_rows.begin(), m_rows.end(), [](const LabelBound& r) { return r.requests; }));
  }

private:
  std::vector<LabelBound> m_rows;
};

// Every distinct key of the trace as a node of the prefix tree (keys are chained: a key names its path).
struct PrefixNode {
  std::uint64_t parent = 0;
  bool hasParent = false;
  std::uint32_t depth = 0;  // blocks up to and including this one
  std::uint64_t tokens = 0;
  std::uint64_t requests = 0;
  std::uint64_t maxChildRequests = 0;
};

std::uint64_t percentile(std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = std::size_t(p * double(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

CurveSample TraceAnalysis::lruAt(std::uint64_t capacityBlocks) const {
  CurveSample s;
  s.capacityBlocks = capacityBlocks;
  if (!hitTokensBelow.empty()) {
    const std::size_t i = std::size_t(std::min<std::uint64_t>(capacityBlocks, hitTokensBelow.size() - 1));
    s.hitTokens = hitTokensBelow[i];
    s.hitBlocks = hitBlocksBelow[i];
  }
  s.tokenHitRate = promptTokens ? double(s.hitTokens) / double(promptTokens) : 0.0;
  return s;
}

TraceAnalysis analyzeTrace(const Trace& trace, const AnalyzeOptions& options) {
  requireBlockIds(trace.info, "analyze");
  TraceAnalysis out;
  out.format = trace.info.format;
  out.tokenization = trace.info.tokenization;
  out.blockSize = resolveBlockSize(trace.info, options.blockSize);
  ReplayConfig config;
  config.blockSize = out.blockSize;
  config.maxTokens = kUnlimited;
  LruStackPass lru(config, {}, /*withHistogram=*/true);
  TraceBoundsPass bounds(out.blockSize);
  LabelTally segments, types, models, sessions;
  absl::flat_hash_map<std::uint64_t, PrefixNode> nodes;
  std::vector<std::uint64_t> reusable;
  out.ttlLosses.resize(options.ttlsMs.size());
  for (std::size_t t = 0; t < options.ttlsMs.size(); ++t) out.ttlLosses[t].ttlMs = options.ttlsMs[t];
  std::uint64_t measuredChunkHits = 0;

  for (std::size_t index = 0; index < trace.requests.size(); ++index) {
    if (options.cancel && (index & 1023) == 0 && options.cancel->load(std::memory_order_relaxed))
      throw AnalysisCancelled{};
    const TraceRequest& r = trace.requests[index];
    const bool measured = index >= options.warmupRequests;
    const std::uint64_t hitBefore = bounds.result().prefixHitTokens;
    const std::uint64_t chunkBeforeThis = bounds.result().chunkHitTokens.value_or(0);
    bounds.add(r);
    lru.add(r, measured);
    // Prefix tree nodes, every request (warmup ones too: the structure is the trace's).
    BlockTokenRuler ruler(out.blockSize, r.inputLength, r.blockTokens);
    std::uint64_t covered = 0;
    for (std::size_t i = 0; i < r.hashIds.size(); ++i) {
      covered += ruler.nextBlock();
      auto [it, fresh] = nodes.try_emplace(r.hashIds[i]);
      PrefixNode& node = it->second;
      if (fresh) {
        node.hasParent = i > 0;
        node.parent = i > 0 ? r.hashIds[i - 1] : 0;
        node.depth = std::uint32_t(i + 1);
        node.tokens = covered;
        out.footprintTokens += covered - (i > 0 ? ruler.leading(i) : 0);
      }
      ++node.requests;
    }
    if (!measured) continue;
    const std::uint64_t hit = bounds.result().prefixHitTokens - hitBefore;
    measuredChunkHits += bounds.result().chunkHitTokens.value_or(0) - chunkBeforeThis;
    ++out.requests;
    out.promptTokens += r.inputLength;
    out.blocks += r.hashIds.size();
    out.infiniteHitTokens += hit;
    reusable.push_back(hit);
    if (hit > 0) ++out.requestsWithReuse;
    types.add(r.requestType, r.inputLength, hit);
    models.add(r.model, r.inputLength, hit);
    sessions.add(r.session, r.inputLength, hit);
    // Per block: the infinite cache's hits are the leading blocks with a finite distance; with an idle TTL,
    // those whose leading blocks' idle gaps all stay within it.
    const auto distances = lru.lastDistances();
    const auto gaps = lru.lastIdleGaps();
    BlockTokenRuler walk(out.blockSize, r.inputLength, r.blockTokens);
    const bool withSegments = r.segments.size() == r.hashIds.size();
    std::uint64_t segmentsSeen = 0;  // bit s: the request has a block of segment s (a request counts once)
    for (std::size_t i = 0; i < r.hashIds.size(); ++i) {
      const std::uint64_t tokens = walk.nextBlock();
      const bool isHit = distances[i] != UINT64_MAX;
      if (isHit) ++out.infiniteHitBlocks;
      if (withSegments) {
        const std::uint8_t segment = r.segments[i];
        const bool first = segment < 64 && !(segmentsSeen >> segment & 1u);
        if (segment < 64) segmentsSeen |= std::uint64_t(1) << segment;
        segments.add(segment, tokens, isHit ? tokens : 0, first);
      }
      if (!isHit) continue;
      for (TtlLoss& loss : out.ttlLosses) (gaps[i] > loss.ttlMs ? loss.lostTokens : loss.hitTokens) += tokens;
    }
  }
  if (trace.info.hasChunkIds) out.chunkHitTokens = measuredChunkHits;
  out.warmupRequests = lru.warmupRequests();
  out.distinctBlocks = lru.distinctBlocks();

  out.bySegment = segments.rows(trace.info.segments);
  out.byRequestType = types.rows(trace.info.requestTypes);
  out.byModel = models.rows(trace.info.models);
  out.bySession = sessions.rows(trace.info.sessions, options.topSessions);
  out.sessions = sessions.labelsSeen();

  std::sort(reusable.begin(), reusable.end());
  if (!reusable.empty()) {
    out.meanReusableTokens = double(out.infiniteHitTokens) / double(reusable.size());
    out.reusableP50 = percentile(reusable, 0.50);
    out.reusableP90 = percentile(reusable, 0.90);
    out.reusableP99 = percentile(reusable, 0.99);
    out.reusableMax = reusable.back();
  }

  // Shared prefixes: a node shared by k >= 2 requests none of whose children all k share.
  for (const auto& [key, node] : nodes)
    if (node.hasParent) {
      const auto parent = nodes.find(node.parent);  // inserted before its child: always there
      if (parent != nodes.end())
        parent->second.maxChildRequests = std::max(parent->second.maxChildRequests, node.requests);
    }
  std::vector<SharedPrefix> shared;
  for (const auto& [key, node] : nodes)
    if (node.requests >= 2 && node.maxChildRequests < node.requests)
      shared.push_back(SharedPrefix{node.depth, node.tokens, node.requests, (node.requests - 1) * node.tokens});
  std::sort(shared.begin(), shared.end(), [](const SharedPrefix& a, const SharedPrefix& b) {
    return a.savedTokens != b.savedTokens ? a.savedTokens > b.savedTokens
           : a.blocks != b.blocks         ? a.blocks > b.blocks
                                          : a.requests > b.requests;
  });
  if (shared.size() > options.topPrefixes) shared.resize(options.topPrefixes);
  out.topPrefixes = std::move(shared);

  // The curve: cumulative sums over stack distance; index C = hits of a cache of C blocks.
  const auto hits = lru.hitsByDistance();
  out.hitTokensBelow.assign(hits.size() + 1, 0);
  out.hitBlocksBelow.assign(hits.size() + 1, 0);
  for (std::size_t d = 0; d < hits.size(); ++d) {
    out.hitTokensBelow[d + 1] = out.hitTokensBelow[d] + hits[d].tokens;
    out.hitBlocksBelow[d + 1] = out.hitBlocksBelow[d] + hits[d].blocks;
  }
  std::vector<std::uint64_t> sizes;
  for (const double f : options.boundFractions) {
    BoundSize b{f, std::nullopt};
    if (out.infiniteHitTokens > 0) {
      const auto target = std::uint64_t(std::ceil(f * double(out.infiniteHitTokens)));
      const auto it = std::lower_bound(out.hitTokensBelow.begin(), out.hitTokensBelow.end(), target);
      b.capacityBlocks = std::uint64_t(it - out.hitTokensBelow.begin());
      sizes.push_back(*b.capacityBlocks);
    }
    out.boundSizes.push_back(b);
  }
  for (std::uint64_t c = 1; c < out.distinctBlocks; c *= 2) sizes.push_back(c);
  sizes.push_back(std::max<std::uint64_t>(1, out.distinctBlocks));
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  for (const std::uint64_t c : sizes) out.lruCurve.push_back(out.lruAt(c));
  return out;
}

}  // namespace kvlab
