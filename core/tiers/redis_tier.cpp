// SPDX-License-Identifier: MIT
#include "core/tiers/redis_tier.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <stdexcept>

namespace kvlab {

struct RedisTier::Reply {
  explicit Reply(redisReply* r) : reply(r) {}
  ~Reply() { freeReplyObject(reply); }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  redisReply* reply;
};

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

void ignoreSigpipeIfDefault() {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);
  }
}

class ScopedTimer {
public:
  explicit ScopedTimer(uint64_t& sinkNs) : m_sink(sinkNs), m_start(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() {
    m_sink += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - m_start)
            .count());
  }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

private:
  uint64_t& m_sink;
  std::chrono::steady_clock::time_point m_start;
};

}  // namespace

RedisTier::RedisTier(RemoteUrl url, BlobLayout layout, RedisTierOptions options)
    : m_url(std::move(url)), m_codec(std::move(layout)), m_options(options) {
  if (m_url.cluster || m_url.endpoints.size() != 1)
    throw std::invalid_argument("RedisTier serves one server; redis-cluster:// needs the cluster tier");
  if (m_options.timeoutMs <= 0) throw std::invalid_argument("RedisTier: timeout must be positive");
  ignoreSigpipeIfDefault();
}

RedisTier::~RedisTier() { disconnect(); }

void RedisTier::disconnect() {
  if (m_context != nullptr) redisFree(m_context);
  m_context = nullptr;
}

RedisTier::Fault RedisTier::connect() {
  if (m_context != nullptr) return Fault::None;
  const auto now = std::chrono::steady_clock::now();
  if (now < m_nextConnectAttempt) return Fault::Error;  // still backing off after a failed connect
  const auto fail = [&](Fault fault, std::string message) {
    m_lastError = std::move(message);
    disconnect();
    m_nextConnectAttempt =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(m_options.reconnectBackoffMs);
    return fault;
  };
  const RemoteEndpoint& endpoint = m_url.endpoints.front();
  m_context = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, toTimeval(m_options.timeoutMs));
  const int savedErrno = errno;
  if (m_context == nullptr) return fail(Fault::Error, "cannot allocate a Redis context");
  if (m_context->err != 0)
    return fail(isTimeout(m_context->err, savedErrno) ? Fault::Timeout : Fault::Error,
                std::string("cannot connect to ") + m_url.redacted() + ": " + m_context->errstr);
  redisSetTimeout(m_context, toTimeval(m_options.timeoutMs));

  // AUTH and SELECT, pipelined, on the fresh connection.
  std::vector<Command> setup;
  if (!m_url.password.empty()) {
    if (m_url.user.empty())
      setup.push_back({"AUTH", m_url.password});
    else
      setup.push_back({"AUTH", m_url.user, m_url.password});
  }
  if (m_url.db != 0) setup.push_back({"SELECT", std::to_string(m_url.db)});
  if (setup.empty()) return Fault::None;
  std::vector<std::unique_ptr<Reply>> replies;
  const Fault fault = runPipeline(setup, replies);
  if (fault != Fault::None) return fail(fault, m_lastError);
  for (const auto& reply : replies)
    if (reply->reply->type == REDIS_REPLY_ERROR)
      return fail(Fault::Error, std::string("Redis refused the connection set-up: ") + reply->reply->str);
  return Fault::None;
}

RedisTier::Fault RedisTier::runPipeline(const std::vector<Command>& commands,
                                        std::vector<std::unique_ptr<Reply>>& replies) {
  replies.clear();
  replies.resize(commands.size());
  if (commands.empty()) return Fault::None;
  if (const Fault fault = connect(); fault != Fault::None) return fault;
  std::vector<const char*> argv;
  std::vector<size_t> argvLen;
  for (const Command& command : commands) {
    argv.clear();
    argvLen.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      argvLen.push_back(arg.size());
    }
    if (redisAppendCommandArgv(m_context, static_cast<int>(argv.size()), argv.data(), argvLen.data()) !=
        REDIS_OK) {
      m_lastError = m_context->errstr;
      disconnect();
      return Fault::Error;
    }
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(m_context, &raw) != REDIS_OK || raw == nullptr) {
      const int savedErrno = errno;
      const Fault fault = isTimeout(m_context->err, savedErrno) ? Fault::Timeout : Fault::Error;
      m_lastError = std::string("Redis ") + m_url.redacted() + ": " + m_context->errstr;
      if (raw != nullptr) freeReplyObject(raw);
      disconnect();  // the stream is in an unknown state: never reuse it
      return fault;
    }
    replies[i] = std::make_unique<Reply>(static_cast<redisReply*>(raw));
  }
  return Fault::None;
}

void RedisTier::countFault(Fault fault, uint64_t blocks) {
  if (fault == Fault::Timeout)
    m_stats.timeouts += blocks;
  else if (fault == Fault::Error)
    m_stats.errors += blocks;
}

std::vector<bool> RedisTier::contains(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTimer timer(m_stats.transferNs);
  std::vector<Command> commands;
  for (uint64_t hash : blockHashes) commands.push_back({"EXISTS", m_codec.keyFor(hash)});
  std::vector<std::unique_ptr<Reply>> replies;
  const Fault fault = runPipeline(commands, replies);
  std::vector<bool> result(blockHashes.size(), false);
  uint64_t failed = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i]) {
      ++failed;
      continue;
    }
    const redisReply* r = replies[i]->reply;
    if (r->type == REDIS_REPLY_INTEGER)
      result[i] = r->integer > 0;
    else
      ++m_stats.errors;
  }
  countFault(fault, failed);
  return result;
}

std::vector<std::optional<std::string>> RedisTier::get(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTimer timer(m_stats.transferNs);
  std::vector<Command> commands;
  for (uint64_t hash : blockHashes) commands.push_back({"GET", m_codec.keyFor(hash)});
  std::vector<std::unique_ptr<Reply>> replies;
  const Fault fault = runPipeline(commands, replies);
  std::vector<std::optional<std::string>> result(blockHashes.size());
  uint64_t failed = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i]) {
      ++failed;
    } else if (const redisReply* r = replies[i]->reply; r->type == REDIS_REPLY_STRING) {
      const KvBlobCodec::Decoded decoded = m_codec.decode(std::string_view(r->str, r->len));
      if (decoded.status == KvBlobCodec::Status::Ok) {
        result[i] = std::string(decoded.payload);
        m_stats.bytesOut += decoded.payload.size();
      } else {
        ++m_stats.corrupt;
      }
    } else if (r->type != REDIS_REPLY_NIL) {
      ++m_stats.errors;  // e.g. WRONGTYPE: someone stored a non-string under our key
    }
    if (result[i])
      ++m_stats.hits;
    else
      ++m_stats.misses;
  }
  countFault(fault, failed);
  return result;
}

size_t RedisTier::put(std::span<const TierItem> items) {
  std::lock_guard lock(m_mutex);
  ScopedTimer timer(m_stats.transferNs);
  std::vector<Command> commands;
  for (const TierItem& item : items) {
    Command command{"SET", m_codec.keyFor(item.blockHash), m_codec.encode(item.payload)};
    if (m_options.ttlMs > 0) {
      command.push_back("PX");
      command.push_back(std::to_string(m_options.ttlMs));
    }
    commands.push_back(std::move(command));
  }
  std::vector<std::unique_ptr<Reply>> replies;
  const Fault fault = runPipeline(commands, replies);
  size_t stored = 0;
  uint64_t failed = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i]) {
      ++failed;
    } else if (replies[i]->reply->type == REDIS_REPLY_STATUS) {
      ++stored;
      ++m_stats.puts;
      m_stats.bytesIn += items[i].payload.size();
    } else {
      ++m_stats.errors;  // e.g. OOM: the server is full under a noeviction policy
    }
  }
  countFault(fault, failed);
  return stored;
}

size_t RedisTier::remove(std::span<const uint64_t> blockHashes) {
  std::lock_guard lock(m_mutex);
  ScopedTimer timer(m_stats.transferNs);
  std::vector<Command> commands;
  for (uint64_t hash : blockHashes) commands.push_back({"UNLINK", m_codec.keyFor(hash)});
  std::vector<std::unique_ptr<Reply>> replies;
  const Fault fault = runPipeline(commands, replies);
  size_t removed = 0;
  uint64_t failed = 0;
  for (const auto& reply : replies) {
    if (!reply)
      ++failed;
    else if (reply->reply->type == REDIS_REPLY_INTEGER)
      removed += reply->reply->integer > 0 ? 1 : 0;
    else
      ++m_stats.errors;
  }
  m_stats.removes += removed;
  countFault(fault, failed);
  return removed;
}

TierStats RedisTier::stats() const {
  std::lock_guard lock(m_mutex);
  return m_stats;
}

std::vector<std::string> RedisTier::scanNamespace() {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    std::vector<std::unique_ptr<Reply>> replies;
    if (runPipeline({{"SCAN", cursor, "MATCH", m_codec.keyPattern(), "COUNT", "1000"}}, replies) !=
        Fault::None)
      throw std::runtime_error(m_lastError);
    const redisReply* r = replies.front()->reply;
    if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error(std::string("Redis: ") + r->str);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY)
      throw std::runtime_error("Redis: unexpected SCAN reply");
    cursor.assign(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      const redisReply* key = r->element[1]->element[i];
      keys.emplace_back(key->str, key->len);
    }
  } while (cursor != "0");
  return keys;
}

RedisTier::NamespaceUsage RedisTier::namespaceUsage() {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> keys = scanNamespace();
  std::sort(keys.begin(), keys.end());  // SCAN may return a key more than once
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<Command> commands;
  for (const std::string& key : keys) commands.push_back({"STRLEN", key});
  std::vector<std::unique_ptr<Reply>> replies;
  if (runPipeline(commands, replies) != Fault::None) throw std::runtime_error(m_lastError);
  NamespaceUsage usage;
  for (const auto& reply : replies) {
    if (reply->reply->type != REDIS_REPLY_INTEGER || reply->reply->integer <= 0) continue;  // expired
    ++usage.keys;
    usage.valueBytes += static_cast<uint64_t>(reply->reply->integer);
  }
  return usage;
}

uint64_t RedisTier::clearNamespace() {
  std::lock_guard lock(m_mutex);
  const std::vector<std::string> keys = scanNamespace();
  std::vector<Command> commands;
  for (const std::string& key : keys) commands.push_back({"UNLINK", key});
  std::vector<std::unique_ptr<Reply>> replies;
  if (runPipeline(commands, replies) != Fault::None) throw std::runtime_error(m_lastError);
  uint64_t deleted = 0;
  for (const auto& reply : replies)
    if (reply->reply->type == REDIS_REPLY_INTEGER) deleted += static_cast<uint64_t>(reply->reply->integer);
  return deleted;
}

}  // namespace kvlab
