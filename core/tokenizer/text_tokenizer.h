// SPDX-License-Identifier: MIT
#pragma once
// The one interface a run needs from a tokenizer: text -> token ids -> text. Two implementations: the demo
// model's ByteTokenizer (core/tokenizer/byte_text_tokenizer.h; one id per byte, vocab 256, the default) and
// a Hugging Face tokenizer.json (core/tokenizer/hf_tokenizer.h). Torch-free, Qt-free.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

class TextTokenizer {
public:
  virtual ~TextTokenizer() = default;

  // What to show the user: "bytes" or the tokenizer.json path.
  virtual std::string name() const = 0;
  // Token ids are in [0, vocabSize()).
  virtual int vocabSize() const = 0;
  // Ids of `text` (UTF-8), no special tokens added. Thread-safe (const). Throws InputError for text the
  // tokenizer cannot take (a real tokenizer: invalid UTF-8).
  virtual std::vector<std::int32_t> encode(std::string_view text) const = 0;
  // Bytes of the ids, concatenated (special tokens as their text). May end inside a UTF-8 sequence when
  // the ids do. Throws std::out_of_range for an id outside [0, vocabSize()).
  virtual std::string decode(std::span<const std::int32_t> ids) const = 0;
  // True when token id = byte value (the byte tokenizer): byte offsets in a text are token offsets.
  virtual bool oneTokenPerByte() const { return false; }
};

// The tokenizer a run uses: "" = the byte tokenizer (the default), else a tokenizer.json (loadHfTokenizer;
// InputError naming the file and field when it cannot be loaded).
std::unique_ptr<TextTokenizer> openTextTokenizer(const std::string& tokenizerJsonPath);

}  // namespace kvlab
