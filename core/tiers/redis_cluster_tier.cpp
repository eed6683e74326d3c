// SPDX-License-Identifier: MIT
#include "core/tiers/redis_cluster_tier.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "core/tiers/cluster_slot.h"

namespace kvlab {

namespace rc = redis_commands;

namespace {

struct Redirect {
  enum class Kind { None, Moved, Ask } kind = Kind::None;
  RemoteEndpoint target;
};

// "MOVED <slot> <host>:<port>" / "ASK <slot> <host>:<port>"; an empty host means the host of the node
// that replied (Redis 7 with an unknown endpoint).
Redirect parseRedirect(const redisReply& reply, const RemoteEndpoint& from) {
  Redirect redirect;
  if (reply.type != REDIS_REPLY_ERROR) return redirect;
  const std::string_view text(reply.str, reply.len);
  if (text.starts_with("MOVED "))
    redirect.kind = Redirect::Kind::Moved;
  else if (text.starts_with("ASK "))
    redirect.kind = Redirect::Kind::Ask;
  else
    return redirect;
  const size_t space = text.rfind(' ');
  const size_t colon = text.rfind(':');
  int port = 0;
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space ||
      std::from_chars(text.data() + colon + 1, text.data() + text.size(), port).ec != std::errc{} ||
      port <= 0) {
    redirect.kind = Redirect::Kind::None;  // malformed: treated as an ordinary error reply
    return redirect;
  }
  redirect.target.host = std::string(text.substr(space + 1, colon - space - 1));
  if (redirect.target.host.empty()) redirect.target.host = from.host;
  redirect.target.port = port;
  return redirect;
}

}  // namespace

RedisClusterTier::RedisClusterTier(RemoteUrl url, BlobLayout layout, RedisTierOptions options)
    : m_url(std::move(url)), m_codec(std::move(layout)), m_options(options), m_slotOwner(kClusterSlots, -1) {
  if (!m_url.cluster || m_url.endpoints.empty())
    throw std::invalid_argument("RedisClusterTier needs a redis-cluster:// URL with at least one seed");
  if (m_options.timeoutMs <= 0) throw std::invalid_argument("RedisClusterTier: timeout must be positive");
  ignoreSigpipeIfDefault();
  for (const RemoteEndpoint& seed : m_url.endpoints) nodeFor(seed);
}

RedisClusterTier::~RedisClusterTier() = default;

int RedisClusterTier::nodeFor(const RemoteEndpoint& endpoint) {
  const std::string address = endpoint.host + ":" + std::to_string(endpoint.port);
  if (const auto it = m_nodeByAddress.find(address); it != m_nodeByAddress.end()) return it->second;
  RedisConnectionOptions options{m_options.timeoutMs,
                                 m_options.reconnectBackoffMs,
                                 m_url.user,
                                 m_url.password,
                                 /*db=*/0,
                                 m_url.tls};
  m_nodes.push_back(std::make_unique<RedisConnection>(endpoint, std::move(options)));
  m_nodeFailed.push_back(false);
  const int index = static_cast<int>(m_nodes.size()) - 1;
  m_nodeByAddress.emplace(address, index);
  return index;
}

std::vector<int> RedisClusterTier::masters() const {
  std::vector<bool> owns(m_nodes.size(), false);
  for (const int node : m_slotOwner)
    if (node >= 0) owns[static_cast<size_t>(node)] = true;
  std::vector<int> result;
  for (size_t i = 0; i < owns.size(); ++i)
    if (owns[i]) result.push_back(static_cast<int>(i));
  return result;
}

bool RedisClusterTier::refreshSlotMap(RedisDeadline deadline) {
  // Ask the masters we know first (they are the most likely to be up), then every other node (seeds);
  // nodes whose last round trip failed go last, so a dead or stopped node costs nothing while another
  // node answers. Every try shares the caller's deadline; a node backing off (circuit breaker) is skipped.
  std::vector<int> candidates = masters();
  for (size_t i = 0; i < m_nodes.size(); ++i)
    if (std::find(candidates.begin(), candidates.end(), static_cast<int>(i)) == candidates.end())
      candidates.push_back(static_cast<int>(i));
  std::stable_partition(candidates.begin(), candidates.end(),
                        [&](int node) { return !m_nodeFailed[static_cast<size_t>(node)]; });
  for (const int candidate : candidates) {
    RedisConnection& connection = *m_nodes[static_cast<size_t>(candidate)];
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (!connection.usable()) continue;
    std::vector<RedisReplyPtr> replies;
    if (connection.run({{"CLUSTER", "SLOTS"}}, replies, deadline) != RedisFault::None) {
      m_lastError = connection.lastError();
      m_nodeFailed[static_cast<size_t>(candidate)] = true;
      continue;
    }
    m_nodeFailed[static_cast<size_t>(candidate)] = false;
    const redisReply* r = replies.front().get();
    if (r->type != REDIS_REPLY_ARRAY) {
      m_lastError = "Redis " + connection.address() + ": CLUSTER SLOTS failed" +
                    (r->type == REDIS_REPLY_ERROR ? ": " + std::string(r->str, r->len) : std::string());
      continue;
    }
    // Each entry: start slot, end slot, master [host, port, id, ...], replicas...
    std::vector<int> owner(kClusterSlots, -1);
    bool malformed = false;
    for (size_t i = 0; i < r->elements && !malformed; ++i) {
      const redisReply* range = r->element[i];
      if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
          range->element[0]->type != REDIS_REPLY_INTEGER || range->element[1]->type != REDIS_REPLY_INTEGER ||
          range->element[2]->type != REDIS_REPLY_ARRAY || range->element[2]->elements < 2 ||
          range->element[2]->element[0]->type != REDIS_REPLY_STRING ||
          range->element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
        malformed = true;
        break;
      }
      const long long first = range->element[0]->integer;
      const long long last = range->element[1]->integer;
      if (first < 0 || last >= kClusterSlots || first > last) {
        malformed = true;
        break;
      }
      const redisReply* master = range->element[2];
      RemoteEndpoint endpoint;
      endpoint.host = std::string(master->element[0]->str, master->element[0]->len);
      endpoint.port = static_cast<int>(master->element[1]->integer);
      if (endpoint.host.empty() || endpoint.host == "?") endpoint.host = connection.endpoint().host;
      const int node = nodeFor(endpoint);
      for (long long slot = first; slot <= last; ++slot) owner[static_cast<size_t>(slot)] = node;
    }
    if (malformed) {
      m_lastError = "Redis " + connection.address() + ": unexpected CLUSTER SLOTS reply";
      continue;
    }
    m_slotOwner = std::move(owner);
    m_haveMap = true;
    m_refreshDue = false;
    ++m_counters.slotMapRefreshes;
    return true;
  }
  m_nextRefreshAttempt =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(m_options.reconnectBackoffMs);
  return false;
}

bool RedisClusterTier::ensureSlotMap(RedisDeadline deadline) {
  if (m_haveMap && !m_refreshDue) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < m_nextRefreshAttempt) return m_haveMap;
  // At most one refresh per back-off period, whatever its outcome; a failed refresh keeps the old map.
  m_nextRefreshAttempt = now + std::chrono::milliseconds(m_options.reconnectBackoffMs);
  refreshSlotMap(deadline);
  return m_haveMap;
}

RedisClusterTier::Op RedisClusterTier::makeOp(size_t index, RedisCommand command) {
  Op op;
  op.index = index;
  op.slot = clusterKeySlot(command.at(1));  // every data-path command is VERB key ...
  op.node = m_slotOwner[op.slot];
  op.command = std::move(command);
  return op;
}

void RedisClusterTier::execute(std::vector<Op>& ops, const ReplyHandler& onReply) {
  if (ops.empty()) return;
  // One deadline for the whole operation: the slot map, every node and every redirect round share it.
  const RedisDeadline deadline = redisDeadlineIn(m_options.timeoutMs);
  if (!ensureSlotMap(deadline)) {
    for (const Op& op : ops) onReply(op.index, nullptr, RedisFault::Error);
    return;
  }
  for (Op& op : ops) op.node = m_slotOwner[op.slot];
  std::vector<Op> pending = std::move(ops);
  for (int round = 0; round <= kMaxRedirects && !pending.empty(); ++round) {
    // Group by node; a slot nobody serves fails at once, so do the keys of a node backing off.
    std::map<int, std::vector<Op*>> byNode;
    for (Op& op : pending) {
      if (op.node < 0)
        onReply(op.index, nullptr, RedisFault::Error);
      else if (!m_nodes[static_cast<size_t>(op.node)]->usable())
        onReply(op.index, nullptr, RedisFault::Error);
      else
        byNode[op.node].push_back(&op);
    }
    // Every node's batch goes out and every node's replies come back in one exchange: the nodes work in
    // parallel, and a slow node costs the deadline once, not once per node.
    std::vector<RedisConnection*> connections;
    for (auto& [node, nodeOps] : byNode) {
      std::vector<RedisCommand> commands;
      for (Op* op : nodeOps) {
        if (op->asking) commands.push_back({"ASKING"});
        commands.push_back(op->command);
      }
      RedisConnection* connection = m_nodes[static_cast<size_t>(node)].get();
      connection->queue(commands);
      connections.push_back(connection);
    }
    RedisConnection::exchange(connections, deadline);
    std::vector<Op> next;
    bool moved = false;
    for (auto& [node, nodeOps] : byNode) {
      RedisConnection& connection = *m_nodes[static_cast<size_t>(node)];
      const RedisFault fault = connection.fault();
      const std::vector<RedisReplyPtr> replies = connection.takeReplies();
      if (fault != RedisFault::None) {
        // The node may be gone for good (a replica promoted in its place): re-read the map next call.
        m_lastError = connection.lastError();
        m_refreshDue = true;
        if (fault == RedisFault::Timeout) ++m_counters.deadlinesMissed;
      }
      m_nodeFailed[static_cast<size_t>(node)] = fault != RedisFault::None;
      size_t position = 0;
      for (Op* op : nodeOps) {
        if (op->asking) ++position;  // ASKING's +OK
        const redisReply* reply = replies[position++].get();
        if (reply == nullptr) {
          onReply(op->index, nullptr, fault == RedisFault::None ? RedisFault::Error : fault);
          continue;
        }
        const Redirect redirect = parseRedirect(*reply, connection.endpoint());
        if (redirect.kind == Redirect::Kind::None) {
          onReply(op->index, reply, RedisFault::None);
          continue;
        }
        if (round == kMaxRedirects) {
          m_lastError =
              "Redis Cluster: key still redirected after " + std::to_string(kMaxRedirects) + " hops";
          onReply(op->index, nullptr, RedisFault::Error);
          continue;
        }
        const int target = nodeFor(redirect.target);
        if (redirect.kind == Redirect::Kind::Moved) {
          ++m_counters.moved;
          m_slotOwner[op->slot] = target;
          moved = true;
        } else {
          ++m_counters.ask;
        }
        op->node = target;
        op->asking = redirect.kind == Redirect::Kind::Ask;
        next.push_back(std::move(*op));
      }
    }
    // A MOVED usually means a resharding moved many slots: fetch the whole map once (one round trip,
    // within the same deadline). The keys in flight keep the node their MOVED named.
    if (moved) refreshSlotMap(deadline);
    pending = std::move(next);
  }
}

std::vector<bool> RedisClusterTier::contains(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTransferTimer timer(m_stats.transferNs);
  std::vector<Op> ops;
  for (size_t i = 0; i < blockHashes.size(); ++i)
    ops.push_back(makeOp(i, rc::existsCommand(m_codec, blockHashes[i])));
  std::vector<bool> result(blockHashes.size(), false);
  execute(ops, [&](size_t i, const redisReply* reply, RedisFault fault) {
    if (reply != nullptr)
      result[i] = rc::applyExists(*reply, m_stats);
    else
      rc::countFault(fault, 1, m_stats);
  });
  return result;
}

std::vector<std::optional<std::string>> RedisClusterTier::get(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTransferTimer timer(m_stats.transferNs);
  std::vector<Op> ops;
  for (size_t i = 0; i < blockHashes.size(); ++i)
    ops.push_back(makeOp(i, rc::getCommand(m_codec, blockHashes[i])));
  std::vector<std::optional<std::string>> result(blockHashes.size());
  execute(ops, [&](size_t i, const redisReply* reply, RedisFault fault) {
    if (reply != nullptr) {
      result[i] = rc::applyGet(*reply, m_codec, blockHashes[i], m_stats);
    } else {
      ++m_stats.misses;
      rc::countFault(fault, 1, m_stats);
    }
  });
  return result;
}

size_t RedisClusterTier::put(std::span<const TierItem> items) {
  std::lock_guard lock(m_mutex);
  ScopedTransferTimer timer(m_stats.transferNs);
  std::vector<Op> ops;
  for (size_t i = 0; i < items.size(); ++i)
    ops.push_back(makeOp(i, rc::setCommand(m_codec, items[i], m_options.ttlMs)));
  size_t stored = 0;
  execute(ops, [&](size_t i, const redisReply* reply, RedisFault fault) {
    if (reply == nullptr)
      rc::countFault(fault, 1, m_stats);
    else if (rc::applySet(*reply, items[i].payload.size(), m_stats))
      ++stored;
  });
  return stored;
}

size_t RedisClusterTier::remove(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTransferTimer timer(m_stats.transferNs);
  std::vector<Op> ops;
  for (size_t i = 0; i < blockHashes.size(); ++i)
    ops.push_back(makeOp(i, rc::unlinkCommand(m_codec, blockHashes[i])));
  size_t removed = 0;
  execute(ops, [&](size_t, const redisReply* reply, RedisFault fault) {
    if (reply == nullptr)
      rc::countFault(fault, 1, m_stats);
    else if (rc::applyUnlink(*reply, m_stats))
      ++removed;
  });
  m_stats.removes += removed;
  return removed;
}

TierStats RedisClusterTier::stats() const {
  std::lock_guard lock(m_mutex);
  return m_stats;
}

RedisClusterTier::Counters RedisClusterTier::counters() const {
  std::lock_guard lock(m_mutex);
  Counters counters = m_counters;
  counters.roundTrips = 0;
  for (const auto& node : m_nodes) counters.roundTrips += node->roundTrips();
  counters.masters = masters().size();
  for (const auto& node : m_nodes) counters.nodesBackingOff += node->breakerOpen() ? 1 : 0;
  return counters;
}

RedisClusterTier::NamespaceUsage RedisClusterTier::namespaceUsage() {
  std::lock_guard lock(m_mutex);
  if (!refreshSlotMap(redisDeadlineIn(m_options.timeoutMs)))
    throw std::runtime_error("cannot read the cluster's slot map: " + m_lastError);
  NamespaceUsage total;
  for (const int node : masters()) {
    RedisConnection& connection = *m_nodes[static_cast<size_t>(node)];
    const NamespaceUsage usage = rc::measureKeys(connection, rc::scanKeys(connection, m_codec.keyPattern()));
    total.keys += usage.keys;
    total.valueBytes += usage.valueBytes;
  }
  return total;
}

std::optional<uint64_t> RedisClusterTier::countEntries() {
  try {
    return namespaceUsage().keys;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

uint64_t RedisClusterTier::clearNamespace() {
  std::lock_guard lock(m_mutex);
  if (!refreshSlotMap(redisDeadlineIn(m_options.timeoutMs)))
    throw std::runtime_error("cannot read the cluster's slot map: " + m_lastError);
  uint64_t deleted = 0;
  for (const int node : masters()) {
    RedisConnection& connection = *m_nodes[static_cast<size_t>(node)];
    deleted += rc::unlinkKeys(connection, rc::scanKeys(connection, m_codec.keyPattern()));
  }
  return deleted;
}

}  // namespace kvlab
