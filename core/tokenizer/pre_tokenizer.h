// SPDX-License-Identifier: MIT
#pragma once
// Pre-tokenizer stage interface: cuts each piece of (normalized) text into smaller pieces; the BPE model then
// encodes every final piece on its own, so no token ever spans two pieces. Implementations: SplitPreTokenizer
// (a regex, as Llama 3 / Qwen / DeepSeek / GLM declare it) and ByteLevelPreTokenizer. A tokenizer.json
// "Sequence" is the list of stages, applied in order.
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

// Owns the strings a stage creates (a prefix space added to a piece): the pieces stay valid as long as the
// arena and the encoded text do. One per encode call.
class PieceArena {
public:
  std::string_view keep(std::string text) { return m_strings.emplace_back(std::move(text)); }

private:
  std::deque<std::string> m_strings;  // a deque never moves what it holds
};

class PreTokenizer {
public:
  virtual ~PreTokenizer() = default;
  // Replaces every piece by its sub-pieces, in order; empty pieces are dropped. Const and thread-safe.
  virtual void split(std::vector<std::string_view>& pieces, PieceArena& arena) const = 0;
};

}  // namespace kvlab
