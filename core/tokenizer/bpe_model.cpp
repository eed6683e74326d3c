// SPDX-License-Identifier: MIT
#include "core/tokenizer/bpe_model.h"

#include <algorithm>
#include <stdexcept>

#include "core/util/input_error.h"

namespace kvlab {

namespace {

// Debian's Abseil has its own string_view type: heterogeneous lookups take that one.
absl::string_view key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

BpeModel::BpeModel(std::vector<std::pair<std::string, std::int32_t>> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, Options options)
    : m_options(options) {
  std::int32_t limit = 0;
  for (const auto& [bytes, id] : vocab) {
    if (id < 0) throw InputError("", 0, "model.vocab", "negative id " + std::to_string(id));
    limit = std::max(limit, id + 1);
  }
  m_bytesOf.resize(std::size_t(limit));
  m_hasId.assign(std::size_t(limit), false);
  m_ids.reserve(vocab.size());
  for (auto& [bytes, id] : vocab) {
    if (m_hasId[std::size_t(id)])
      throw InputError("", 0, "model.vocab", "id " + std::to_string(id) + " is given to two tokens");
    if (!m_ids.emplace(bytes, id).second)
      throw InputError("", 0, "model.vocab", "token " + quoteForError(bytes) + " is listed twice");
    m_hasId[std::size_t(id)] = true;
    m_bytesOf[std::size_t(id)] = std::move(bytes);
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = m_ids.find(key(std::string_view(reinterpret_cast<const char*>(&b), 1)));
    m_byteIds[b] = it == m_ids.end() ? -1 : it->second;
  }
  m_merges.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const auto field = [&] { return "model.merges[" + std::to_string(rank) + "]"; };
    const auto l = m_ids.find(left), r = m_ids.find(right), m = m_ids.find(left + right);
    if (l == m_ids.end() || r == m_ids.end())
      throw InputError("", 0, field(),
                       "part " + quoteForError(l == m_ids.end() ? left : right) + " is not in model.vocab");
    if (m == m_ids.end())
      throw InputError("", 0, field(), "the merged token " + quoteForError(left + right) + " is not in model.vocab");
    m_merges.insert_or_assign(pairKey(l->second, r->second), Merge{std::int32_t(rank), m->second});
  }
}

const BpeModel::Merge* BpeModel::findMerge(std::int32_t left, std::int32_t right) const {
  const auto it = m_merges.find(pairKey(left, right));
  return it == m_merges.end() ? nullptr : &it->second;
}

const std::string* BpeModel::tokenBytes(std::int32_t id) const {
  if (id < 0 || id >= idLimit() || !m_hasId[std::size_t(id)]) return nullptr;
  return &m_bytesOf[std::size_t(id)];
}

std::optional<std::int32_t> BpeModel::idOf(std::string_view bytes) const {
  const auto it = m_ids.find(key(bytes));
  if (it == m_ids.end()) return std::nullopt;
  return it->second;
}

void BpeModel::encodePiece(std::string_view bytes, std::vector<std::int32_t>& out) const {
  if (bytes.empty()) return;
  if (bytes.size() == 1 || m_options.ignoreMerges) {
    if (const auto it = m_ids.find(key(bytes)); it != m_ids.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (bytes.size() > kCacheMaxBytes) {
    mergePiece(bytes, out);
    return;
  }
  {
    const std::lock_guard lock(m_cacheMutex);
    if (const auto it = m_cache.find(key(bytes)); it != m_cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const std::size_t first = out.size();
  mergePiece(bytes, out);
  const std::lock_guard lock(m_cacheMutex);
  if (m_cache.size() < kCacheEntries)
    m_cache.try_emplace(std::string(bytes), out.begin() + std::ptrdiff_t(first), out.end());
}

void BpeModel::mergePiece(std::string_view bytes, std::vector<std::int32_t>& out) const {
  // Symbols form a doubly linked list over positions 0..n-1; a merge keeps the left symbol (its position is
  // the tie-break: leftmost first) and unlinks the right one.
  struct Symbol {
    std::int32_t id;
    std::int32_t prev;
    std::int32_t next;
  };
  struct Candidate {
    std::int32_t rank;
    std::int32_t pos;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> heap;  // min-heap by (rank, pos)
  const auto n = std::int32_t(bytes.size());
  symbols.resize(std::size_t(n));
  heap.clear();
  for (std::int32_t i = 0; i < n; ++i) {
    const std::int32_t id = m_byteIds[static_cast<unsigned char>(bytes[std::size_t(i)])];
    if (id < 0)
      throw std::invalid_argument("the vocabulary has no token for byte " +
                                  std::to_string(static_cast<unsigned char>(bytes[std::size_t(i)])));
    symbols[std::size_t(i)] = Symbol{id, i - 1, i + 1 < n ? i + 1 : -1};
  }
  const auto later = std::greater<Candidate>();
  const auto consider = [&](std::int32_t pos) {
    const Symbol& s = symbols[std::size_t(pos)];
    if (s.next < 0) return;
    if (const Merge* m = findMerge(s.id, symbols[std::size_t(s.next)].id)) {
      heap.push_back(Candidate{m->rank, pos});
      std::push_heap(heap.begin(), heap.end(), later);
    }
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& left = symbols[std::size_t(top.pos)];
    if (left.id < 0 || left.next < 0) continue;  // merged away, or now the last symbol
    const Merge* m = findMerge(left.id, symbols[std::size_t(left.next)].id);
    if (!m || m->rank != top.rank) continue;  // the pair changed since it was queued (a rank names one pair)
    Symbol& right = symbols[std::size_t(left.next)];
    left.id = m->result;
    left.next = right.next;
    right.id = -1;
    if (left.next >= 0) symbols[std::size_t(left.next)].prev = top.pos;
    if (left.prev >= 0) consider(left.prev);
    consider(top.pos);
  }
  for (std::int32_t i = 0; i >= 0; i = symbols[std::size_t(i)].next) out.push_back(symbols[std::size_t(i)].id);
}

}  // namespace kvlab
