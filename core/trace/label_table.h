// SPDX-License-Identifier: MIT
#pragma once
// A table of annotation labels (model names, session ids, request types, segment names): each distinct
// string gets the next small index, so a request carries 4 bytes per annotation instead of a string.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

class LabelTable {
public:
  // The index of `name`, added at the end if new.
  std::uint32_t intern(std::string_view name) {
    const auto [it, fresh] = m_index.try_emplace(std::string(name), std::uint32_t(m_names.size()));
    if (fresh) m_names.emplace_back(name);
    return it->second;
  }
  // The label of index i ("" for kNoLabel or out of range).
  const std::string& name(std::uint32_t i) const {
    static const std::string kNone;
    return i < m_names.size() ? m_names[i] : kNone;
  }
  const std::vector<std::string>& names() const { return m_names; }
  std::size_t size() const { return m_names.size(); }
  bool empty() const { return m_names.empty(); }

private:
  std::vector<std::string> m_names;
  absl::flat_hash_map<std::string, std::uint32_t> m_index;
};

}  // namespace kvlab
