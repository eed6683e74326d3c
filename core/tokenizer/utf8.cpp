// SPDX-License-Identifier: MIT
#include "core/tokenizer/utf8.h"

#include <cstdint>
#include <cstdio>

namespace kvlab {

std::optional<char32_t> decodeUtf8(std::string_view text, std::size_t& pos) {
  const std::size_t n = text.size();
  if (pos >= n) return std::nullopt;
  const auto at = [&](std::size_t i) { return std::uint8_t(text[i]); };
  const std::uint8_t b0 = at(pos);
  if (b0 < 0x80) {
    ++pos;
    return char32_t(b0);
  }
  int length = 0;
  char32_t cp = 0, minimum = 0;
  if ((b0 & 0xe0) == 0xc0) {
    length = 2, cp = b0 & 0x1f, minimum = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    length = 3, cp = b0 & 0x0f, minimum = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    length = 4, cp = b0 & 0x07, minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (pos + std::size_t(length) > n) return std::nullopt;
  for (int i = 1; i < length; ++i) {
    const std::uint8_t b = at(pos + std::size_t(i));
    if ((b & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < minimum || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  pos += std::size_t(length);
  return cp;
}

std::size_t firstInvalidUtf8(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    // ASCII runs, 8 bytes at a time.
    while (pos + 8 <= text.size()) {
      std::uint64_t word;
      __builtin_memcpy(&word, text.data() + pos, 8);
      if (word & 0x8080808080808080ull) break;
      pos += 8;
    }
    if (pos >= text.size()) break;
    if (!decodeUtf8(text, pos)) return pos;
  }
  return std::string_view::npos;
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xc0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xe0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(char(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(char(0xf0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(char(0x80 | (cp & 0x3f)));
  }
}

std::string displayUtf8(std::string_view bytes) {
  std::string out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t start = pos;
    if (decodeUtf8(bytes, pos)) {
      out.append(bytes.substr(start, pos - start));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02X>", unsigned(std::uint8_t(bytes[pos])));
      out += buf;
      ++pos;
    }
  }
  return out;
}

}  // namespace kvlab
