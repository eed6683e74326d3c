// SPDX-License-Identifier: MIT
#include "core/tiers/redis_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/util/input_error.h"

#if KVLAB_HAVE_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

namespace kvlab {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

int msUntil(RedisDeadline deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
          .count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left + 1, 1'000'000));  // round up
}

std::string errnoText(int err) { return std::strerror(err); }

#if KVLAB_HAVE_TLS
std::string tlsErrorText() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "TLS error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}
#endif

}  // namespace

struct RedisConnection::Tls {
#if KVLAB_HAVE_TLS
  SSL_CTX* context = nullptr;
  SSL* session = nullptr;
  ~Tls() {
    if (session != nullptr) SSL_free(session);
    if (context != nullptr) SSL_CTX_free(context);
  }
#endif
};

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
    : m_endpoint(std::move(endpoint)), m_options(std::move(options)) {
  if (!m_options.tls.enabled) return;
#if KVLAB_HAVE_TLS
  m_tls = std::make_unique<Tls>();
  m_tls->context = SSL_CTX_new(TLS_client_method());
  if (m_tls->context == nullptr)
    throw InputError("", 0, "remote", "cannot create a TLS context: " + tlsErrorText());
  SSL_CTX_set_min_proto_version(m_tls->context, TLS1_2_VERSION);
  // Non-blocking writes: a retried SSL_write may come back with fewer bytes left (partial writes done).
  SSL_CTX_set_mode(m_tls->context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(m_tls->context, SSL_VERIFY_PEER, nullptr);
  const RemoteTls& tls = m_options.tls;
  const bool caLoaded = tls.caFile.empty()
                            ? SSL_CTX_set_default_verify_paths(m_tls->context) == 1
                            : SSL_CTX_load_verify_locations(m_tls->context, tls.caFile.c_str(), nullptr) == 1;
  if (!caLoaded)
    throw InputError(
        "", 0, "remote",
        "cannot load the TLS CA certificates " + quoteForError(tls.caFile, 200) + ": " + tlsErrorText());
  if (!tls.certFile.empty() &&
      (SSL_CTX_use_certificate_chain_file(m_tls->context, tls.certFile.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(m_tls->context, (tls.keyFile.empty() ? tls.certFile : tls.keyFile).c_str(),
                                   SSL_FILETYPE_PEM) != 1))
    throw InputError(
        "", 0, "remote",
        "cannot load the TLS client certificate " + quoteForError(tls.certFile, 200) + ": " + tlsErrorText());
#else
  throw InputError("", 0, "remote",
                   "rediss:// needs TLS, and this build has none (OpenSSL's libssl was not found)");
#endif
}

RedisConnection::~RedisConnection() { disconnect(); }

std::string RedisConnection::address() const {
  return m_endpoint.host + ":" + std::to_string(m_endpoint.port);
}

bool RedisConnection::usable() const {
  return m_consecutiveFaults == 0 || std::chrono::steady_clock::now() >= m_openUntil;
}

void RedisConnection::disconnect() {
#if KVLAB_HAVE_TLS
  if (m_tls && m_tls->session != nullptr) {
    SSL_free(m_tls->session);
    m_tls->session = nullptr;
  }
#endif
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
  if (m_reader != nullptr) redisReaderFree(m_reader);
  m_reader = nullptr;
  m_phase = Phase::Closed;
  m_out.clear();
  m_setupReplies = 0;
}

void RedisConnection::queue(const std::vector<RedisCommand>& commands) {
  const auto append = [this](const RedisCommand& command) {
    std::vector<const char*> argv;
    std::vector<size_t> argvLen;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      argvLen.push_back(arg.size());
    }
    char* formatted = nullptr;
    const int length =
        redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), argvLen.data());
    if (length > 0) m_out.append(formatted, static_cast<size_t>(length));
    redisFreeCommand(formatted);
  };
  // A fresh connection sends AUTH and SELECT first, in the same pipeline (one round trip).
  if (m_phase == Phase::Closed && m_out.empty() && m_queued == 0) {
    if (!m_options.password.empty()) {
      append(m_options.user.empty() ? RedisCommand{"AUTH", m_options.password}
                                    : RedisCommand{"AUTH", m_options.user, m_options.password});
      ++m_setupReplies;
    }
    if (m_options.db != 0) {
      append({"SELECT", std::to_string(m_options.db)});
      ++m_setupReplies;
    }
  }
  for (const RedisCommand& command : commands) append(command);
  m_queued += commands.size();
}

std::vector<RedisReplyPtr> RedisConnection::takeReplies() {
  std::vector<RedisReplyPtr> replies = std::move(m_replies);
  replies.resize(m_queued);
  m_replies.clear();
  m_queued = 0;
  m_received = 0;
  return replies;
}

void RedisConnection::startConnect() {
  m_fault = RedisFault::None;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc =
      ::getaddrinfo(m_endpoint.host.c_str(), std::to_string(m_endpoint.port).c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    failStep(RedisFault::Error, "cannot resolve " + address() + ": " + gai_strerror(rc));
    return;
  }
  m_fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
  if (m_fd < 0) {
    ::freeaddrinfo(found);
    failStep(RedisFault::Error, "cannot create a socket: " + errnoText(errno));
    return;
  }
  const int one = 1;
  ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int connected = ::connect(m_fd, found->ai_addr, found->ai_addrlen);
  const int err = errno;
  ::freeaddrinfo(found);
  if (connected != 0 && err != EINPROGRESS) {
    failStep(RedisFault::Error, "cannot connect to " + address() + ": " + errnoText(err));
    return;
  }
  m_reader = redisReaderCreate();
  m_phase = Phase::Connecting;
}

RedisConnection::Step RedisConnection::failStep(RedisFault fault, std::string message) {
  m_fault = fault;
  m_lastError = std::move(message);
  return Step::Failed;
}

RedisConnection::Step RedisConnection::stepConnect() {
  pollfd pfd{m_fd, POLLOUT, 0};
  if (::poll(&pfd, 1, 0) <= 0) return Step::WantWrite;
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return failStep(RedisFault::Error, "cannot connect to " + address() + ": " + errnoText(err));
  if (!m_options.tls.enabled) {
    m_phase = Phase::Ready;
    return stepIo();
  }
#if KVLAB_HAVE_TLS
  m_tls->session = SSL_new(m_tls->context);
  if (m_tls->session == nullptr || SSL_set_fd(m_tls->session, m_fd) != 1)
    return failStep(RedisFault::Error, "Redis " + address() + ": " + tlsErrorText());
  // The certificate must name the host we asked for (an IP address is matched as one).
  in6_addr ip{};
  const bool isIp = ::inet_pton(AF_INET, m_endpoint.host.c_str(), &ip) == 1 ||
                    ::inet_pton(AF_INET6, m_endpoint.host.c_str(), &ip) == 1;
  X509_VERIFY_PARAM* param = SSL_get0_param(m_tls->session);
  if (isIp) {
    X509_VERIFY_PARAM_set1_ip_asc(param, m_endpoint.host.c_str());
  } else {
    SSL_set_tlsext_host_name(m_tls->session, m_endpoint.host.c_str());
    X509_VERIFY_PARAM_set1_host(param, m_endpoint.host.c_str(), 0);
  }
  m_phase = Phase::Handshaking;
  return stepHandshake();
#else
  return failStep(RedisFault::Error, "no TLS in this build");
#endif
}

RedisConnection::Step RedisConnection::stepHandshake() {
#if KVLAB_HAVE_TLS
  const int rc = SSL_connect(m_tls->session);
  if (rc == 1) {
    m_phase = Phase::Ready;
    return stepIo();
  }
  switch (SSL_get_error(m_tls->session, rc)) {
    case SSL_ERROR_WANT_READ:
      return Step::WantRead;
    case SSL_ERROR_WANT_WRITE:
      return Step::WantWrite;
    default: {
      const long verify = SSL_get_verify_result(m_tls->session);
      std::string why = tlsErrorText();
      if (verify != X509_V_OK) why += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
      return failStep(RedisFault::Error, "TLS handshake with " + address() + " failed: " + why);
    }
  }
#else
  return Step::Failed;
#endif
}

RedisConnection::Step RedisConnection::stepIo() {
  // Write what is pending.
  while (!m_out.empty()) {
    ssize_t n = 0;
#if KVLAB_HAVE_TLS
    if (m_tls) {
      const int rc =
          SSL_write(m_tls->session, m_out.data(), static_cast<int>(std::min<size_t>(m_out.size(), 1 << 30)));
      if (rc <= 0) {
        const int err = SSL_get_error(m_tls->session, rc);
        if (err == SSL_ERROR_WANT_WRITE) return Step::WantWrite;
        if (err == SSL_ERROR_WANT_READ) return Step::WantRead;
        return failStep(RedisFault::Error, "Redis " + address() + ": " + tlsErrorText());
      }
      n = rc;
    } else
#endif
    {
      n = ::send(m_fd, m_out.data(), m_out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Step::WantWrite;
        return failStep(RedisFault::Error, "Redis " + address() + ": " + errnoText(errno));
      }
    }
    m_out.erase(0, static_cast<size_t>(n));
  }
  // Read until every expected reply is parsed.
  const size_t expected = m_setupReplies + m_queued;
  char buf[kReadChunk];
  while (m_received < expected) {
    void* raw = nullptr;
    if (redisReaderGetReply(m_reader, &raw) != REDIS_OK)
      return failStep(RedisFault::Error, "Redis " + address() + ": protocol error: " + m_reader->errstr);
    if (raw != nullptr) {
      RedisReplyPtr reply(static_cast<redisReply*>(raw));
      if (m_received < m_setupReplies) {
        if (reply->type == REDIS_REPLY_ERROR)
          return failStep(RedisFault::Error, "Redis " + address() + " refused the connection set-up: " +
                                                 std::string(reply->str, reply->len));
      } else {
        m_replies.resize(m_queued);
        m_replies[m_received - m_setupReplies] = std::move(reply);
      }
      ++m_received;
      continue;
    }
    ssize_t n = 0;
#if KVLAB_HAVE_TLS
    if (m_tls) {
      const int rc = SSL_read(m_tls->session, buf, sizeof buf);
      if (rc <= 0) {
        const int err = SSL_get_error(m_tls->session, rc);
        if (err == SSL_ERROR_WANT_READ) return Step::WantRead;
        if (err == SSL_ERROR_WANT_WRITE) return Step::WantWrite;
        if (err == SSL_ERROR_ZERO_RETURN)
          return failStep(RedisFault::Error, "Redis " + address() + " closed the connection");
        return failStep(RedisFault::Error, "Redis " + address() + ": " + tlsErrorText());
      }
      n = rc;
    } else
#endif
    {
      n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Step::WantRead;
        return failStep(RedisFault::Error, "Redis " + address() + ": " + errnoText(errno));
      }
      if (n == 0) return failStep(RedisFault::Error, "Redis " + address() + " closed the connection");
    }
    redisReaderFeed(m_reader, buf, static_cast<size_t>(n));
  }
  m_setupReplies = 0;  // the set-up is done once per connection
  return Step::Done;
}

RedisConnection::Step RedisConnection::step() {
  switch (m_phase) {
    case Phase::Closed:
      return m_fault != RedisFault::None ? Step::Failed : Step::Done;
    case Phase::Connecting:
      return stepConnect();
    case Phase::Handshaking:
      return stepHandshake();
    case Phase::Ready:
      return stepIo();
  }
  return Step::Failed;
}

void RedisConnection::finish(RedisFault fault) {
  m_fault = fault;
  if (fault == RedisFault::None) {
    m_consecutiveFaults = 0;
    return;
  }
  if (fault == RedisFault::Timeout)
    m_lastError = "Redis " + address() + ": no answer within the time-out (" +
                  std::to_string(m_options.timeoutMs) + " ms)";
  disconnect();  // the stream is in an unknown state: never reuse it
  // Open the breaker: no further attempt until the back-off has passed.
  ++m_consecutiveFaults;
  ++m_breakerTrips;
  long long backoff = m_options.reconnectBackoffMs;
  for (int i = 1; i < m_consecutiveFaults && backoff < kMaxBackoffMs; ++i) backoff *= 2;
  m_openUntil = std::chrono::steady_clock::now() +
                std::chrono::milliseconds(std::min<long long>(backoff, kMaxBackoffMs));
}

void RedisConnection::exchange(std::span<RedisConnection* const> connections, RedisDeadline deadline) {
  std::vector<RedisConnection*> active;
  for (RedisConnection* c : connections) {
    c->m_fault = RedisFault::None;
    if (c->m_queued == 0) continue;
    if (!c->usable()) {
      c->m_lastError = "Redis " + c->address() + ": backing off after a fault (circuit breaker open)";
      c->m_fault = RedisFault::Error;
      c->m_out.clear();
      c->m_setupReplies = 0;
      continue;
    }
    ++c->m_roundTrips;
    if (c->m_phase == Phase::Closed) c->startConnect();
    if (c->m_fault != RedisFault::None) {
      c->finish(c->m_fault);
      continue;
    }
    active.push_back(c);
  }
  std::vector<pollfd> fds;
  std::vector<RedisConnection*> polled;
  while (!active.empty()) {
    fds.clear();
    polled.clear();
    for (RedisConnection* c : active) {
      const Step s = c->step();
      if (s == Step::Done) {
        c->finish(RedisFault::None);
      } else if (s == Step::Failed) {
        c->finish(c->m_fault == RedisFault::None ? RedisFault::Error : c->m_fault);
      } else {
        fds.push_back(pollfd{c->m_fd, static_cast<short>(s == Step::WantRead ? POLLIN : POLLOUT), 0});
        polled.push_back(c);
      }
    }
    active = polled;
    if (active.empty()) break;
    const int waitMs = msUntil(deadline);
    if (waitMs == 0 || ::poll(fds.data(), fds.size(), waitMs) == 0) {
      if (std::chrono::steady_clock::now() < deadline) continue;  // woken early: try again
      for (RedisConnection* c : active) c->finish(RedisFault::Timeout);
      break;
    }
  }
}

RedisFault RedisConnection::run(const std::vector<RedisCommand>& commands,
                                std::vector<RedisReplyPtr>& replies) {
  return run(commands, replies, redisDeadlineIn(m_options.timeoutMs));
}

RedisFault RedisConnection::run(const std::vector<RedisCommand>& commands,
                                std::vector<RedisReplyPtr>& replies, RedisDeadline deadline) {
  queue(commands);
  RedisConnection* self = this;
  exchange(std::span<RedisConnection* const>(&self, 1), deadline);
  replies = takeReplies();
  return m_fault;
}

}  // namespace kvlab
