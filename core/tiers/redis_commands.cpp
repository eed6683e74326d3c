// SPDX-License-Identifier: MIT
#include "core/tiers/redis_commands.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <stdexcept>

namespace kvlab::redis_commands {

RedisCommand existsCommand(const KvBlobCodec& codec, uint64_t blockHash) {
  return {"EXISTS", codec.keyFor(blockHash)};
}

RedisCommand getCommand(const KvBlobCodec& codec, uint64_t blockHash) {
  return {"GET", codec.keyFor(blockHash)};
}

RedisCommand setCommand(const KvBlobCodec& codec, const TierItem& item, int64_t ttlMs) {
  RedisCommand command{"SET", codec.keyFor(item.blockHash), codec.encode(item.blockHash, item.payload)};
  if (ttlMs > 0) {
    command.push_back("PX");
    command.push_back(std::to_string(ttlMs));
  }
  return command;
}

RedisCommand unlinkCommand(const KvBlobCodec& codec, uint64_t blockHash) {
  return {"UNLINK", codec.keyFor(blockHash)};
}

bool applyExists(const redisReply& reply, TierStats& stats) {
  if (reply.type == REDIS_REPLY_INTEGER) return reply.integer > 0;
  ++stats.errors;
  return false;
}

std::optional<std::string> applyGet(const redisReply& reply, const KvBlobCodec& codec, uint64_t blockHash,
                                    TierStats& stats) {
  std::optional<std::string> result;
  if (reply.type == REDIS_REPLY_STRING) {
    const KvBlobCodec::Decoded decoded = codec.decode(std::string_view(reply.str, reply.len), blockHash);
    if (decoded.status == KvBlobCodec::Status::Ok) {
      result = std::string(decoded.payload);
      stats.bytesOut += decoded.payload.size();
    } else {
      ++stats.corrupt;
    }
  } else if (reply.type != REDIS_REPLY_NIL) {
    ++stats.errors;  // e.g. WRONGTYPE: someone stored a non-string under our key
  }
  if (result)
    ++stats.hits;
  else
    ++stats.misses;
  return result;
}

bool applySet(const redisReply& reply, size_t payloadBytes, TierStats& stats) {
  if (reply.type == REDIS_REPLY_STATUS) {
    ++stats.puts;
    stats.bytesIn += payloadBytes;
    return true;
  }
  ++stats.errors;  // e.g. OOM: the server is full under a noeviction policy
  return false;
}

bool applyUnlink(const redisReply& reply, TierStats& stats) {
  if (reply.type == REDIS_REPLY_INTEGER) return reply.integer > 0;
  ++stats.errors;
  return false;
}

void countFault(RedisFault fault, uint64_t blocks, TierStats& stats) {
  if (fault == RedisFault::Timeout)
    stats.timeouts += blocks;
  else if (fault == RedisFault::Error)
    stats.errors += blocks;
}

std::vector<std::string> scanKeys(RedisConnection& connection, const std::string& pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    std::vector<RedisReplyPtr> replies;
    if (connection.run({{"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"}}, replies) != RedisFault::None)
      throw std::runtime_error(connection.lastError());
    const redisReply* r = replies.front().get();
    if (r->type == REDIS_REPLY_ERROR)
      throw std::runtime_error("Redis " + connection.address() + ": " + std::string(r->str, r->len));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY)
      throw std::runtime_error("Redis " + connection.address() + ": unexpected SCAN reply");
    cursor.assign(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      const redisReply* key = r->element[1]->element[i];
      keys.emplace_back(key->str, key->len);
    }
  } while (cursor != "0");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

namespace {

std::vector<RedisReplyPtr> runOrThrow(RedisConnection& connection, const std::string& verb,
                                      const std::vector<std::string>& keys) {
  std::vector<RedisCommand> commands;
  commands.reserve(keys.size());
  for (const std::string& key : keys) commands.push_back({verb, key});
  std::vector<RedisReplyPtr> replies;
  if (connection.run(commands, replies) != RedisFault::None) throw std::runtime_error(connection.lastError());
  return replies;
}

}  // namespace

KeyUsage measureKeys(RedisConnection& connection, const std::vector<std::string>& keys) {
  KeyUsage usage;
  for (const auto& reply : runOrThrow(connection, "STRLEN", keys)) {
    if (reply->type != REDIS_REPLY_INTEGER || reply->integer <= 0) continue;  // expired meanwhile
    ++usage.keys;
    usage.valueBytes += static_cast<uint64_t>(reply->integer);
  }
  return usage;
}

uint64_t unlinkKeys(RedisConnection& connection, const std::vector<std::string>& keys) {
  uint64_t deleted = 0;
  for (const auto& reply : runOrThrow(connection, "UNLINK", keys))
    if (reply->type == REDIS_REPLY_INTEGER) deleted += static_cast<uint64_t>(reply->integer);
  return deleted;
}

}  // namespace kvlab::redis_commands
