// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/tiers/remote_url.h"

struct redisReader;
struct redisReply;

namespace kvlab {

// Why a round trip failed: Error = refused / reset / auth / protocol / TLS / circuit open, Timeout = ran
// past the operation's deadline.
enum class RedisFault { None, Error, Timeout };

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;
using RedisCommand = std::vector<std::string>;  // argv, binary-safe
using RedisDeadline = std::chrono::steady_clock::time_point;

struct RedisConnectionOptions {
  int timeoutMs = 50;             // a lab operation's deadline (the callers make one per batch)
  int reconnectBackoffMs = 1000;  // circuit breaker: the first back-off after a fault (doubling, <= 30 s)
  std::string user;               // AUTH user ("" = default user)
  std::string password;           // "" = no AUTH
  int db = 0;                     // SELECT on connect when != 0
  RemoteTls tls;                  // TLS (rediss://) when enabled
};

// One connection to one Redis server, shared by RedisTier (one server) and RedisClusterTier (one per cluster
// node). Our own non-blocking socket (and OpenSSL session for rediss://) polled against a deadline, with
// hiredis' command formatter and reply parser: every wait is bounded by the deadline of the whole lab
// operation, never per socket read, and a cluster batch waits on all its nodes at once (exchange()).
// Connect, TLS handshake and AUTH/SELECT (pipelined in front of the first batch) count against the same
// deadline. Dropped on any fault (a timed-out stream is in an unknown state). Not thread-safe: the owning
// tier serialises calls.
//
// Circuit breaker: a fault (time-out, refused, reset, set-up refused) opens it: for a back-off that starts
// at reconnectBackoffMs and doubles with each further consecutive fault (capped at 30 s), usable() is
// false and callers fail at once instead of paying the time-out again. After the back-off the next call is
// a trial; a good exchange closes the breaker. A server that accepts connections but stalls therefore
// costs one time-out per back-off, not one per call.
class RedisConnection {
public:
  static constexpr int kMaxBackoffMs = 30'000;

  // Throws InputError (field "remote") for a TLS connection this build cannot make.
  RedisConnection(RemoteEndpoint endpoint, RedisConnectionOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // False while the circuit breaker is open (the caller fails the operation at once).
  bool usable() const;
  bool breakerOpen() const { return !usable(); }
  std::uint64_t breakerTrips() const { return m_breakerTrips; }  // faults that opened it

  // Adds commands to this connection's next exchange.
  void queue(const std::vector<RedisCommand>& commands);
  // Runs every connection's queued commands in parallel until each has all its replies or the deadline
  // passes: connects (TCP, TLS, AUTH/SELECT) where needed, writes, reads, all sockets polled together.
  // Afterwards each connection's fault() says how it went and takeReplies() hands over its replies.
  static void exchange(std::span<RedisConnection* const> connections, RedisDeadline deadline);
  RedisFault fault() const { return m_fault; }
  // One reply per queued command, in order; null where none arrived.
  std::vector<RedisReplyPtr> takeReplies();

  // queue + exchange on this one connection; a connection whose breaker is open fails at once.
  RedisFault run(const std::vector<RedisCommand>& commands, std::vector<RedisReplyPtr>& replies,
                 RedisDeadline deadline);
  // The same with a deadline of one time-out from now (maintenance: each SCAN page is its own operation).
  RedisFault run(const std::vector<RedisCommand>& commands, std::vector<RedisReplyPtr>& replies);

  void disconnect();
  const RemoteEndpoint& endpoint() const { return m_endpoint; }
  std::string address() const;  // "host:port"
  const std::string& lastError() const { return m_lastError; }
  std::uint64_t roundTrips() const { return m_roundTrips; }  // exchanges that sent at least one command

private:
  enum class Phase { Closed, Connecting, Handshaking, Ready };
  enum class Step { Done, WantRead, WantWrite, Failed };
  void startConnect();
  Step step();  // progress without blocking; Done once every queued reply has arrived
  Step stepConnect();
  Step stepHandshake();
  Step stepIo();
  Step failStep(RedisFault fault, std::string message);
  void finish(RedisFault fault);

  RemoteEndpoint m_endpoint;
  RedisConnectionOptions m_options;
  Phase m_phase = Phase::Closed;
  int m_fd = -1;
  struct Tls;
  std::unique_ptr<Tls> m_tls;  // the OpenSSL context and session (rediss://)
  redisReader* m_reader = nullptr;
  std::string m_out;               // formatted commands not yet written
  std::size_t m_setupReplies = 0;  // AUTH/SELECT replies expected in front of the batch's
  std::size_t m_queued = 0;        // the batch's commands
  std::vector<RedisReplyPtr> m_replies;
  std::size_t m_received = 0;  // replies received, set-up ones included
  RedisFault m_fault = RedisFault::None;
  std::string m_lastError;
  std::uint64_t m_roundTrips = 0;
  int m_consecutiveFaults = 0;
  std::uint64_t m_breakerTrips = 0;
  std::chrono::steady_clock::time_point m_openUntil{};
};

// Redis closing a socket makes the next write raise SIGPIPE, which would kill the process: sets SIGPIPE
// to ignored if it still has its default disposition (called by the tiers' constructors).
void ignoreSigpipeIfDefault();

// A deadline timeoutMs from now.
inline RedisDeadline redisDeadlineIn(int timeoutMs) {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
}

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
