// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tiers/remote_url.h"

struct redisContext;
struct redisReply;

namespace kvlab {

// Why a round trip failed: Error = refused / reset / auth / protocol, Timeout = ran past the time-out.
enum class RedisFault { None, Error, Timeout };

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;
using RedisCommand = std::vector<std::string>;  // argv, binary-safe

struct RedisConnectionOptions {
  int timeoutMs = 50;            // per connect and per socket read/write
  int reconnectBackoffMs = 200;  // after a failed connect, fail at once for this long
  std::string user;              // AUTH user ("" = default user)
  std::string password;          // "" = no AUTH
  int db = 0;                    // SELECT on connect when != 0
};

// One hiredis connection to one Redis server (blocking API with time-outs), shared by RedisTier (one
// server) and RedisClusterTier (one per cluster node). Opened lazily, AUTH/SELECT pipelined on connect,
// dropped on any fault (a timed-out stream is in an unknown state) and reopened on the next call once the
// back-off has passed. Not thread-safe: the owning tier serialises calls.
//
// A pipeline is split in two halves so that a cluster tier can write one batch to every node before it
// reads any replies (the nodes work in parallel, one round trip per node per batch):
//   send(commands) writes all commands; receive(n, replies) reads n replies. run() does both.
class RedisConnection {
public:
  RedisConnection(RemoteEndpoint endpoint, RedisConnectionOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Writes every command to the socket (connecting first if needed).
  RedisFault send(const std::vector<RedisCommand>& commands);
  // Reads `count` replies in order. On a fault the replies not received are null and the connection is
  // dropped; the return value says why. Counts one round trip.
  RedisFault receive(size_t count, std::vector<RedisReplyPtr>& replies);
  // send + receive: one pipelined round trip.
  RedisFault run(const std::vector<RedisCommand>& commands, std::vector<RedisReplyPtr>& replies);

  void disconnect();
  const RemoteEndpoint& endpoint() const { return m_endpoint; }
  std::string address() const;  // "host:port"
  const std::string& lastError() const { return m_lastError; }
  uint64_t roundTrips() const { return m_roundTrips; }  // receive() calls that read at least one reply

private:
  RedisFault connect();
  RedisFault fail(RedisFault fault, std::string message);

  RemoteEndpoint m_endpoint;
  RedisConnectionOptions m_options;
  redisContext* m_context = nullptr;
  std::chrono::steady_clock::time_point m_nextConnectAttempt{};
  std::string m_lastError;
  uint64_t m_roundTrips = 0;
};

// Redis closing a socket makes the next write raise SIGPIPE, which would kill the process: sets SIGPIPE
// to ignored if it still has its default disposition (called by the tiers' constructors).
void ignoreSigpipeIfDefault();

// Adds the wall time of its scope to a nanosecond counter (TierStats::transferNs).
class ScopedTransferTimer {
public:
  explicit ScopedTransferTimer(uint64_t& sinkNs)
      : m_sink(sinkNs), m_start(std::chrono::steady_clock::now()) {}
  ~ScopedTransferTimer() {
    m_sink += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - m_start)
            .count());
  }
  ScopedTransferTimer(const ScopedTransferTimer&) = delete;
  ScopedTransferTimer& operator=(const ScopedTransferTimer&) = delete;

private:
  uint64_t& m_sink;
  std::chrono::steady_clock::time_point m_start;
};

}  // namespace kvlab
