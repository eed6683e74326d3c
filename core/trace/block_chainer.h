// SPDX-License-Identifier: MIT
#pragma once
// Turns block ids that do not imply their prefix (RAGPulse chunk ids, Qwen-Bailian's per-block content
// hashes, ids local to one kv-cache-tester file) into prefix-chained keys: the key of block i names the
// whole path (namespace, id 0, ..., id i), so two requests share a key exactly when they share the path to
// it. Keys are small dense integers handed out in first-seen order (0, 1, 2, ...): exact (no hash
// collisions) and dense, which the replayers' flat tables are fastest with. Ids that were already chained
// map one to one onto keys, so chaining them changes no hit.
//
// Memory: one map entry per distinct (parent key, id) pair, i.e. per distinct block of the trace.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace kvlab {

class BlockChainer {
public:
  // The parent of a request's first block in namespace ns (one per file of a directory trace whose ids are
  // local to each file; 0 for a single namespace). Never a key: keys are dense from 0.
  static constexpr std::uint64_t root(std::uint32_t ns) { return UINT64_MAX - ns; }

  // The key of the block with source id `id` after the block whose key is `parent` (root(ns) for the first).
  std::uint64_t key(std::uint64_t parent, std::uint64_t id) {
    const auto [it, fresh] = m_keys.try_emplace(std::pair{parent, id}, m_keys.size());
    return it->second;
  }
  // Replaces out with the chained keys of ids in namespace ns.
  void chain(std::span<const std::uint64_t> ids, std::uint32_t ns, std::vector<std::uint64_t>& out) {
    out.clear();
    std::uint64_t parent = root(ns);
    for (const std::uint64_t id : ids) out.push_back(parent = key(parent, id));
  }
  std::size_t keyCount() const { return m_keys.size(); }

private:
  absl::flat_hash_map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> m_keys;
};

}  // namespace kvlab
