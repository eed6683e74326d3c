// SPDX-License-Identifier: MIT
#include "core/replay/next_use_cursor.h"

#include <stdexcept>

namespace kvlab {

void NextUseCursor::beginRequest(std::span<const std::uint64_t> hashIds) {
  const std::vector<std::uint64_t>& nextUse = m_index->blockNextUse();
  const std::size_t n = hashIds.size();
  if (m_offset + n > nextUse.size())
    throw std::logic_error("NextUseCursor: the trace has more blocks than its next-use index");
  m_current.clear();
  // Last to first: for an id repeated in the request, the occurrence replay touches first carries the value.
  for (std::size_t i = n; i-- > 0;) m_current.try_emplace(hashIds[i], nextUse[m_offset + i]);
  m_offset += n;
}

std::uint64_t NextUseCursor::nextUse(const CacheKey& key) const {
  const auto it = m_current.find(key.lo);
  return it == m_current.end() ? kNever : it->second;
}

}  // namespace kvlab
