// SPDX-License-Identifier: MIT
#include "core/tokenizer/text_tokenizer.h"

#include "core/tokenizer/byte_text_tokenizer.h"
#include "core/tokenizer/tokenizer_json.h"

namespace kvlab {

std::unique_ptr<TextTokenizer> openTextTokenizer(const std::string& tokenizerJsonPath) {
  if (tokenizerJsonPath.empty()) return std::make_unique<ByteTextTokenizer>();
  return loadHfTokenizer(tokenizerJsonPath);
}

}  // namespace kvlab
