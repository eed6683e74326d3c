// SPDX-License-Identifier: MIT
#include "core/tokenizer/byte_level_alphabet.h"

#include <array>

#include "core/tokenizer/utf8.h"

namespace kvlab {

namespace {

struct Tables {
  std::array<char32_t, 256> toCodePoint{};
  std::array<std::int16_t, 324> toByte{};  // code points 0..323 (U+0100 + 68 = U+0143 is the last used)
};

bool standsForItself(unsigned b) { return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae); }

const Tables& tables() {
  static const Tables t = [] {
    Tables out;
    out.toByte.fill(-1);
    char32_t next = 0x100;
    for (unsigned b = 0; b < 256; ++b) {
      const char32_t cp = standsForItself(b) ? char32_t(b) : next++;
      out.toCodePoint[b] = cp;
      out.toByte[cp] = std::int16_t(b);
    }
    return out;
  }();
  return t;
}

}  // namespace

char32_t ByteLevelAlphabet::codePoint(std::uint8_t byte) { return tables().toCodePoint[byte]; }

std::optional<std::uint8_t> ByteLevelAlphabet::byteOf(char32_t cp) {
  if (cp >= tables().toByte.size() || tables().toByte[cp] < 0) return std::nullopt;
  return std::uint8_t(tables().toByte[cp]);
}

std::optional<std::string> ByteLevelAlphabet::toBytes(std::string_view alphabetText) {
  std::string out;
  out.reserve(alphabetText.size());
  std::size_t pos = 0;
  while (pos < alphabetText.size()) {
    const std::optional<char32_t> cp = decodeUtf8(alphabetText, pos);
    if (!cp) return std::nullopt;
    const std::optional<std::uint8_t> b = byteOf(*cp);
    if (!b) return std::nullopt;
    out.push_back(char(*b));
  }
  return out;
}

std::string ByteLevelAlphabet::fromBytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) appendUtf8(out, codePoint(std::uint8_t(c)));
  return out;
}

}  // namespace kvlab
