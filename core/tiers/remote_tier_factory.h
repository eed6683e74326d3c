// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include "core/tiers/kv_blob_codec.h"
#include "core/tiers/redis_tier.h"
#include "core/tiers/remote_kv_store.h"
#include "core/tiers/remote_url.h"

namespace kvlab {

// Opens the remote tier a parsed --remote URL names: a RedisTier for redis://, a RedisClusterTier for
// redis-cluster:// (seed nodes; the slot map is fetched lazily on the first call). Both honour every field
// of `options` (time-out per connect and round trip, TTL, reconnect back-off) and never connect in the
// constructor, so this does not block and does not throw for an unreachable server. Throws
// std::invalid_argument for a layout the blob codec cannot encode or a non-positive time-out.
std::unique_ptr<RemoteKvStore> makeRemoteTier(const RemoteUrl& url, BlobLayout layout,
                                              const RedisTierOptions& options = {});

}  // namespace kvlab
