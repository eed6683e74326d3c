// SPDX-License-Identifier: MIT
#include "core/tiers/remote_tier_factory.h"

#include <stdexcept>

namespace kvlab {

std::unique_ptr<KvTier> makeRemoteTier(const RemoteUrl& url, BlobLayout layout,
                                       const RedisTierOptions& options) {
  // The cluster tier lands in the next commits; until then a cluster URL gets a clear error.
  if (url.cluster) throw std::invalid_argument("redis-cluster:// is not supported yet");
  return std::make_unique<RedisTier>(url, std::move(layout), options);
}

}  // namespace kvlab
