// SPDX-License-Identifier: MIT
#pragma once
// One replay's view of a NextUseIndex: the NextUseOracle that opt asks. The replayer calls beginRequest()
// for each request, in trace order, before touching its blocks.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <span>

#include "core/policies/next_use_oracle.h"
#include "core/replay/next_use_index.h"

namespace kvlab {

class NextUseCursor final : public NextUseOracle {
public:
  explicit NextUseCursor(std::shared_ptr<const NextUseIndex> index) : m_index(std::move(index)) {}

  // Throws std::logic_error if the trace has more blocks than the index (a different trace).
  void beginRequest(std::span<const std::uint64_t> hashIds);
  std::uint64_t nextUse(const CacheKey& key) const override;

private:
  std::shared_ptr<const NextUseIndex> m_index;
  std::uint64_t m_offset = 0;                                   // first block of the current request
  absl::flat_hash_map<std::uint64_t, std::uint64_t> m_current;  // id -> next use, current request
};

}  // namespace kvlab
