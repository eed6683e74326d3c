// SPDX-License-Identifier: MIT
#pragma once
// Pre-tokenizer "Split": a pattern (a regex, or a literal string) finds delimiters; `behavior` says what
// becomes of them (Hugging Face tokenizers' SplitDelimiterBehavior), e.g. for "the-final--countdown" split
// on "-":
//   Removed             the | final | countdown
//   Isolated            the | - | final | - | - | countdown      (Llama 3, Qwen, DeepSeek, GLM)
//   MergedWithPrevious  the- | final- | - | countdown
//   MergedWithNext      the | -final | - | -countdown
//   Contiguous          the | - | final | -- | countdown
// `invert` swaps the roles of matches and the text between them. The regex runs in PCRE2 (JIT) with UTF and
// UCP (\s, \d, \w and \p{..} by Unicode properties); tokenizer.json patterns are Oniguruma/Rust syntax,
// which PCRE2 reads the same for the constructs these families use. Empty matches are ignored.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tokenizer/pre_tokenizer.h"

namespace kvlab {

class SplitPreTokenizer final : public PreTokenizer {
public:
  enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
  enum class PatternKind { Regex, Literal };

  // Throws std::invalid_argument with PCRE2's message (and offset) for a pattern it cannot compile.
  SplitPreTokenizer(std::string pattern, PatternKind kind, Behavior behavior, bool invert);
  ~SplitPreTokenizer() override;

  void split(std::vector<std::string_view>& pieces, PieceArena& arena) const override;

  // The delimiter ranges [begin, end) in `text` (after `invert`), in order. Exposed for tests.
  std::vector<std::pair<std::size_t, std::size_t>> delimiters(std::string_view text) const;

  // "Isolated" -> Behavior::Isolated, ...; nullopt for a name tokenizers does not define.
  static std::optional<Behavior> behaviorFromName(std::string_view name);

private:
  struct Compiled;
  std::unique_ptr<Compiled> m_compiled;
  Behavior m_behavior;
  bool m_invert;
};

}  // namespace kvlab
