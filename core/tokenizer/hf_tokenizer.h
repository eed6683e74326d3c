// SPDX-License-Identifier: MIT
#pragma once
// A Hugging Face tokenizer.json (byte-level BPE: Llama 3, Qwen 2/3, DeepSeek, GLM, GPT-2) as a pipeline of
// the stages tokenizers defines, each its own class, applied in this order:
//   added tokens (AddedTokens)      split out of the raw text first; each is one id
//   normalizer (UnicodeNormalizer)  on the text between added tokens (Qwen: NFC)
//   pre-tokenizer (PreTokenizer)    Split (a regex) and ByteLevel: the pieces BPE sees
//   model (BpeModel)                each piece's bytes -> ids by merge rank
//   post-processor (TemplatePostProcessor)  BOS and the like, only with addSpecialTokens
// decode() is the ByteLevel decoder: the bytes of each id, concatenated. Load one with loadHfTokenizer()
// (core/tokenizer/tokenizer_json.h). Immutable after construction; encode/decode are const and thread-safe.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tokenizer/added_tokens.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/pre_tokenizer.h"
#include "core/tokenizer/template_post_processor.h"
#include "core/tokenizer/text_tokenizer.h"
#include "core/tokenizer/unicode_normalizer.h"

namespace kvlab {

class HfTokenizer final : public TextTokenizer {
public:
  struct Stages {
    AddedTokens addedTokens;
    std::vector<UnicodeNormalizer> normalizers;               // in order; empty = none
    std::vector<std::unique_ptr<PreTokenizer>> preTokenizers;  // in order
    std::unique_ptr<BpeModel> model;                          // required
    TemplatePostProcessor postProcessor;
  };

  HfTokenizer(std::string name, Stages stages);

  std::string name() const override { return m_name; }
  // Largest id of the vocabulary or the added tokens + 1.
  int vocabSize() const override { return m_vocabSize; }
  // Ids of `text`, no special tokens added (added tokens written in the text are still found).
  std::vector<std::int32_t> encode(std::string_view text) const override { return encode(text, false); }
  // Throws InputError (field "text") for invalid UTF-8, naming the byte offset.
  std::vector<std::int32_t> encode(std::string_view text, bool addSpecialTokens) const;
  std::string decode(std::span<const std::int32_t> ids) const override { return decode(ids, false); }
  std::string decode(std::span<const std::int32_t> ids, bool skipSpecialTokens) const;

  // One id for display: its text, bytes that are not whole UTF-8 characters as <0xNN>.
  std::string tokenText(std::int32_t id) const;
  bool isSpecial(std::int32_t id) const;
  // The id of an added token by its content ("<|im_start|>"); nullopt if there is none.
  std::optional<std::int32_t> addedTokenId(std::string_view content) const;
  const Stages& stages() const { return m_stages; }

private:
  void encodeSection(std::string_view section, std::vector<std::int32_t>& ids) const;

  std::string m_name;
  Stages m_stages;
  int m_vocabSize = 0;
};

}  // namespace kvlab
