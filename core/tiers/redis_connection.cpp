// SPDX-License-Identifier: MIT
#include "core/tiers/redis_connection.h"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <csignal>

namespace kvlab {

namespace {

timeval toTimeval(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

// hiredis 0.14 reports a socket time-out as REDIS_ERR_IO with errno EAGAIN (read/write time-out) or
// ETIMEDOUT / EINPROGRESS (connect time-out).
bool isTimeout(int err, int savedErrno) {
  return err == REDIS_ERR_IO && (savedErrno == EAGAIN || savedErrno == EWOULDBLOCK ||
                                 savedErrno == ETIMEDOUT || savedErrno == EINPROGRESS);
}

}  // namespace

void RedisReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

void ignoreSigpipeIfDefault() {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);
  }
}

RedisConnection::RedisConnection(RemoteEndpoint endpoint, RedisConnectionOptions options)
    : m_endpoint(std::move(endpoint)), m_options(std::move(options)) {}

RedisConnection::~RedisConnection() { disconnect(); }

std::string RedisConnection::address() const {
  return m_endpoint.host + ":" + std::to_string(m_endpoint.port);
}

void RedisConnection::disconnect() {
  if (m_context != nullptr) redisFree(m_context);
  m_context = nullptr;
}

RedisFault RedisConnection::fail(RedisFault fault, std::string message) {
  m_lastError = std::move(message);
  disconnect();  // the stream is in an unknown state: never reuse it
  return fault;
}

RedisFault RedisConnection::connect() {
  if (m_context != nullptr) return RedisFault::None;
  const auto now = std::chrono::steady_clock::now();
  if (now < m_nextConnectAttempt) return RedisFault::Error;  // still backing off after a failed connect
  const auto failConnect = [&](RedisFault fault, std::string message) {
    m_nextConnectAttempt =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(m_options.reconnectBackoffMs);
    return fail(fault, std::move(message));
  };
  errno = 0;
  m_context =
      redisConnectWithTimeout(m_endpoint.host.c_str(), m_endpoint.port, toTimeval(m_options.timeoutMs));
  const int savedErrno = errno;
  if (m_context == nullptr) return failConnect(RedisFault::Error, "cannot allocate a Redis context");
  if (m_context->err != 0)
    return failConnect(isTimeout(m_context->err, savedErrno) ? RedisFault::Timeout : RedisFault::Error,
                       "cannot connect to " + address() + ": " + m_context->errstr);
  redisSetTimeout(m_context, toTimeval(m_options.timeoutMs));

  // AUTH and SELECT, pipelined, on the fresh connection.
  std::vector<RedisCommand> setup;
  if (!m_options.password.empty()) {
    if (m_options.user.empty())
      setup.push_back({"AUTH", m_options.password});
    else
      setup.push_back({"AUTH", m_options.user, m_options.password});
  }
  if (m_options.db != 0) setup.push_back({"SELECT", std::to_string(m_options.db)});
  if (setup.empty()) return RedisFault::None;
  std::vector<RedisReplyPtr> replies;
  const RedisFault fault = run(setup, replies);
  if (fault != RedisFault::None) return failConnect(fault, m_lastError);
  for (const auto& reply : replies)
    if (reply->type == REDIS_REPLY_ERROR)
      return failConnect(RedisFault::Error, "Redis " + address() + " refused the connection set-up: " +
                                                std::string(reply->str, reply->len));
  return RedisFault::None;
}

RedisFault RedisConnection::send(const std::vector<RedisCommand>& commands) {
  if (commands.empty()) return RedisFault::None;
  if (const RedisFault fault = connect(); fault != RedisFault::None) return fault;
  std::vector<const char*> argv;
  std::vector<size_t> argvLen;
  for (const RedisCommand& command : commands) {
    argv.clear();
    argvLen.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      argvLen.push_back(arg.size());
    }
    if (redisAppendCommandArgv(m_context, static_cast<int>(argv.size()), argv.data(), argvLen.data()) !=
        REDIS_OK)
      return fail(RedisFault::Error, "Redis " + address() + ": " + m_context->errstr);
  }
  // Flush the whole batch now, so that the server starts on it while the caller writes to other nodes.
  int done = 0;
  while (done == 0) {
    errno = 0;
    if (redisBufferWrite(m_context, &done) != REDIS_OK) {
      const int savedErrno = errno;
      return fail(isTimeout(m_context->err, savedErrno) ? RedisFault::Timeout : RedisFault::Error,
                  "Redis " + address() + ": " + m_context->errstr);
    }
  }
  return RedisFault::None;
}

RedisFault RedisConnection::receive(size_t count, std::vector<RedisReplyPtr>& replies) {
  replies.clear();
  replies.resize(count);
  if (count == 0) return RedisFault::None;
  if (m_context == nullptr) {
    if (m_lastError.empty()) m_lastError = "Redis " + address() + ": not connected";
    return RedisFault::Error;
  }
  ++m_roundTrips;
  for (size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(m_context, &raw) != REDIS_OK || raw == nullptr) {
      const int savedErrno = errno;
      const RedisFault fault =
          isTimeout(m_context->err, savedErrno) ? RedisFault::Timeout : RedisFault::Error;
      if (raw != nullptr) freeReplyObject(raw);
      return fail(fault, "Redis " + address() + ": " + m_context->errstr);
    }
    replies[i].reset(static_cast<redisReply*>(raw));
  }
  return RedisFault::None;
}

RedisFault RedisConnection::run(const std::vector<RedisCommand>& commands,
                                std::vector<RedisReplyPtr>& replies) {
  replies.clear();
  replies.resize(commands.size());
  if (const RedisFault fault = send(commands); fault != RedisFault::None) return fault;
  return receive(commands.size(), replies);
}

}  // namespace kvlab
