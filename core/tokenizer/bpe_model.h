// SPDX-License-Identifier: MIT
#pragma once
// Model stage: byte-pair encoding over raw bytes. A piece starts as one symbol per byte; the adjacent pair
// with the lowest merge rank (its index in tokenizer.json's "merges") is merged, the leftmost first among
// equal ranks, until no adjacent pair has a merge. With ignore_merges (Llama 3) a piece that is itself in the
// vocabulary becomes that one token without merging. Same results as tokenizers' Word::merge_all and
// transformers.js' BPE.bpe (both a priority queue of (rank, position)).
//
// The vocabulary is keyed on raw bytes: tokenizer.json writes it in the byte-level alphabet, and the loader
// converts it once (ByteLevelAlphabet), so encoding never builds alphabet strings.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvlab {

class BpeModel {
public:
  struct Options {
    bool ignoreMerges = false;  // tokenizer.json model.ignore_merges
  };

  // vocab: (raw bytes, id) pairs, ids >= 0 and unique; merges: pairs of raw byte strings, rank = index (a
  // duplicate pair keeps its last rank, as tokenizers and transformers.js do). Throws InputError (field
  // "model.merges[i]" or "model.vocab") for a merge whose parts or result are not in the vocabulary, a
  // duplicate id or a byte string listed twice.
  BpeModel(std::vector<std::pair<std::string, std::int32_t>> vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, Options options);
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids of one piece (raw bytes). Const and thread-safe. Throws std::invalid_argument if a byte
  // of the piece has no token (a vocabulary without the whole byte alphabet).
  void encodePiece(std::string_view bytes, std::vector<std::int32_t>& out) const;

  // The raw bytes of a vocabulary id; nullptr for an id the vocabulary does not have.
  const std::string* tokenBytes(std::int32_t id) const;
  std::optional<std::int32_t> idOf(std::string_view bytes) const;
  // Largest id in the vocabulary + 1.
  std::int32_t idLimit() const { return std::int32_t(m_bytesOf.size()); }
  std::size_t mergeCount() const { return m_merges.size(); }

private:
  struct Merge {
    std::int32_t rank = 0;
    std::int32_t result = 0;  // id of the merged token
  };
  static std::uint64_t pairKey(std::int32_t left, std::int32_t right) {
    return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
  }
  const Merge* findMerge(std::int32_t left, std::int32_t right) const;
  void mergePiece(std::string_view bytes, std::vector<std::int32_t>& out) const;

  // Pieces up to this many bytes are cached, up to kCacheEntries of them (then the cache stops growing, as in
  // tokenizers): text repeats its words, and a cached word costs one hash lookup.
  static constexpr std::size_t kCacheMaxBytes = 64;
  static constexpr std::size_t kCacheEntries = 1 << 17;

  absl::flat_hash_map<std::string, std::int32_t> m_ids;  // raw bytes -> id
  std::vector<std::string> m_bytesOf;                    // id -> raw bytes ("" for a hole in the ids)
  std::vector<bool> m_hasId;                             // id -> in the vocabulary
  std::int32_t m_byteIds[256];                           // single bytes -> id, -1 if absent
  absl::flat_hash_map<std::uint64_t, Merge> m_merges;    // pairKey(left, right) -> merge
  Options m_options;
  mutable std::mutex m_cacheMutex;
  mutable absl::flat_hash_map<std::string, std::vector<std::int32_t>> m_cache;
};

}  // namespace kvlab
