// SPDX-License-Identifier: MIT
#include "core/tiers/redis_tier.h"

#include <stdexcept>

namespace kvlab {

namespace rc = redis_commands;

namespace {

RedisConnectionOptions connectionOptions(const RemoteUrl& url, const RedisTierOptions& options) {
  if (url.cluster || url.endpoints.size() != 1)
    throw std::invalid_argument("RedisTier serves one server; redis-cluster:// needs RedisClusterTier");
  if (options.timeoutMs <= 0) throw std::invalid_argument("RedisTier: timeout must be positive");
  return {options.timeoutMs, options.reconnectBackoffMs, url.user, url.password, url.db, url.tls};
}

}  // namespace

RedisTier::RedisTier(RemoteUrl url, BlobLayout layout, RedisTierOptions options)
    : m_codec(std::move(layout)),
      m_options(options),
      m_connection(url.endpoints.empty() ? RemoteEndpoint{} : url.endpoints.front(),
                   connectionOptions(url, options)) {
  ignoreSigpipeIfDefault();
}

RedisTier::~RedisTier() = default;

std::vector<bool> RedisTier::contains(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTransferTimer timer(m_stats.transferNs);
  std::vector<RedisCommand> commands;
  for (uint64_t hash : blockHashes) commands.push_back(rc::existsCommand(m_codec, hash));
  std::vector<RedisReplyPtr> replies;
  const RedisFault fault = m_connection.run(commands, replies, redisDeadlineIn(m_options.timeoutMs));
  std::vector<bool> result(blockHashes.size(), false);
  uint64_t failed = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i])
      result[i] = rc::applyExists(*replies[i], m_stats);
    else
      ++failed;
  }
  rc::countFault(fault, failed, m_stats);
  return result;
}

std::vector<std::optional<std::string>> RedisTier::get(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTransferTimer timer(m_stats.transferNs);
  std::vector<RedisCommand> commands;
  for (uint64_t hash : blockHashes) commands.push_back(rc::getCommand(m_codec, hash));
  std::vector<RedisReplyPtr> replies;
  const RedisFault fault = m_connection.run(commands, replies, redisDeadlineIn(m_options.timeoutMs));
  std::vector<std::optional<std::string>> result(blockHashes.size());
  uint64_t failed = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i]) {
      result[i] = rc::applyGet(*replies[i], m_codec, blockHashes[i], m_stats);
    } else {
      ++failed;
      ++m_stats.misses;
    }
  }
  rc::countFault(fault, failed, m_stats);
  return result;
}

size_t RedisTier::put(std::span<const TierItem> items) {
  std::lock_guard lock(m_mutex);
  ScopedTransferTimer timer(m_stats.transferNs);
  std::vector<RedisCommand> commands;
  for (const TierItem& item : items) commands.push_back(rc::setCommand(m_codec, item, m_options.ttlMs));
  std::vector<RedisReplyPtr> replies;
  const RedisFault fault = m_connection.run(commands, replies, redisDeadlineIn(m_options.timeoutMs));
  size_t stored = 0;
  uint64_t failed = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i])
      ++failed;
    else if (rc::applySet(*replies[i], items[i].payload.size(), m_stats))
      ++stored;
  }
  rc::countFault(fault, failed, m_stats);
  return stored;
}

size_t RedisTier::remove(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTransferTimer timer(m_stats.transferNs);
  std::vector<RedisCommand> commands;
  for (uint64_t hash : blockHashes) commands.push_back(rc::unlinkCommand(m_codec, hash));
  std::vector<RedisReplyPtr> replies;
  const RedisFault fault = m_connection.run(commands, replies, redisDeadlineIn(m_options.timeoutMs));
  size_t removed = 0;
  uint64_t failed = 0;
  for (const auto& reply : replies) {
    if (!reply)
      ++failed;
    else if (rc::applyUnlink(*reply, m_stats))
      ++removed;
  }
  m_stats.removes += removed;
  rc::countFault(fault, failed, m_stats);
  return removed;
}

TierStats RedisTier::stats() const {
  std::lock_guard lock(m_mutex);
  return m_stats;
}

bool RedisTier::backingOff() const {
  std::lock_guard lock(m_mutex);
  return m_connection.breakerOpen();
}

uint64_t RedisTier::roundTrips() const {
  std::lock_guard lock(m_mutex);
  return m_connection.roundTrips();
}

RedisTier::NamespaceUsage RedisTier::namespaceUsage() {
  std::lock_guard lock(m_mutex);
  return rc::measureKeys(m_connection, rc::scanKeys(m_connection, m_codec.keyPattern()));
}

std::optional<uint64_t> RedisTier::countEntries() {
  std::lock_guard lock(m_mutex);
  try {
    return rc::scanKeys(m_connection, m_codec.keyPattern()).size();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

uint64_t RedisTier::clearNamespace() {
  std::lock_guard lock(m_mutex);
  return rc::unlinkKeys(m_connection, rc::scanKeys(m_connection, m_codec.keyPattern()));
}

}  // namespace kvlab
