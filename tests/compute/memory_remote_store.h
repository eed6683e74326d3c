// SPDX-License-Identifier: MIT
#pragma once
// An in-memory remote store for live-run tests: raw payloads by block hash, unbounded, never faulty.
// Counts like the Redis tiers: hits/misses per block asked by get(), bytes in (accepted puts) and out.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/tiers/remote_kv_store.h"

namespace kvlab::test {

class MemoryRemoteStore : public RemoteKvStore {
public:
  std::string_view name() const override { return "remote"; }
  std::vector<bool> contains(std::span<const uint64_t> hashes) override {
    ++m_probes;
    std::vector<bool> out;
    for (const uint64_t h : hashes) out.push_back(m_blocks.count(h) > 0);
    return out;
  }
  std::vector<std::optional<std::string>> get(std::span<const uint64_t> hashes) override {
    std::vector<std::optional<std::string>> out;
    for (const uint64_t h : hashes) {
      if (vanishBeforeGet.erase(h) > 0) m_blocks.erase(h);  // expired between a probe and this get
      const auto it = m_blocks.find(h);
      if (it == m_blocks.end()) {
        ++m_stats.misses;
        out.emplace_back();
      } else {
        ++m_stats.hits;
        m_stats.bytesOut += it->second.size();
        out.emplace_back(it->second);
      }
    }
    return out;
  }
  size_t put(std::span<const TierItem> items) override {
    for (const TierItem& item : items) {
      m_blocks[item.blockHash] = std::string(item.payload);
      ++m_stats.puts;
      m_stats.bytesIn += item.payload.size();
    }
    return items.size();
  }
  size_t remove(std::span<const uint64_t> hashes) override {
    size_t n = 0;
    for (const uint64_t h : hashes) n += m_blocks.erase(h);
    return n;
  }
  TierStats stats() const override { return m_stats; }
  std::optional<std::uint64_t> countEntries() override { return m_blocks.size(); }

  const std::map<uint64_t, std::string>& blocks() const { return m_blocks; }
  std::map<uint64_t, std::string>& blocks() { return m_blocks; }  // tests evict or plant blocks
  std::uint64_t probes() const { return m_probes; }
  std::set<uint64_t> vanishBeforeGet;  // blocks that disappear just before a get() asks for them

private:
  std::map<uint64_t, std::string> m_blocks;
  TierStats m_stats;
  std::uint64_t m_probes = 0;
};

}  // namespace kvlab::test
