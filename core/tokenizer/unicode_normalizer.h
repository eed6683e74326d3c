// SPDX-License-Identifier: MIT
#pragma once
// Normalizer stage: Unicode normalization forms (tokenizer.json "normalizer": {"type": "NFC"}, as Qwen 2/3
// use; NFD, NFKC, NFKD too), through utf8proc (Unicode 15 in Debian 12). The only normalizers a byte-level
// BPE of the supported families uses; the loader refuses the others (Lowercase, Replace, Prepend, ...).
#include <string>
#include <string_view>

namespace kvlab {

class UnicodeNormalizer {
public:
  enum class Form { Nfc, Nfd, Nfkc, Nfkd };

  explicit UnicodeNormalizer(Form form) : m_form(form) {}

  // `text` in the form. Precondition: valid UTF-8 (HfTokenizer checks it once). ASCII-only text is returned
  // as it is (every form leaves ASCII unchanged) without calling utf8proc; NFC sends only the
  // stretches that can change to utf8proc (see the .cpp).
  std::string normalize(std::string_view text) const;
  Form form() const { return m_form; }

private:
  std::string normalizeWhole(std::string_view text) const;  // through utf8proc

  Form m_form;
};

}  // namespace kvlab
