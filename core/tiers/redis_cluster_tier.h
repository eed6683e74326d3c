// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/tiers/kv_blob_codec.h"
#include "core/tiers/redis_commands.h"
#include "core/tiers/redis_connection.h"
#include "core/tiers/redis_tier.h"
#include "core/tiers/remote_kv_store.h"
#include "core/tiers/remote_url.h"

namespace kvlab {

// The remote tier on a Redis Cluster (redis-cluster://seed[,seed...]), on hiredis: there is no C/C++
// cluster client in Debian, so this is the small part of one a KV tier needs.
// - Slot map: CLUSTER SLOTS from the first node (known masters first, then the seeds, nodes that just
//   failed last) that answers; fetched on the first call, refreshed after a MOVED, and after a node
//   failed (so a replica promoted in a failed master's place is found) at most once per back-off.
// - Key → slot: CRC16-XMODEM mod 16384 with hash tags (cluster_slot.h). Keys are the codec's namespaced
//   keys, exactly RedisTier's, and carry no hash tag, so one lab's blocks spread over every master.
// - One batch: the commands are grouped by the node owning each key's slot and exchanged with every node
//   at once (RedisConnection::exchange: all sockets polled together), so a batch costs one pipelined round
//   trip per node, the nodes working in parallel, and the whole operation (slot map, every node, every
//   redirect round) has one deadline of the time-out. Redirects are followed in further rounds of the same
//   shape, at most kMaxRedirects per key: `MOVED slot host:port` updates that slot's owner, refreshes the
//   map and resends; `ASK slot host:port` sends ASKING + the command to that node for this key only (the
//   map is not changed). A key still redirected after that is a failure counted as an error.
// - Faults are per node, with RedisTier's accounting: every node has its own RedisConnection and circuit
//   breaker, so a dead or stalled node turns only its keys into misses counted as errors / time-outs (the
//   first time, then errors at once while its breaker is open); the other nodes' keys keep working.
// Thread-safe: calls are serialised by one mutex.
class RedisClusterTier final : public RemoteKvStore {
public:
  static constexpr int kMaxRedirects = 5;

  // Throws std::invalid_argument if the URL is not a cluster URL or the time-out is not positive.
  // Connects to nothing: the slot map is fetched by the first call.
  RedisClusterTier(RemoteUrl url, BlobLayout layout, RedisTierOptions options = {});
  ~RedisClusterTier() override;
  RedisClusterTier(const RedisClusterTier&) = delete;
  RedisClusterTier& operator=(const RedisClusterTier&) = delete;

  std::string_view name() const override { return "remote"; }
  std::vector<bool> contains(std::span<const uint64_t> blockHashes) override;
  std::vector<std::optional<std::string>> get(std::span<const uint64_t> blockHashes) override;
  size_t put(std::span<const TierItem> items) override;
  size_t remove(std::span<const uint64_t> blockHashes) override;
  TierStats stats() const override;
  // SCAN of this lab's namespace (every master of a cluster); nullopt when Redis cannot be asked.
  std::optional<uint64_t> countEntries() override;

  const KvBlobCodec& codec() const { return m_codec; }

  // kvlab-cli remote stats|clear: SCAN of this lab's namespace on every master of the slot map. Throw
  // std::runtime_error (naming the node) when the map cannot be fetched or a master cannot be used.
  using NamespaceUsage = redis_commands::KeyUsage;
  NamespaceUsage namespaceUsage();
  uint64_t clearNamespace();

  // What the cluster client did, counted (for tests and benchmarks).
  struct Counters {
    uint64_t moved = 0;             // MOVED redirects followed
    uint64_t ask = 0;               // ASK redirects followed
    uint64_t slotMapRefreshes = 0;  // CLUSTER SLOTS fetched and applied
    uint64_t roundTrips = 0;        // pipelined round trips over all nodes (CLUSTER SLOTS included)
    uint64_t masters = 0;           // nodes owning at least one slot in the current map
    uint64_t deadlinesMissed = 0;   // node batches that ran out of an operation's deadline
    uint64_t nodesBackingOff = 0;   // nodes whose circuit breaker is open now
  };
  Counters counters() const;

private:
  // One key's command on its way through the rounds of a batch.
  struct Op {
    size_t index = 0;  // position in the caller's batch
    RedisCommand command;
    uint16_t slot = 0;
    int node = -1;  // index into m_nodes; -1 = slot not covered by the map
    bool asking = false;
  };
  // Called exactly once per op: with the final (non-redirect) reply, or with null and why it failed.
  using ReplyHandler = std::function<void(size_t index, const redisReply* reply, RedisFault fault)>;

  void execute(std::vector<Op>& ops, const ReplyHandler& onReply);
  Op makeOp(size_t index, RedisCommand command);
  bool ensureSlotMap(RedisDeadline deadline);
  bool refreshSlotMap(RedisDeadline deadline);
  int nodeFor(const RemoteEndpoint& endpoint);
  std::vector<int> masters() const;

  RemoteUrl m_url;
  KvBlobCodec m_codec;
  RedisTierOptions m_options;
  mutable std::mutex m_mutex;
  // Guarded by m_mutex:
  std::vector<std::unique_ptr<RedisConnection>> m_nodes;  // never shrinks: indexes stay valid
  std::map<std::string, int> m_nodeByAddress;             // "host:port" -> index into m_nodes
  std::vector<int> m_slotOwner;                           // kClusterSlots entries, -1 = unknown
  std::vector<bool> m_nodeFailed;                         // per node: its last round trip failed
  bool m_haveMap = false;
  bool m_refreshDue = false;  // a node failed: re-read the map (failover) at the next call
  std::chrono::steady_clock::time_point m_nextRefreshAttempt{};
  std::string m_lastError;
  TierStats m_stats;
  Counters m_counters;
};

}  // namespace kvlab
