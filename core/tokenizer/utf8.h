// SPDX-License-Identifier: MIT
#pragma once
// The few UTF-8 helpers the tokenizer needs (free functions, no class).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kvlab {

// Byte offset of the first invalid UTF-8 sequence in `text` (overlong forms, surrogates and code points past
// U+10FFFF are invalid, as in RFC 3629); std::string_view::npos when all of it is valid.
std::size_t firstInvalidUtf8(std::string_view text);

// The code point starting at text[pos], advancing pos past it; nullopt (pos unchanged) on an invalid sequence.
std::optional<char32_t> decodeUtf8(std::string_view text, std::size_t& pos);

// Appends cp (<= U+10FFFF) as UTF-8.
void appendUtf8(std::string& out, char32_t cp);

// `bytes` for display: valid UTF-8 as it is, each byte of an invalid or cut sequence as <0xNN> (how a token
// that holds part of a character is shown).
std::string displayUtf8(std::string_view bytes);

}  // namespace kvlab
