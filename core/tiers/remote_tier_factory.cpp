// SPDX-License-Identifier: MIT
#include "core/tiers/remote_tier_factory.h"

#include "core/tiers/redis_cluster_tier.h"

namespace kvlab {

std::unique_ptr<RemoteKvStore> makeRemoteTier(const RemoteUrl& url, BlobLayout layout,
                                              const RedisTierOptions& options) {
  if (url.cluster) return std::make_unique<RedisClusterTier>(url, std::move(layout), options);
  return std::make_unique<RedisTier>(url, std::move(layout), options);
}

}  // namespace kvlab
