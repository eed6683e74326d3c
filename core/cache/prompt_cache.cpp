// SPDX-License-Identifier: MIT
#include "core/cache/prompt_cache.h"

#include <string>

#include "core/cache/key_hasher.h"

namespace kvlab {

namespace {
std::string layerSuffix(int layer) { return "\x1f" + std::to_string(layer); }

bool isOrphan(const auto& group) { return group.lostLayer && group.layersPresent > 0; }

// Calls visit(length, stream) for each usable boundary (ascending, inside the prompt) with the SHA-256 state
// of prompt[0, length): the prompt is hashed once, and each layer's key forks that state.
template <typename Visit>
void forEachBoundaryPrefix(std::string_view prompt, std::span<const std::uint32_t> boundaries,
                           Visit&& visit) {
  Sha256Stream stream;
  std::size_t hashed = 0;
  for (const std::uint32_t boundary : boundaries) {
    if (boundary == 0 || boundary > prompt.size() || boundary <= hashed) continue;
    stream.update(prompt.substr(hashed, boundary - hashed));
    hashed = boundary;
    visit(std::size_t(boundary), stream);
  }
}
}  // namespace

PromptCache::PromptCache(CacheEngine& engine, int layers, Bytes bytesPerLayerToken)
    : m_engine(engine), m_layers(layers), m_bytesPerLayerToken(bytesPerLayerToken) {
  m_engine.addRemovalListener(
      [this](SlotId slot, const EntryMeta& meta, EvictReason reason) { onRemoved(slot, meta, reason); });
}

CacheKey PromptCache::keyFor(std::string_view prefix, int layer) {
  Sha256Stream stream;
  stream.update(prefix);
  return stream.finishCopy(layerSuffix(layer));
}

SlotId PromptCache::cacheKv(std::string_view prefix, int layer, Bytes bytes) {
  const CacheKey key = keyFor(prefix, layer);
  if (const SlotId old = m_engine.find(key); old != kNoSlot) m_engine.remove(old, EvictReason::Clear);
  const SlotId slot = m_engine.insert(key, EntryInit{bytes, std::uint32_t(prefix.size()), layer});
  if (slot == kNoSlot) return kNoSlot;
  if (slot >= m_groupOfSlot.size()) m_groupOfSlot.resize(std::size_t(slot) * 2 + 1);
  const CacheKey groupKey = sha256Key(prefix);
  m_groupOfSlot[slot] = groupKey;
  Group& group = m_groups[groupKey];
  const bool wasOrphan = isOrphan(group);
  const Bytes before = group.bytesPresent;
  ++group.layersPresent;
  group.bytesPresent += bytes;
  if (group.layersPresent >= m_layers) group.lostLayer = false;
  updateOrphaned(group, before, wasOrphan);
  return slot;
}

void PromptCache::onRemoved(SlotId slot, const EntryMeta& meta, EvictReason reason) {
  const auto it = m_groups.find(m_groupOfSlot[slot]);
  if (it == m_groups.end()) return;
  Group& group = it->second;
  const bool wasOrphan = isOrphan(group);
  const Bytes before = group.bytesPresent;
  --group.layersPresent;
  group.bytesPresent -= meta.bytes;
  if (reason != EvictReason::Clear) group.lostLayer = true;
  updateOrphaned(group, before, wasOrphan);
  if (group.layersPresent == 0) m_groups.erase(it);
}

void PromptCache::updateOrphaned(Group& group, Bytes before, bool wasOrphan) {
  if (wasOrphan) m_orphanedBytes -= before;
  if (isOrphan(group)) m_orphanedBytes += group.bytesPresent;
  m_engine.setOrphanedBytes(m_orphanedBytes);
}

SlotId PromptCache::getCachedKv(std::string_view prefix, int layer) {
  const CacheKey key = keyFor(prefix, layer);
  const SlotId slot = m_engine.find(key);
  const std::uint64_t tokens = prefix.size();
  if (slot != kNoSlot) {
    m_engine.touch(slot);
    m_engine.recordQuery(tokens, tokens, 1, 1);
  } else {
    m_engine.recordQuery(tokens, 0, 1, 0);
    // Orphaned only if another layer of this prefix is held after one was lost; a layer never stored is cold.
    const auto group = m_groups.find(sha256Key(prefix));
    const bool orphan = group != m_groups.end() && group->second.lostLayer;
    const MissReason reason = orphan ? MissReason::Orphaned : m_engine.absentReason(key);
    m_engine.recordMiss(reason, tokens, 1);
  }
  if (m_engine.hasObservers()) {
    CacheEvent ev;
    ev.type = slot != kNoSlot ? CacheEventType::Hit : CacheEventType::Miss;
    ev.timeMs = m_engine.clock().nowMs();
    ev.layer = layer;
    ev.tokens = std::uint32_t(tokens);
    if (slot != kNoSlot) {
      ev.entryId = m_engine.entry(slot).id;
      ev.bytes = m_engine.entry(slot).bytes;
    }
    m_engine.notify(ev);
  }
  m_engine.publish();
  return slot;
}

PromptCache::Match PromptCache::matchLongest(std::string_view prompt,
                                             std::span<const std::uint32_t> boundaries,
                                             std::size_t maxHitTokens) {
  // Keys of every boundary prefix, hashing the prompt once: fork the SHA-256 state at each boundary.
  struct Candidate {
    std::size_t length;
    std::vector<SlotId> slots;
    int present = 0;
    MissReason reason;
  };
  std::vector<Candidate> candidates;
  forEachBoundaryPrefix(prompt, boundaries, [&](std::size_t length, const Sha256Stream& stream) {
    Candidate c{length, std::vector<SlotId>(std::size_t(m_layers), kNoSlot), 0, MissReason::Cold};
    for (int layer = 0; layer < m_layers; ++layer) {
      const CacheKey key = stream.finishCopy(layerSuffix(layer));
      c.slots[std::size_t(layer)] = m_engine.find(key);
      if (c.slots[std::size_t(layer)] != kNoSlot)
        ++c.present;
      else if (layer == 0)
        c.reason = m_engine.absentReason(key);
    }
    if (c.present > 0 && c.present < m_layers) c.reason = MissReason::Orphaned;
    candidates.push_back(std::move(c));
  });

  Match match;
  int hitIndex = -1;
  for (int i = int(candidates.size()) - 1; i >= 0; --i) {
    const Candidate& c = candidates[std::size_t(i)];
    if (c.present == m_layers && c.length <= maxHitTokens) {
      hitIndex = i;
      match.prefixLength = c.length;
      match.layerSlots = c.slots;
      break;
    }
  }
  for (const SlotId slot : match.layerSlots) m_engine.touch(slot);

  // Missed tokens take the reason of the boundary that would have covered them; the tail past the last
  // boundary (or past a capped full-prompt hit) was never cacheable as a prefix: cold.
  std::size_t covered = match.prefixLength;
  for (std::size_t i = std::size_t(hitIndex + 1); i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (c.length <= covered) continue;
    const MissReason reason = c.present == m_layers ? MissReason::Cold : c.reason;
    m_engine.recordMiss(reason, c.length - covered, 1);
    covered = c.length;
  }
  if (prompt.size() > covered) m_engine.recordMiss(MissReason::Cold, prompt.size() - covered, 0);
  m_engine.recordQuery(prompt.size(), match.prefixLength, candidates.size(), hitIndex >= 0 ? 1 : 0);
  if (m_engine.hasObservers()) {
    CacheEvent ev;
    ev.type = hitIndex >= 0 ? CacheEventType::Hit : CacheEventType::Miss;
    ev.timeMs = m_engine.clock().nowMs();
    ev.tokens = std::uint32_t(hitIndex >= 0 ? match.prefixLength : prompt.size());
    // A miss carries the reason of the first boundary prefix it failed on (evicted, expired, orphaned or
    // cold), the same rule the miss counters above use, not the default "cold".
    if (hitIndex < 0 && !candidates.empty()) {
      const Candidate& first = candidates.front();
      ev.missReason = first.present == m_layers ? MissReason::Cold : first.reason;
    }
    if (hitIndex >= 0) {
      ev.entryId = m_engine.entry(match.layerSlots.front()).id;
      for (const SlotId slot : match.layerSlots) ev.bytes += m_engine.entry(slot).bytes;
    }
    m_engine.notify(ev);
  }
  return match;
}

PrefixMatch PromptCache::matchPrefix(const PrefixRequest& request, std::uint64_t maxHitTokens) {
  const Match m = matchLongest(request.text, request.boundaries, std::size_t(maxHitTokens));
  PrefixMatch result;
  result.hitTokens = m.prefixLength;
  result.matched = m.layerSlots;
  for (std::size_t layer = 0; layer < m.layerSlots.size(); ++layer)
    result.segments.push_back(
        PrefixSegment{m.layerSlots[layer], 0, std::uint32_t(m.prefixLength), std::int32_t(layer), false});
  return result;
}

std::vector<PrefixSegment> PromptCache::storePrefix(const PrefixRequest& request, const PrefixMatch& match) {
  (void)match;  // every new entry starts at token 0 anyway
  std::vector<PrefixSegment> segments;
  std::vector<std::uint64_t> ids;  // each segment's entry id
  for (const std::size_t length : missingBoundaries(request.text, request.boundaries)) {
    const std::string_view prefix = request.text.substr(0, length);
    for (int layer = 0; layer < m_layers; ++layer) {
      if (m_engine.find(keyFor(prefix, layer)) != kNoSlot) continue;
      const SlotId slot = cacheKv(prefix, layer, Bytes(length) * m_bytesPerLayerToken);
      if (slot == kNoSlot) continue;
      segments.push_back(PrefixSegment{slot, 0, std::uint32_t(length), layer, true});
      ids.push_back(m_engine.entry(slot).id);
    }
  }
  // A later insert of this loop may have evicted an earlier one (and handed its slot to another entry).
  std::size_t kept = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const EntryMeta& e = m_engine.entry(segments[i].slot);
    if (e.live && e.id == ids[i]) segments[kept++] = segments[i];
  }
  segments.resize(kept);
  return segments;
}

std::vector<std::size_t> PromptCache::missingBoundaries(std::string_view prompt,
                                                        std::span<const std::uint32_t> boundaries) {
  std::vector<std::size_t> missing;
  forEachBoundaryPrefix(prompt, boundaries, [&](std::size_t length, const Sha256Stream& stream) {
    for (int layer = 0; layer < m_layers; ++layer) {
      if (m_engine.find(stream.finishCopy(layerSuffix(layer))) == kNoSlot) {
        missing.push_back(length);
        return;
      }
    }
  });
  return missing;
}

std::vector<SlotId> PromptCache::storedPrefix(const PrefixRequest& request, std::uint64_t maxTokens) {
  std::vector<SlotId> slots;
  for (const std::uint32_t length : request.boundaries) {
    if (length > maxTokens || length > request.text.size()) break;
    for (int layer = 0; layer < m_layers; ++layer) {
      const SlotId slot = m_engine.find(keyFor(request.text.substr(0, length), layer));
      if (slot != kNoSlot) slots.push_back(slot);
    }
  }
  return slots;
}

}  // namespace kvlab
