// SPDX-License-Identifier: MIT
#include "core/cache/radix_cache.h"

#include <xxhash.h>

#include <algorithm>
#include <memory>

namespace kvlab {

namespace {

// Keeps radix keys apart from block keys (which hash a parent key before the tokens, unseeded).
constexpr XXH64_hash_t kKeySeed = 0x6b766c6162726478ull;  // "kvlabrdx"
// Ghost memory bound (tokens, 4 bytes each): past it every ghost is forgotten and misses read as cold.
constexpr std::uint64_t kMaxGhostTokens = std::uint64_t(1) << 22;

CacheKey toKey(XXH128_hash_t h) { return CacheKey{h.low64, h.high64}; }

// Key of a token prefix: XXH3-128 of the token ids in their in-memory (little-endian) layout.
CacheKey prefixKey(std::span<const std::int32_t> prefix) {
  return toKey(XXH3_128bits_withSeed(prefix.data(), prefix.size_bytes(), kKeySeed));
}

// prefixKey() of a growing prefix, readable at every length without rehashing what came before.
class PrefixHasher {
public:
  PrefixHasher() : m_state(XXH3_createState(), &XXH3_freeState) {
    XXH3_128bits_reset_withSeed(m_state.get(), kKeySeed);
  }
  void update(std::span<const std::int32_t> tokens) {
    XXH3_128bits_update(m_state.get(), tokens.data(), tokens.size_bytes());
  }
  CacheKey key() const { return toKey(XXH3_128bits_digest(m_state.get())); }

private:
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> m_state;
};

std::size_t commonPrefix(std::span<const std::int32_t> a, std::span<const std::int32_t> b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

RadixCache::RadixCache(CacheEngine& engine, Bytes bytesPerToken)
    : m_engine(engine), m_bytesPerToken(bytesPerToken) {
  m_nodes.emplace_back();
  m_nodes[kRoot].key = prefixKey({});
  m_engine.addRemovalListener(
      [this](SlotId slot, const EntryMeta&, EvictReason reason) { onRemoved(slot, reason); });
}

std::uint32_t RadixCache::allocNode() {
  if (!m_freeNodes.empty()) {
    const std::uint32_t index = m_freeNodes.back();
    m_freeNodes.pop_back();
    return index;
  }
  m_nodes.emplace_back();
  return std::uint32_t(m_nodes.size() - 1);
}

RadixCache::Match RadixCache::match(std::span<const std::int32_t> tokens, std::uint64_t maxHitTokens) {
  const std::uint64_t n = tokens.size();
  // Walk the tree: every node whose edge matches from its start, the last one perhaps only partly.
  std::vector<std::uint32_t> walked;
  std::uint64_t matched = 0;
  std::uint32_t node = kRoot;
  std::uint32_t expiredParent = kNoNode;  // an expired node kept for its children, where the walk stopped
  while (matched < n) {
    const auto it = m_nodes[node].children.find(tokens[matched]);
    if (it == m_nodes[node].children.end()) break;
    const std::uint32_t child = it->second;
    const SlotId childSlot = m_nodes[child].slot;
    if (m_engine.find(m_nodes[child].key) == kNoSlot) {  // expired: never a hit (a leaf goes now)
      if (m_nodeOfSlot[childSlot] == child) expiredParent = child;
      break;
    }
    const std::size_t k = commonPrefix(m_nodes[child].edge, tokens.subspan(matched));
    walked.push_back(child);
    matched += k;
    if (k < m_nodes[child].edge.size()) break;
    node = child;
  }

  Match result;
  std::uint64_t hit = std::min(matched, maxHitTokens);
  std::uint64_t start = 0;
  for (const std::uint32_t w : walked) {
    if (start >= hit) break;
    std::uint32_t use = w;
    if (start + m_nodes[w].edge.size() > hit) {
      use = splitNode(w, std::uint32_t(hit - start), prefixKey(tokens.first(hit)));
      if (use == kNoNode) {
        hit = start;
        break;
      }
    }
    result.path.push_back(m_nodes[use].slot);
    result.pathStart.push_back(start);
    start += m_nodes[use].edge.size();
  }
  result.hitTokens = hit;
  // Leaf to root, so a parent is always touched after its children (TTL expiry removes leaves first).
  for (auto it = result.path.rbegin(); it != result.path.rend(); ++it) m_engine.touch(*it);

  if (m_engine.hasObservers()) {
    const TimeMs now = m_engine.clock().nowMs();
    for (const SlotId slot : result.path) {
      const EntryMeta& e = m_engine.entry(slot);
      CacheEvent ev;
      ev.type = CacheEventType::Hit;
      ev.timeMs = now;
      ev.entryId = e.id;
      ev.bytes = e.bytes;
      ev.tokens = e.tokens;
      m_engine.notify(ev);
    }
  }
  // A live prefill must compute at least the last position: tokens cached past the cap are recomputed and
  // counted as cold misses (never reusable), as in block mode.
  if (matched > hit) recordMissRun(MissReason::Cold, matched - hit);
  const std::uint64_t unreached =
      expiredParent == kNoNode ? matched : recordBelowExpired(tokens, matched, expiredParent);
  recordMisses(tokens, unreached);
  m_engine.recordQuery(n, hit, n, hit);
  return result;
}

std::uint64_t RadixCache::recordBelowExpired(std::span<const std::int32_t> tokens, std::uint64_t pos,
                                             std::uint32_t expired) {
  // The expired node's own tokens missed because of the TTL. Below it the walk goes on through what is
  // still stored: expired nodes are Expired, live ones Orphaned (held, but cut off from the root).
  std::uint32_t index = expired;
  while (index != kNoNode && pos < tokens.size()) {
    const Node& node = m_nodes[index];
    const std::size_t k = commonPrefix(node.edge, tokens.subspan(pos));
    const bool full = k == node.edge.size();
    const CacheKey key = node.key;
    const SlotId slot = node.slot;
    const bool live = index != expired && m_engine.find(key) != kNoSlot;  // may remove an expired leaf
    recordMissRun(live ? MissReason::Orphaned : MissReason::Expired, k);
    pos += k;
    if (!full || pos >= tokens.size() || m_nodeOfSlot[slot] != index) break;
    const auto it = m_nodes[index].children.find(tokens[pos]);
    index = it == m_nodes[index].children.end() ? kNoNode : it->second;
  }
  return pos;
}

RadixCache::Insertion RadixCache::insert(std::span<const std::int32_t> tokens) {
  Insertion result;
  const std::uint64_t n = tokens.size();
  std::uint64_t pos = 0;
  std::uint32_t node = kRoot;
  bool blocked = false;  // a split failed: the suffix cannot hang under node next to the unsplit child
  while (pos < n) {
    const auto it = m_nodes[node].children.find(tokens[pos]);
    if (it == m_nodes[node].children.end()) break;
    const std::uint32_t child = it->second;
    const SlotId childSlot = m_nodes[child].slot;
    // An expired leaf is removed here and stored again below as a new leaf. An expired entry that still has
    // children is kept by the engine and reused: its tokens were just computed again, so it is renewed.
    const bool live = m_engine.find(m_nodes[child].key) != kNoSlot;
    if (!live && m_nodeOfSlot[childSlot] != child) break;
    const std::size_t k = commonPrefix(m_nodes[child].edge, tokens.subspan(pos));
    std::uint32_t use = child;
    if (k < m_nodes[child].edge.size()) {
      use = splitNode(child, std::uint32_t(k), prefixKey(tokens.first(pos + k)));
      if (use == kNoNode) {
        blocked = true;
        break;
      }
    }
    if (!live) m_engine.renew(m_nodes[use].slot);
    result.nodes.push_back(m_nodes[use].slot);
    result.nodeStart.push_back(pos);
    result.isNew.push_back(false);
    pos += m_nodes[use].edge.size();
    node = use;
    if (use != child) break;  // diverged or ended inside the old edge: the rest (if any) is a new leaf
  }

  if (pos < n && !blocked) {
    // Counting the child before the insert also keeps the parent from being evicted to make room for it,
    // and the path is in use meanwhile, so the engine's evictable bytes leave it out (exact decision).
    if (node != kRoot) m_engine.addChild(m_nodes[node].slot);
    for (const SlotId slot : result.nodes) m_engine.protect(slot);
    // The longest head of the suffix that fits once every evictable entry is gone (as block mode keeps the
    // leading blocks that fit). When not one token fits, the whole suffix goes to insert(), which refuses
    // it and counts the refusal.
    std::uint64_t leafTokens = n - pos;
    if (m_bytesPerToken > 0) {
      const std::uint64_t fitting = m_engine.insertableBytes() / m_bytesPerToken;
      if (fitting > 0) leafTokens = std::min(leafTokens, fitting);
    }
    const SlotId slot =
        m_engine.insert(prefixKey(tokens.first(pos + leafTokens)),
                        EntryInit{leafTokens * m_bytesPerToken, std::uint32_t(leafTokens), kAllLayers});
    for (const SlotId s : result.nodes) m_engine.release(s, m_engine.entry(s).id);
    if (slot == kNoSlot) {
      if (node != kRoot) m_engine.removeChild(m_nodes[node].slot);
    } else {
      const std::uint32_t leaf = allocNode();
      Node& l = m_nodes[leaf];
      l.edge.assign(tokens.begin() + std::ptrdiff_t(pos), tokens.begin() + std::ptrdiff_t(pos + leafTokens));
      l.key = m_engine.entry(slot).key;
      l.start = pos;
      l.parent = node;
      l.slot = slot;
      m_nodes[node].children.emplace(tokens[pos], leaf);
      if (slot >= m_nodeOfSlot.size()) m_nodeOfSlot.resize(std::size_t(slot) * 2 + 1, kNoNode);
      m_nodeOfSlot[slot] = leaf;
      result.nodes.push_back(slot);
      result.nodeStart.push_back(pos);
      result.isNew.push_back(true);
      pos += leafTokens;
    }
  }
  result.coveredTokens = pos;
  // No touches: the request's uses were counted by its match(), once per node; a new leaf starts unused.
  return result;
}

std::uint32_t RadixCache::splitNode(std::uint32_t index, std::uint32_t headTokens, const CacheKey& headKey) {
  const SlotId oldSlot = m_nodes[index].slot;
  const std::uint32_t edgeTokens = std::uint32_t(m_nodes[index].edge.size());
  const std::uint32_t tailTokens = edgeTokens - headTokens;
  // Shrink first, so the head fits in the bytes this frees (a split never evicts), and count a child on the
  // old entry meanwhile, so the head's insert cannot expire it either.
  m_engine.addChild(oldSlot);
  m_engine.resizeEntry(oldSlot, tailTokens * m_bytesPerToken, tailTokens);
  const SlotId headSlot =
      m_engine.insert(headKey, EntryInit{headTokens * m_bytesPerToken, headTokens, kAllLayers});
  m_engine.removeChild(oldSlot);
  if (headSlot == kNoSlot) {
    m_engine.resizeEntry(oldSlot, edgeTokens * m_bytesPerToken, edgeTokens);
    return kNoNode;
  }
  m_engine.inheritInsertion(headSlot, oldSlot);  // the head's tokens were stored with the old node

  const std::uint32_t head = allocNode();
  Node& h = m_nodes[head];
  Node& old = m_nodes[index];
  h.edge.assign(old.edge.begin(), old.edge.begin() + headTokens);
  h.key = headKey;
  h.start = old.start;
  h.parent = old.parent;
  h.slot = headSlot;
  old.edge.erase(old.edge.begin(), old.edge.begin() + headTokens);
  old.start += headTokens;
  old.parent = head;
  h.children.emplace(old.edge.front(), index);
  m_nodes[h.parent].children[h.edge.front()] = head;
  m_engine.addChild(headSlot);
  if (headSlot >= m_nodeOfSlot.size()) m_nodeOfSlot.resize(std::size_t(headSlot) * 2 + 1, kNoNode);
  m_nodeOfSlot[headSlot] = head;
  if (m_splitListener) m_splitListener(oldSlot, headSlot, headTokens);
  return head;
}

void RadixCache::onRemoved(SlotId slot, EvictReason reason) {
  if (slot >= m_nodeOfSlot.size() || m_nodeOfSlot[slot] == kNoNode) return;
  const std::uint32_t index = m_nodeOfSlot[slot];
  // Eviction and expiry take leaves only; clear() or a direct remove() may take an inner node first, and
  // its subtree goes with it (deepest first, so every removal still finds its parent).
  std::vector<std::uint32_t> kids;
  for (const auto& [first, child] : m_nodes[index].children) kids.push_back(child);
  for (const std::uint32_t child : kids) m_engine.remove(m_nodes[child].slot, reason);

  Node& node = m_nodes[index];
  Node& parent = m_nodes[node.parent];
  parent.children.erase(node.edge.front());
  if (node.parent != kRoot) m_engine.removeChild(parent.slot);
  m_nodeOfSlot[slot] = kNoNode;
  rememberGhost(parent.key, std::move(node.edge),
                reason == EvictReason::Ttl ? MissReason::Expired : MissReason::Evicted);
  node = Node{};
  m_freeNodes.push_back(index);
}

void RadixCache::rememberGhost(const CacheKey& startKey, std::vector<std::int32_t> edge, MissReason reason) {
  std::vector<Ghost>& ghosts = m_ghosts[GhostKey{startKey, edge.front()}];
  for (Ghost& g : ghosts) {
    // Same branch again (one edge extends the other): keep the longer edge and the latest reason.
    if (commonPrefix(g.edge, edge) == std::min(g.edge.size(), edge.size())) {
      if (edge.size() > g.edge.size()) {
        m_ghostTokens += edge.size() - g.edge.size();
        g.edge = std::move(edge);
      }
      g.reason = reason;
      return;
    }
  }
  m_ghostTokens += edge.size();
  ghosts.push_back(Ghost{std::move(edge), reason});
  if (m_ghostTokens > kMaxGhostTokens) {
    m_ghosts.clear();
    m_ghostTokens = 0;
  }
}

void RadixCache::recordMisses(std::span<const std::int32_t> tokens, std::uint64_t from) {
  const std::uint64_t n = tokens.size();
  if (from >= n) return;
  // reasons[i]: why token from + i missed. A ghost that hangs under tokens[0:s) and matches tokens from s on
  // once held them; later positions override earlier ones where ghosts overlap.
  std::vector<MissReason> reasons(n - from, MissReason::Cold);
  if (!m_ghosts.empty()) {
    PrefixHasher hasher;
    for (std::uint64_t s = 0; s < n; ++s) {
      const auto it = m_ghosts.find(GhostKey{hasher.key(), tokens[s]});
      if (it != m_ghosts.end()) {
        for (const Ghost& g : it->second) {
          const std::uint64_t end = s + commonPrefix(g.edge, tokens.subspan(s));
          for (std::uint64_t p = std::max(s, from); p < end; ++p) reasons[p - from] = g.reason;
        }
      }
      hasher.update(tokens.subspan(s, 1));
    }
  }
  for (std::size_t i = 0; i < reasons.size();) {
    std::size_t j = i;
    while (j < reasons.size() && reasons[j] == reasons[i]) ++j;
    recordMissRun(reasons[i], j - i);
    i = j;
  }
}

void RadixCache::recordMissRun(MissReason reason, std::uint64_t tokens) {
  m_engine.recordMiss(reason, tokens, tokens);
  if (!m_engine.hasObservers()) return;
  CacheEvent ev;
  ev.type = CacheEventType::Miss;
  ev.missReason = reason;
  ev.timeMs = m_engine.clock().nowMs();
  ev.tokens = std::uint32_t(tokens);
  m_engine.notify(ev);
}

PrefixMatch RadixCache::matchPrefix(const PrefixRequest& request, std::uint64_t maxHitTokens) {
  const Match m = match(request.tokens, maxHitTokens);
  PrefixMatch result;
  result.hitTokens = m.hitTokens;
  result.matched = m.path;
  for (std::size_t i = 0; i < m.path.size(); ++i)
    result.segments.push_back(
        PrefixSegment{m.path[i], m.pathStart[i], m_engine.entry(m.path[i]).tokens, kAllLayers, false});
  return result;
}

std::vector<PrefixSegment> RadixCache::storePrefix(const PrefixRequest& request, const PrefixMatch& match) {
  (void)match;  // the tree is its own state
  const Insertion ins = insert(request.tokens);
  std::vector<PrefixSegment> segments;
  for (std::size_t i = 0; i < ins.nodes.size(); ++i)
    segments.push_back(PrefixSegment{ins.nodes[i], ins.nodeStart[i], m_engine.entry(ins.nodes[i]).tokens,
                                     kAllLayers, bool(ins.isNew[i])});
  return segments;
}

std::vector<RadixCache::NodeView> RadixCache::nodes() const {
  std::vector<NodeView> views;
  views.reserve(nodeCount());
  std::vector<std::uint32_t> stack{kRoot};
  while (!stack.empty()) {
    const std::uint32_t index = stack.back();
    stack.pop_back();
    const Node& node = m_nodes[index];
    if (index != kRoot)
      views.push_back(
          NodeView{node.slot, m_nodes[node.parent].slot, node.start, std::uint32_t(node.edge.size())});
    for (const auto& [first, child] : node.children) stack.push_back(child);
  }
  return views;
}

std::span<const std::int32_t> RadixCache::edgeTokens(SlotId slot) const {
  if (slot >= m_nodeOfSlot.size() || m_nodeOfSlot[slot] == kNoNode) return {};
  return m_nodes[m_nodeOfSlot[slot]].edge;
}

std::uint64_t RadixCache::storedTokens() const {
  std::uint64_t tokens = 0;
  for (const NodeView& v : nodes()) tokens += v.tokens;
  return tokens;
}

}  // namespace kvlab
