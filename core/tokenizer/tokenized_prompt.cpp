// SPDX-License-Identifier: MIT
#include "core/tokenizer/tokenized_prompt.h"

#include <algorithm>

namespace kvlab {

TokenizedPrompt tokenizePrompt(const TextTokenizer& tokenizer, std::string_view text,
                               std::span<const std::uint32_t> boundaries) {
  TokenizedPrompt out;
  const auto append = [&](std::size_t begin, std::size_t end) {
    const std::vector<std::int32_t> ids = tokenizer.encode(text.substr(begin, end - begin));
    out.tokens.insert(out.tokens.end(), ids.begin(), ids.end());
  };
  std::size_t start = 0;
  for (const std::uint32_t boundary : boundaries) {
    const std::size_t end = std::clamp<std::size_t>(boundary, start, text.size());
    append(start, end);
    out.boundaries.push_back(std::uint32_t(out.tokens.size()));
    start = end;
  }
  if (start < text.size()) append(start, text.size());  // no boundaries, or the last short of the end
  // Text and token ends, from the ids themselves.
  if (tokenizer.oneTokenPerByte()) {
    out.text = std::string(text);
    return out;
  }
  out.tokenEnds.reserve(out.tokens.size());
  for (const std::int32_t id : out.tokens) {
    const std::int32_t one[1] = {id};
    out.text += tokenizer.decode(one);
    out.tokenEnds.push_back(std::uint32_t(out.text.size()));
  }
  return out;
}

}  // namespace kvlab
