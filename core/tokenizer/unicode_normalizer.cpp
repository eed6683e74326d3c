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
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), utf8proc_ssize_t(text.size()), &out,
                   utf8proc_option_t(optionsFor(m_form)));
  const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  if (n < 0) throw std::runtime_error(std::string("Unicode normalization failed: ") + utf8proc_errmsg(n));
  return std::string(reinterpret_cast<const char*>(out), std::size_t(n));
}

}  // namespace kvlab
