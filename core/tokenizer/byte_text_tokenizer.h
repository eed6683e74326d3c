// SPDX-License-Identifier: MIT
#pragma once
// The demo model's byte tokenizer (core/model/byte_tokenizer.h) behind the TextTokenizer interface.
#include "core/model/byte_tokenizer.h"
#include "core/tokenizer/text_tokenizer.h"

namespace kvlab {

class ByteTextTokenizer final : public TextTokenizer {
public:
  std::string name() const override { return "bytes"; }
  int vocabSize() const override { return ByteTokenizer::kVocabSize; }
  std::vector<std::int32_t> encode(std::string_view text) const override { return ByteTokenizer::encode(text); }
  std::string decode(std::span<const std::int32_t> ids) const override { return ByteTokenizer::decode(ids); }
  bool oneTokenPerByte() const override { return true; }
};

}  // namespace kvlab
