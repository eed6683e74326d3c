// SPDX-License-Identifier: MIT
#pragma once
// Loads a Hugging Face tokenizer.json into an HfTokenizer, one section per stage. What is supported (anything
// else is refused with an InputError naming the file and the JSON field, e.g.
//   "tok.json: field 'model.type': \"Unigram\" is not supported (byte-level BPE only)"):
//   model           BPE (no dropout, no byte_fallback, no subword prefix/suffix); merges as "a b" or ["a","b"];
//                   ignore_merges
//   normalizer      null, NFC, NFD, NFKC, NFKD, or a Sequence of them
//   pre_tokenizer   Split (Regex or String pattern; every behavior; invert), ByteLevel (add_prefix_space,
//                   use_regex), or a Sequence of them; a ByteLevel stage is required
//   post_processor  null, ByteLevel, TemplateProcessing (its "single" template), or a Sequence of them
//   decoder         null or ByteLevel (or a Sequence holding only ByteLevel)
//   added_tokens    content, id, special, lstrip, rstrip; single_word is refused
// truncation and padding are ignored (they shape batches, not ids). The file is read once; nothing is
// downloaded.
#include <memory>
#include <string>
#include <string_view>

#include "core/tokenizer/hf_tokenizer.h"

namespace kvlab {

// Reads and parses `path`. Throws InputError (file = path) for a missing file, invalid JSON or an
// unsupported structure.
std::unique_ptr<HfTokenizer> loadHfTokenizer(const std::string& path);

// The same from the JSON text; `fileForErrors` names it in errors (and becomes the tokenizer's name).
std::unique_ptr<HfTokenizer> parseHfTokenizer(std::string_view json, const std::string& fileForErrors);

}  // namespace kvlab
