// SPDX-License-Identifier: MIT
#pragma once
// Added tokens (tokenizer.json "added_tokens": <|begin_of_text|>, <|im_start|>, <think>, ...): found in the
// raw text before any other stage, so they never reach the normalizer, the pre-tokenizer or BPE, and each
// becomes its own id. The search is leftmost-longest, as tokenizers' aho-corasick (MatchKind::LeftmostLongest)
// and transformers.js' DictionarySplitter do: at the first position where any token starts, the longest one.
// lstrip / rstrip widen a match over the whitespace on its left / right (which is then not encoded).
#include <cstdint>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

struct AddedToken {
  std::string content;  // the text that stands for it, UTF-8
  std::int32_t id = 0;
  bool special = false;  // skipped by decode(skipSpecialTokens)
  bool lstrip = false;
  bool rstrip = false;
};

class AddedTokens {
public:
  struct Match {
    std::size_t begin = 0;  // the match, widened by lstrip / rstrip
    std::size_t end = 0;
    const AddedToken* token = nullptr;
  };

  AddedTokens() = default;
  // Tokens with empty content are ignored (they can never match).
  explicit AddedTokens(std::vector<AddedToken> tokens);

  // First match at or after `from`; nullopt if none. A match never starts before `from` (lstrip stops there).
  std::optional<Match> find(std::string_view text, std::size_t from) const;

  const AddedToken* byId(std::int32_t id) const;
  const AddedToken* byContent(std::string_view content) const;
  const std::vector<AddedToken>& all() const { return m_tokens; }

private:
  // A byte trie over the contents: node 0 is the root; children sorted by byte.
  struct Node {
    std::vector<std::pair<unsigned char, std::int32_t>> children;
    std::int32_t token = -1;  // index into m_tokens of the content ending here
  };
  std::vector<AddedToken> m_tokens;
  std::vector<Node> m_nodes{Node{}};
  bool m_firstByte[256] = {};
  std::unordered_map<std::int32_t, std::size_t> m_byId;  // id -> index into m_tokens
};

}  // namespace kvlab
