// SPDX-License-Identifier: MIT
// The remote tier's time-out promise, with no Redis at all: servers that accept connections and never
// answer (a loopback listener that never even calls accept(): the kernel completes the handshake and
// buffers what the client sends), and one fake cluster seed that answers CLUSTER SLOTS once. Every check is
// on counts and state (connections made, blocks counted as time-outs or errors, breakers open), never on
// times; a test that waited per socket read instead of per operation would hang here, not pass:
//  - one deadline per operation, connect and set-up included: an exchange whose deadline has passed
//    returns at once, whatever the time-out says;
//  - the circuit breaker: after a stalled operation the server is backed off, so later operations fail at
//    once (errors) without connecting again; after the back-off one operation tries again;
//  - the slot-map refresh shares the operation's deadline: a stalled first seed leaves no time to try the
//    second;
//  - a cluster batch waits on all its nodes in one exchange: two stalled masters cost one operation, both
//    backed off after it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest>
#include <string>
#include <thread>
#include <vector>

#include "core/tiers/redis_cluster_tier.h"
#include "core/tiers/redis_connection.h"
#include "core/tiers/redis_tier.h"

using namespace kvlab;

namespace {

constexpr int kHour = 3'600'000;

// A loopback listener that never answers: connections complete in the kernel's backlog; acceptPending()
// takes them (non-blocking) and counts them; they stay open, silent, until the listener goes.
class SilentListener {
public:
  SilentListener() {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(m_fd, 64) == 0 &&
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      m_port = ntohs(addr.sin_port);
    ::fcntl(m_fd, F_SETFL, O_NONBLOCK);
  }
  ~SilentListener() {
    for (const int fd : m_accepted) ::close(fd);
    ::close(m_fd);
  }
  int port() const { return m_port; }
  // Connections made since the last call.
  int acceptPending() {
    int n = 0;
    for (int fd; (fd = ::accept(m_fd, nullptr, nullptr)) >= 0; ++n) m_accepted.push_back(fd);
    return n;
  }

private:
  int m_fd = -1;
  int m_port = 0;
  std::vector<int> m_accepted;
};

// A cluster seed that answers one CLUSTER SLOTS (slots 0-8191 on node A, 8192-16383 on node B) and closes.
class FakeSeed {
public:
  FakeSeed(int portA, int portB) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(m_fd, 4) == 0 &&
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      m_port = ntohs(addr.sin_port);
    const auto node = [](long first, long last, int port) {
      return "*3\r\n:" + std::to_string(first) + "\r\n:" + std::to_string(last) +
             "\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(port) + "\r\n";
    };
    const std::string reply = "*2\r\n" + node(0, 8191, portA) + node(8192, 16383, portB);
    m_thread = std::thread([this, reply] {
      const int client = ::accept(m_fd, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buf[256];
      while (request.find("SLOTS\r\n") == std::string::npos) {
        const ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, size_t(n));
      }
      ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(client);
    });
  }
  ~FakeSeed() {
    ::shutdown(m_fd, SHUT_RDWR);
    m_thread.join();
    ::close(m_fd);
  }
  int port() const { return m_port; }

private:
  int m_fd = -1;
  int m_port = 0;
  std::thread m_thread;
};

BlobLayout layout() {
  BlobLayout l;
  l.modelFingerprint = 0xFEEDull;
  l.layerEnd = 1;
  l.shape = {2, 1, 4, 8};
  l.blockTokens = 4;
  return l;
}

RedisTierOptions options(int timeoutMs, int backoffMs) {
  RedisTierOptions o;
  o.timeoutMs = timeoutMs;
  o.reconnectBackoffMs = backoffMs;
  return o;
}

std::string url(int port) { return "redis://127.0.0.1:" + std::to_string(port); }

}  // namespace

class TestRedisConnection : public QObject {
  Q_OBJECT

private slots:
  // An operation's deadline bounds everything: with it already past, an exchange with two silent servers
  // returns at once with both timed out (each connection's own time-out is an hour).
  void expiredDeadlineNeverWaits() {
    SilentListener a, b;
    RedisConnectionOptions o;
    o.timeoutMs = kHour;
    o.reconnectBackoffMs = 0;
    RedisConnection first(RemoteEndpoint{"127.0.0.1", a.port()}, o);
    RedisConnection second(RemoteEndpoint{"127.0.0.1", b.port()}, o);
    first.queue({{"PING"}});
    second.queue({{"PING"}, {"PING"}});
    std::vector<RedisConnection*> both{&first, &second};
    RedisConnection::exchange(both, std::chrono::steady_clock::now());
    QCOMPARE(first.fault(), RedisFault::Timeout);
    QCOMPARE(second.fault(), RedisFault::Timeout);
    QCOMPARE(first.takeReplies().size(), size_t(1));  // one (null) reply per queued command
    QCOMPARE(second.takeReplies().size(), size_t(2));
  }

  // A server that accepts and stalls: the first operation pays the time-out (its blocks counted as
  // time-outs); while the breaker is open, every further operation fails at once as errors, without even
  // connecting again.
  void stalledServerIsBackedOff() {
    SilentListener server;
    RedisTier tier(RemoteUrl::parse(url(server.port())), layout(), options(200, kHour));
    QVERIFY(!tier.backingOff());
    const std::vector<uint64_t> hashes{1, 2, 3};
    for (const auto& block : tier.get(hashes)) QVERIFY(!block.has_value());
    QCOMPARE(tier.stats().timeouts, uint64_t(3));
    QCOMPARE(server.acceptPending(), 1);
    QVERIFY(tier.backingOff());

    const std::string payload(layout().payloadBytes(), 'x');
    QCOMPARE(tier.put(std::vector<TierItem>{{1, payload}, {2, payload}}), size_t(0));
    QCOMPARE(tier.contains(hashes), std::vector<bool>(3, false));
    for (const auto& block : tier.get(hashes)) QVERIFY(!block.has_value());
    const TierStats stats = tier.stats();
    QCOMPARE(stats.timeouts, uint64_t(3));        // paid once
    QCOMPARE(stats.errors, uint64_t(2 + 3 + 3));  // failed at once
    QCOMPARE(server.acceptPending(), 0);          // no new connection
    QCOMPARE(tier.roundTrips(), uint64_t(1));
  }

  // With no back-off, the next operation is a trial: it connects again and, the server still silent,
  // times out again.
  void afterTheBackOffOneOperationTriesAgain() {
    SilentListener server;
    RedisTier tier(RemoteUrl::parse(url(server.port())), layout(), options(100, 0));
    for (int i = 1; i <= 3; ++i) {
      QVERIFY(!tier.get(std::vector<uint64_t>{7})[0].has_value());
      QCOMPARE(tier.stats().timeouts, uint64_t(i));
      QCOMPARE(server.acceptPending(), 1);
    }
    QCOMPARE(tier.stats().errors, uint64_t(0));
  }

  // The slot map is fetched within the operation's deadline: the first seed stalls until it has passed,
  // so the second seed is never tried; the blocks fail as errors (no map).
  void slotMapRefreshSharesTheDeadline() {
    SilentListener first, second;
    const std::string seeds = "redis-cluster://127.0.0.1:" + std::to_string(first.port()) +
                              ",127.0.0.1:" + std::to_string(second.port());
    RedisClusterTier tier(RemoteUrl::parse(seeds), layout(), options(200, kHour));
    for (const auto& block : tier.get(std::vector<uint64_t>{1, 2, 3})) QVERIFY(!block.has_value());
    QCOMPARE(first.acceptPending(), 1);
    QCOMPARE(second.acceptPending(), 0);
    QCOMPARE(tier.stats().errors, uint64_t(3));
    QCOMPARE(tier.counters().slotMapRefreshes, uint64_t(0));
  }

  // Two stalled masters: one get() sends to both and waits on both in one exchange; both node batches run
  // out of that one deadline, every block is a time-out, and both nodes are backed off: the next get()
  // fails their blocks at once as errors without connecting again.
  void stalledMastersShareOneDeadline() {
    SilentListener a, b;
    FakeSeed seed(a.port(), b.port());
    RedisClusterTier tier(RemoteUrl::parse("redis-cluster://127.0.0.1:" + std::to_string(seed.port())),
                          layout(), options(300, kHour));
    std::vector<uint64_t> hashes;
    for (uint64_t h = 1; h <= 40; ++h) hashes.push_back(h);
    for (const auto& block : tier.get(hashes)) QVERIFY(!block.has_value());
    RedisClusterTier::Counters counters = tier.counters();
    QCOMPARE(counters.slotMapRefreshes, uint64_t(1));
    QCOMPARE(counters.masters, uint64_t(2));
    QCOMPARE(a.acceptPending(), 1);
    QCOMPARE(b.acceptPending(), 1);
    QCOMPARE(counters.deadlinesMissed, uint64_t(2));
    QCOMPARE(counters.nodesBackingOff, uint64_t(2));
    QCOMPARE(tier.stats().timeouts, uint64_t(40));

    for (const auto& block : tier.get(hashes)) QVERIFY(!block.has_value());
    QCOMPARE(tier.stats().timeouts, uint64_t(40));
    QCOMPARE(tier.stats().errors, uint64_t(40));
    QCOMPARE(a.acceptPending() + b.acceptPending(), 0);
    QCOMPARE(tier.counters().deadlinesMissed, uint64_t(2));
  }

  // Nobody listening: refused at once, an error (not a time-out), and backed off.
  void refusedIsAnErrorAndBackedOff() {
    int port = 0;
    {
      SilentListener gone;  // a port that was free a moment ago, closed again
      port = gone.port();
    }
    RedisTier tier(RemoteUrl::parse(url(port)), layout(), options(kHour, kHour));
    QVERIFY(!tier.get(std::vector<uint64_t>{1})[0].has_value());
    QCOMPARE(tier.stats().errors, uint64_t(1));
    QCOMPARE(tier.stats().timeouts, uint64_t(0));
    QVERIFY(tier.backingOff());
  }
};

QTEST_GUILESS_MAIN(TestRedisConnection)
#include "tst_redis_connection.moc"
