// SPDX-License-Identifier: MIT
#pragma once
// Post-processor stage, for one sequence: the special tokens tokenizer.json's "TemplateProcessing" puts
// around it ({"single": [{"SpecialToken": {"id": "<|begin_of_text|>"}}, {"Sequence": {"id": "A"}}]}: Llama 3
// from Meta's repository adds BOS; DeepSeek V3 adds its <｜begin▁of▁sentence｜>). "ByteLevel" adds nothing
// (offsets only) and a "Sequence" concatenates its parts; the loader reduces them all to one prefix and one
// suffix. Applied only when special tokens are asked for (EncodeOptions::addSpecialTokens).
#include <cstdint>
#include <vector>

namespace kvlab {

class TemplatePostProcessor {
public:
  TemplatePostProcessor() = default;
  TemplatePostProcessor(std::vector<std::int32_t> prefix, std::vector<std::int32_t> suffix)
      : m_prefix(std::move(prefix)), m_suffix(std::move(suffix)) {}

  // prefix + ids + suffix.
  void apply(std::vector<std::int32_t>& ids) const {
    ids.insert(ids.begin(), m_prefix.begin(), m_prefix.end());
    ids.insert(ids.end(), m_suffix.begin(), m_suffix.end());
  }
  const std::vector<std::int32_t>& prefix() const { return m_prefix; }
  const std::vector<std::int32_t>& suffix() const { return m_suffix; }

private:
  std::vector<std::int32_t> m_prefix;
  std::vector<std::int32_t> m_suffix;
};

}  // namespace kvlab
