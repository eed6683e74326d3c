// SPDX-License-Identifier: MIT
#pragma once
// A scenario prompt (text + the byte offsets where its reusable segments end: system prompt, earlier turns,
// documents) in tokens. Each segment is tokenized on its own and the ids concatenated, so a prompt that
// extends an earlier one starts with exactly the earlier one's tokens - what chat templates achieve in real
// serving with the special tokens that end every turn - and the segment ends are exact token offsets.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/text_tokenizer.h"

namespace kvlab {

struct TokenizedPrompt {
  std::vector<std::int32_t> tokens;
  std::vector<std::uint32_t> boundaries;  // token offsets where the segments end; last == tokens.size()
  // The text the tokens decode to (differs from the prompt only where a normalizer changed it) and the byte
  // offset in it where each token ends (tokenEnds.back() == text.size()); empty for the byte tokenizer
  // (TextTokenizer::oneTokenPerByte: offsets in `text` are token offsets).
  std::string text;
  std::vector<std::uint32_t> tokenEnds;
};

// boundaries: ascending byte offsets into text, the last == text.size() (ScenarioRequest::boundaries); empty =
// one segment. Throws InputError when the tokenizer refuses the text.
TokenizedPrompt tokenizePrompt(const TextTokenizer& tokenizer, std::string_view text,
                               std::span<const std::uint32_t> boundaries);

}  // namespace kvlab
