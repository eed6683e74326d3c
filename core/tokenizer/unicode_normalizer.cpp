// SPDX-License-Identifier: MIT
#include "core/tokenizer/unicode_normalizer.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace kvlab {

namespace {

bool isAscii(std::string_view text) {
  for (const char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// Code points that every form leaves as they are and that never combine with the character before them
// (they are never the second of a canonical composition pair: those are combining marks, U+0300 and up, and
// Hangul vowel/trailing jamo): below U+0300 (ASCII, Latin-1, Latin Extended-A/B, IPA, spacing modifiers; their
// precomposed letters recompose to themselves), CJK Unified Ideographs, Hiragana, Katakana, Hangul syllables.
// NFC of a text is then the normalized runs between them. (NFD splits the precomposed ones - U+00E9, Hangul
// syllables - and NFKC/NFKD change some others - U+00A0, U+00BD -: those forms use the whole-text path.)
bool stableForCanonicalForms(char32_t cp) {
  return cp < 0x300 || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3041 && cp <= 0x3096) ||
         (cp >= 0x30a1 && cp <= 0x30fa) || (cp >= 0xac00 && cp <= 0xd7a3);
}

std::size_t leadLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) return 2;
  if ((lead & 0xf0) == 0xe0) return 3;
  return 4;
}

char32_t codePointAt(std::string_view text, std::size_t pos, std::size_t length) {
  const auto b = [&](std::size_t i) { return char32_t(static_cast<unsigned char>(text[pos + i])); };
  switch (length) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1f) << 6) | (b(1) & 0x3f);
    case 3: return ((b(0) & 0x0f) << 12) | ((b(1) & 0x3f) << 6) | (b(2) & 0x3f);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3f) << 12) | ((b(2) & 0x3f) << 6) | (b(3) & 0x3f);
  }
}

int optionsFor(UnicodeNormalizer::Form form) {
  // UTF8PROC_STABLE: no change for unassigned code points (what the standard forms require).
  switch (form) {
    case UnicodeNormalizer::Form::Nfc: return UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    case UnicodeNormalizer::Form::Nfd: return UTF8PROC_STABLE | UTF8PROC_DECOMPOSE;
    case UnicodeNormalizer::Form::Nfkc: return UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
    case UnicodeNormalizer::Form::Nfkd: return UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
  }
  return UTF8PROC_STABLE | UTF8PROC_COMPOSE;
}

}  // namespace

std::string UnicodeNormalizer::normalize(std::string_view text) const {
  if (text.empty() || isAscii(text)) return std::string(text);
  if (m_form != Form::Nfc) return normalizeWhole(text);
  // NFC: copy the stable stretches, normalize only the runs of other characters together with the
  // stable character before them (it may compose with what follows: e + U+0301).
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // text[0, copied) is in `out`
  std::size_t runStart = std::string_view::npos;  // start of the pending run to normalize
  std::size_t lastStable = 0;                     // start of the last stable character
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t length = leadLength(static_cast<unsigned char>(text[pos]));
    const bool stable = stableForCanonicalForms(codePointAt(text, pos, length));
    if (stable) {
      if (runStart != std::string_view::npos) {
        out += normalizeWhole(text.substr(runStart, pos - runStart));
        copied = pos;
        runStart = std::string_view::npos;
      }
      lastStable = pos;
    } else if (runStart == std::string_view::npos) {
      runStart = lastStable >= copied && lastStable < pos ? lastStable : pos;
      out.append(text.substr(copied, runStart - copied));
      copied = runStart;
    }
    pos += length;
  }
  if (runStart != std::string_view::npos) out += normalizeWhole(text.substr(runStart));
  else out.append(text.substr(copied));
  return out;
}

std::string UnicodeNormalizer::normalizeWhole(std::string_view text) const {
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), utf8proc_ssize_t(text.size()), &out,
                   utf8proc_option_t(optionsFor(m_form)));
  const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  if (n < 0) throw std::runtime_error(std::string("Unicode normalization failed: ") + utf8proc_errmsg(n));
  return std::string(reinterpret_cast<const char*>(out), std::size_t(n));
}

}  // namespace kvlab
