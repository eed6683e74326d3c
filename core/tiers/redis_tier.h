// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/tiers/kv_blob_codec.h"
#include "core/tiers/redis_commands.h"
#include "core/tiers/redis_connection.h"
#include "core/tiers/remote_kv_store.h"
#include "core/tiers/remote_url.h"

namespace kvlab {

struct RedisTierOptions {
  // The deadline of one operation (a batch: connect, TLS, AUTH and every reply included; all nodes of a
  // cluster at once), --remote-timeout.
  int timeoutMs = 50;
  int64_t ttlMs = 0;  // > 0: every stored block expires after this long (SET ... PX, i.e. Redis EXPIRE)
  // Circuit breaker: after a fault (time-out, refused, reset) operations on that server fail at once
  // (counted as errors) for this long, doubling with each further consecutive fault up to 30 s; then one
  // operation tries again. A server that is down or stalls costs one time-out per back-off, not per call.
  int reconnectBackoffMs = 1000;
};

// The remote tier on one Redis server (rediss:// over TLS). One RedisConnection (non-blocking, polled
// against each operation's deadline), opened lazily, dropped on any fault (a time-out leaves the stream in
// an unknown state), with a circuit breaker (RedisTierOptions::reconnectBackoffMs). Each batch is one
// pipelined round trip: all commands written, then all replies read, within one deadline. Values are
// KvBlobCodec blobs under the codec's namespaced keys.
//
// Side effect: Redis closing the socket makes the next write raise SIGPIPE, which would kill the
// process; the constructor therefore sets SIGPIPE to ignored if it still has its default disposition.
class RedisTier final : public RemoteKvStore {
public:
  RedisTier(RemoteUrl url, BlobLayout layout, RedisTierOptions options = {});
  ~RedisTier() override;
  RedisTier(const RedisTier&) = delete;
  RedisTier& operator=(const RedisTier&) = delete;

  std::string_view name() const override { return "remote"; }
  std::vector<bool> contains(std::span<const uint64_t> blockHashes) override;
  std::vector<std::optional<std::string>> get(std::span<const uint64_t> blockHashes) override;
  size_t put(std::span<const TierItem> items) override;
  size_t remove(std::span<const uint64_t> blockHashes) override;
  TierStats stats() const override;
  // SCAN of this lab's namespace (every master of a cluster); nullopt when Redis cannot be asked.
  std::optional<uint64_t> countEntries() override;

  const KvBlobCodec& codec() const { return m_codec; }

  // Maintenance of this lab's namespace (kvlab-cli remote stats|clear). Unlike the data path these
  // throw std::runtime_error (with the server's message) when Redis cannot be used: there is nothing to
  // fall back to.
  using NamespaceUsage = redis_commands::KeyUsage;
  NamespaceUsage namespaceUsage();
  uint64_t clearNamespace();  // keys deleted

  // Pipelined round trips so far (one per batch; for benchmarks).
  uint64_t roundTrips() const;
  // The circuit breaker is open: operations fail at once until its back-off has passed.
  bool backingOff() const;

private:
  KvBlobCodec m_codec;
  RedisTierOptions m_options;
  mutable std::mutex m_mutex;
  RedisConnection m_connection;  // guarded by m_mutex
  TierStats m_stats;
};

}  // namespace kvlab
