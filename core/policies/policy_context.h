// SPDX-License-Identifier: MIT
#pragma once
// What a policy may read about the entries it orders, for the policies that need more than slot order:
// keys for ghost lists (S3-FIFO, ARC: a slot is reused after removal, its key is not), sizes and tokens for
// size-aware priorities (GDSF). Implemented by the engine; read-only; valid for the policy's lifetime.
#include <cstdint>

#include "core/cache/cache_types.h"

namespace kvlab {

class PolicyContext {
public:
  virtual ~PolicyContext() = default;
  // Of a live entry the policy was told about (valid in onInsert/onAccess/onRemove/pickVictim).
  virtual const CacheKey& key(SlotId slot) const = 0;
  virtual Bytes bytes(SlotId slot) const = 0;
  virtual std::uint32_t tokens(SlotId slot) const = 0;
  virtual Bytes capacityBytes() const = 0;  // the cache's max size now (live changes included)
  // The entry being inserted while the engine evicts to make room for it; nullptr when the eviction has no
  // incoming entry (a max-size change). *bytes receives its size.
  virtual const CacheKey* incoming(Bytes* bytes) const = 0;
};

}  // namespace kvlab
