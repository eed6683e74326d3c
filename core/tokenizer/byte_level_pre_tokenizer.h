// SPDX-License-Identifier: MIT
#pragma once
// Pre-tokenizer "ByteLevel": optionally prepends a space to each piece that does not start with one
// (add_prefix_space, GPT-2 style) and optionally splits with GPT-2's own regex (use_regex). Its third job in
// Hugging Face tokenizers, writing each byte as a code point of the byte-level alphabet, is not repeated per
// encode here: the BPE model is keyed on raw bytes (the loader converted the vocabulary once,
// ByteLevelAlphabet). Llama 3, Qwen 2/3 and DeepSeek use it with both options off, after their own Split.
#include <memory>

#include "core/tokenizer/pre_tokenizer.h"
#include "core/tokenizer/split_pre_tokenizer.h"

namespace kvlab {

class ByteLevelPreTokenizer final : public PreTokenizer {
public:
  // GPT-2's pre-tokenizer regex, as tokenizers' ByteLevel applies it when use_regex is true.
  static constexpr const char* kGpt2Pattern =
      R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

  ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex);

  void split(std::vector<std::string_view>& pieces, PieceArena& arena) const override;

private:
  bool m_addPrefixSpace;
  std::unique_ptr<SplitPreTokenizer> m_regex;  // null without use_regex
};

}  // namespace kvlab
