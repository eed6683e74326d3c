// SPDX-License-Identifier: MIT
#pragma once
// The commands the Redis tiers send for each block and how each reply is counted, shared by RedisTier
// (one server) and RedisClusterTier (the cluster tier first filters out MOVED/ASK redirects, then
// applies the same accounting). Every apply*() takes a non-null reply and updates `stats` exactly as the
// TierStats contract says.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tiers/kv_blob_codec.h"
#include "core/tiers/remote_kv_store.h"
#include "core/tiers/redis_connection.h"
#include "core/tiers/tier_stats.h"

namespace kvlab::redis_commands {

RedisCommand existsCommand(const KvBlobCodec& codec, uint64_t blockHash);
RedisCommand getCommand(const KvBlobCodec& codec, uint64_t blockHash);
// SET key blob [PX ttlMs] (a Redis expiry) when ttlMs > 0.
RedisCommand setCommand(const KvBlobCodec& codec, const TierItem& item, int64_t ttlMs);
RedisCommand unlinkCommand(const KvBlobCodec& codec, uint64_t blockHash);

// contains(): true if the key exists; an error reply counts an error.
bool applyExists(const redisReply& reply, TierStats& stats);
// get() of block blockHash: the validated payload or nullopt; counts hits/misses, bytesOut, corrupt (a
// blob of another layout or another block included), errors.
std::optional<std::string> applyGet(const redisReply& reply, const KvBlobCodec& codec, uint64_t blockHash,
                                    TierStats& stats);
// put(): true if stored; counts puts and bytesIn, or an error (e.g. OOM when the server is full).
bool applySet(const redisReply& reply, size_t payloadBytes, TierStats& stats);
// remove(): true if a key was removed (removes counted by the caller); an error reply counts an error.
bool applyUnlink(const redisReply& reply, TierStats& stats);

// Blocks whose reply never arrived: counted as time-outs or errors by the fault.
void countFault(RedisFault fault, uint64_t blocks, TierStats& stats);

// Every key matching `pattern` on the server behind `connection` (SCAN MATCH, COUNT 1000), sorted and
// de-duplicated (SCAN may return a key twice). Throws std::runtime_error with the server's message.
std::vector<std::string> scanKeys(RedisConnection& connection, const std::string& pattern);

struct KeyUsage {
  uint64_t keys = 0;
  uint64_t valueBytes = 0;  // sum of the values' sizes (blob headers included)
};
// STRLEN of each key in one pipelined round trip; keys that expired meanwhile are not counted.
// Throws std::runtime_error.
KeyUsage measureKeys(RedisConnection& connection, const std::vector<std::string>& keys);
// UNLINK of each key in one pipelined round trip; returns the number deleted. Throws std::runtime_error.
uint64_t unlinkKeys(RedisConnection& connection, const std::vector<std::string>& keys);

}  // namespace kvlab::redis_commands
