// SPDX-License-Identifier: MIT
#include "core/tokenizer/byte_level_pre_tokenizer.h"

namespace kvlab {

ByteLevelPreTokenizer::ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : m_addPrefixSpace(addPrefixSpace) {
  if (useRegex)
    m_regex = std::make_unique<SplitPreTokenizer>(kGpt2Pattern, SplitPreTokenizer::PatternKind::Regex,
                                                  SplitPreTokenizer::Behavior::Isolated, /*invert=*/false);
}

void ByteLevelPreTokenizer::split(std::vector<std::string_view>& pieces, PieceArena& arena) const {
  if (m_addPrefixSpace)
    for (std::string_view& piece : pieces)
      if (!piece.empty() && piece.front() != ' ') {
        std::string spaced(1, ' ');  // built piece by piece: GCC 12 warns falsely (-Wrestrict) on " " + string
        spaced.append(piece);
        piece = arena.keep(std::move(spaced));
      }
  if (m_regex) m_regex->split(pieces, arena);
}

}  // namespace kvlab
