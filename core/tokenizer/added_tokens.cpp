// SPDX-License-Identifier: MIT
#include "core/tokenizer/added_tokens.h"

#include <algorithm>

namespace kvlab {

namespace {

// ASCII whitespace, what lstrip / rstrip remove here (tokenizers strips Unicode whitespace; the supported
// families set neither flag).
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

AddedTokens::AddedTokens(std::vector<AddedToken> tokens) : m_tokens(std::move(tokens)) {
  for (std::size_t t = 0; t < m_tokens.size(); ++t) {
    m_byId[m_tokens[t].id] = t;
    const std::string& content = m_tokens[t].content;
    if (content.empty()) continue;
    m_firstByte[static_cast<unsigned char>(content[0])] = true;
    std::int32_t node = 0;
    for (const char c : content) {
      const auto byte = static_cast<unsigned char>(c);
      auto& children = m_nodes[std::size_t(node)].children;
      const auto it = std::lower_bound(children.begin(), children.end(), byte,
                                       [](const auto& child, unsigned char b) { return child.first < b; });
      if (it != children.end() && it->first == byte) {
        node = it->second;
      } else {
        const auto child = std::int32_t(m_nodes.size());
        children.insert(it, {byte, child});
        m_nodes.emplace_back();
        node = child;
      }
    }
    m_nodes[std::size_t(node)].token = std::int32_t(t);  // a duplicate content: the later token wins
  }
}

std::optional<AddedTokens::Match> AddedTokens::find(std::string_view text, std::size_t from) const {
  if (m_tokens.empty()) return std::nullopt;
  for (std::size_t start = from; start < text.size(); ++start) {
    if (!m_firstByte[static_cast<unsigned char>(text[start])]) continue;
    std::int32_t node = 0, found = -1;
    std::size_t foundEnd = 0;
    for (std::size_t i = start; i < text.size(); ++i) {
      const auto& children = m_nodes[std::size_t(node)].children;
      const auto byte = static_cast<unsigned char>(text[i]);
      const auto it = std::lower_bound(children.begin(), children.end(), byte,
                                       [](const auto& child, unsigned char b) { return child.first < b; });
      if (it == children.end() || it->first != byte) break;
      node = it->second;
      if (m_nodes[std::size_t(node)].token >= 0) found = m_nodes[std::size_t(node)].token, foundEnd = i + 1;
    }
    if (found < 0) continue;
    Match m{start, foundEnd, &m_tokens[std::size_t(found)]};
    if (m.token->lstrip)
      while (m.begin > from && isSpace(text[m.begin - 1])) --m.begin;
    if (m.token->rstrip)
      while (m.end < text.size() && isSpace(text[m.end])) ++m.end;
    return m;
  }
  return std::nullopt;
}

const AddedToken* AddedTokens::byId(std::int32_t id) const {
  const auto it = m_byId.find(id);
  return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

const AddedToken* AddedTokens::byContent(std::string_view content) const {
  for (const AddedToken& t : m_tokens)
    if (t.content == content) return &t;
  return nullptr;
}

}  // namespace kvlab
