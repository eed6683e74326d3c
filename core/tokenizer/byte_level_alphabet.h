// SPDX-License-Identifier: MIT
#pragma once
// GPT-2's byte-level alphabet, shared by every byte-level BPE (GPT-2, Llama 3, Qwen 2/3, DeepSeek, GLM): each
// of the 256 byte values is written as one printable code point, so a vocabulary of byte strings can be
// stored as text in tokenizer.json. Printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand
// for themselves; the other 68 bytes, in increasing order, take U+0100, U+0101, ... (space 0x20 = U+0120 'Ġ',
// newline 0x0A = U+010A 'Ċ').
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvlab {

class ByteLevelAlphabet {
public:
  // The code point that stands for `byte`.
  static char32_t codePoint(std::uint8_t byte);
  // The byte that `cp` stands for; nullopt if cp is not in the alphabet.
  static std::optional<std::uint8_t> byteOf(char32_t cp);
  // A vocabulary entry (UTF-8 text over the alphabet) as the raw bytes it stands for; nullopt if the text
  // is not valid UTF-8 or holds a code point outside the alphabet.
  static std::optional<std::string> toBytes(std::string_view alphabetText);
  // Raw bytes written in the alphabet (UTF-8), as tokenizer.json stores them.
  static std::string fromBytes(std::string_view bytes);
};

}  // namespace kvlab
