// SPDX-License-Identifier: MIT
#include "core/model/byte_tokenizer.h"

#include <stdexcept>

namespace kvlab {

std::vector<int32_t> ByteTokenizer::encode(std::string_view text) {
  std::vector<int32_t> tokens;
  tokens.reserve(text.size());
  for (const char c : text) tokens.push_back(int32_t(static_cast<unsigned char>(c)));
  return tokens;
}

std::string ByteTokenizer::decode(std::span<const int32_t> tokens) {
  std::string text;
  text.reserve(tokens.size());
  for (const int32_t t : tokens) {
    if (t < 0 || t >= kVocabSize)
      throw std::out_of_range("ByteTokenizer::decode: token id " + std::to_string(t) + " is outside 0..255");
    text.push_back(static_cast<char>(static_cast<unsigned char>(t)));
  }
  return text;
}

}  // namespace kvlab
