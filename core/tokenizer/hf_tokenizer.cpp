// SPDX-License-Identifier: MIT
#include "core/tokenizer/hf_tokenizer.h"

#include <algorithm>
#include <stdexcept>

#include "core/tokenizer/utf8.h"
#include "core/util/input_error.h"

namespace kvlab {

HfTokenizer::HfTokenizer(std::string name, Stages stages) : m_name(std::move(name)), m_stages(std::move(stages)) {
  if (!m_stages.model) throw std::invalid_argument("HfTokenizer: no model");
  m_vocabSize = m_stages.model->idLimit();
  for (const AddedToken& t : m_stages.addedTokens.all()) m_vocabSize = std::max(m_vocabSize, t.id + 1);
}

std::vector<std::int32_t> HfTokenizer::encode(std::string_view text, bool addSpecialTokens) const {
  if (const std::size_t bad = firstInvalidUtf8(text); bad != std::string_view::npos)
    throw InputError("", 0, "text", "not valid UTF-8 at byte " + std::to_string(bad));
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::size_t pos = 0;
  for (;;) {
    const std::optional<AddedTokens::Match> match = m_stages.addedTokens.find(text, pos);
    const std::size_t end = match ? match->begin : text.size();
    encodeSection(text.substr(pos, end - pos), ids);
    if (!match) break;
    ids.push_back(match->token->id);
    pos = match->end;
  }
  if (addSpecialTokens) m_stages.postProcessor.apply(ids);
  return ids;
}

void HfTokenizer::encodeSection(std::string_view section, std::vector<std::int32_t>& ids) const {
  if (section.empty()) return;
  std::string normalized;
  std::string_view view = section;
  for (const UnicodeNormalizer& n : m_stages.normalizers) {
    normalized = n.normalize(view);  // a new string; `view` may point into the old one until assigned
    view = normalized;
  }
  PieceArena arena;
  std::vector<std::string_view> pieces{view};
  for (const auto& stage : m_stages.preTokenizers) stage->split(pieces, arena);
  for (const std::string_view piece : pieces) m_stages.model->encodePiece(piece, ids);
}

std::string HfTokenizer::decode(std::span<const std::int32_t> ids, bool skipSpecialTokens) const {
  std::string out;
  out.reserve(ids.size() * 4);
  for (const std::int32_t id : ids) {
    if (const AddedToken* added = m_stages.addedTokens.byId(id)) {
      if (!(skipSpecialTokens && added->special)) out += added->content;
      continue;
    }
    const std::string* bytes = m_stages.model->tokenBytes(id);
    if (!bytes)
      throw std::out_of_range("token id " + std::to_string(id) + " is not in the vocabulary of " + m_name);
    out += *bytes;
  }
  return out;
}

std::string HfTokenizer::tokenText(std::int32_t id) const {
  const std::int32_t one[1] = {id};
  return displayUtf8(decode(one));
}

bool HfTokenizer::isSpecial(std::int32_t id) const {
  const AddedToken* added = m_stages.addedTokens.byId(id);
  return added && added->special;
}

std::optional<std::int32_t> HfTokenizer::addedTokenId(std::string_view content) const {
  const AddedToken* added = m_stages.addedTokens.byContent(content);
  if (!added) return std::nullopt;
  return added->id;
}

}  // namespace kvlab
