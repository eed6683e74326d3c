// SPDX-License-Identifier: MIT
#pragma once
// Cache keys from content: SHA-256 (prompt mode, as the original SimpleKVCache; optional in block mode)
// and XXH3-128 (block mode default: vLLM's choice of a fast non-cryptographic hash).
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/cache/cache_types.h"

namespace kvlab {

enum class BlockHash : std::uint8_t { Xxh3, Sha256 };
std::string_view toString(BlockHash hash);
BlockHash parseBlockHash(std::string_view name);  // "xxh3" | "sha256"; throws std::invalid_argument

// First 128 bits of SHA-256(bytes).
CacheKey sha256Key(std::string_view bytes);
// Key of a block: hash(parent key bytes ‖ token ids as little-endian int32). The parent of the first block
// is the zero key, so equal keys mean equal prefixes (up to hash collisions).
CacheKey chainedBlockKey(BlockHash hash, const CacheKey& parent, std::span<const std::int32_t> tokens);

// SHA-256 over a growing byte string, able to fork the state: key(prefix ‖ suffix) for many suffixes
// without rehashing the prefix (prompt mode: one prefix, one key per layer).
class Sha256Stream {
public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream& other);
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void update(std::string_view bytes);
  CacheKey finishCopy(std::string_view suffix) const;  // key of everything so far ‖ suffix; state kept
private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace kvlab
