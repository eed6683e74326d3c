// SPDX-License-Identifier: MIT
#pragma once
// A server that vanishes at a known point, for fault tests: a TCP proxy on a free loopback port in front
// of a real server (e.g. the test's redis-server). It forwards both ways until the server has sent
// `cutAfterBytes` bytes back (over all connections); then it closes every connection and its listening
// socket, so the client sees its connection drop mid-reply and every reconnect refused, exactly as if the
// server had been killed at that moment. The point is counted in bytes the client has asked for, not in
// time, so the fault lands at the same place of the run on every machine.
//
// One thread (poll) does all the forwarding; writes are blocking (loopback, and each test's traffic flows
// one way at a time: requests out, a large reply back). The destructor stops and joins it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace kvlab::test {

class TcpCutProxy {
public:
  // Listens on 127.0.0.1:<free port> and forwards to 127.0.0.1:upstreamPort. Returns false on a socket
  // error.
  bool start(int upstreamPort, std::uint64_t cutAfterBytes) {
    m_upstreamPort = upstreamPort;
    m_cutAfter = cutAfterBytes;
    m_listen = ::socket(AF_INET, SOCK_STREAM, 0);
    if (m_listen < 0 || ::pipe(m_wake) != 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(m_listen, 16) != 0 || ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      return false;
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { loop(); });
    return true;
  }

  ~TcpCutProxy() {
    if (m_thread.joinable()) {
      const char byte = 0;
      [[maybe_unused]] const auto n = ::write(m_wake[1], &byte, 1);
      m_thread.join();
    }
    closeAll();
    for (const int fd : m_wake)
      if (fd >= 0) ::close(fd);
  }

  int port() const { return m_port; }
  bool cut() const { return m_cut.load(); }                       // the server has "vanished"
  std::uint64_t bytesBack() const { return m_bytesBack.load(); }  // server -> client, forwarded

private:
  struct Pair {
    int client = -1, server = -1;
  };

  static bool writeAll(int fd, const char* data, ssize_t size) {
    while (size > 0) {
      const ssize_t n = ::send(fd, data, std::size_t(size), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= n;
    }
    return true;
  }

  int connectUpstream() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(std::uint16_t(m_upstreamPort));
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    if (fd >= 0) ::close(fd);
    return -1;
  }

  void closeAll() {
    for (Pair& p : m_pairs) {
      ::close(p.client);
      ::close(p.server);
    }
    m_pairs.clear();
    if (m_listen >= 0) ::close(m_listen);
    m_listen = -1;
  }

  void loop() {
    std::vector<char> buffer(1 << 16);
    while (true) {
      std::vector<pollfd> fds{{m_wake[0], POLLIN, 0}};
      if (m_listen >= 0) fds.push_back({m_listen, POLLIN, 0});
      for (const Pair& p : m_pairs) {
        fds.push_back({p.client, POLLIN, 0});
        fds.push_back({p.server, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents) return;  // the destructor
      std::size_t i = 1;
      if (m_listen >= 0 && fds[i++].revents) {
        const int client = ::accept(m_listen, nullptr, nullptr);
        const int server = client >= 0 ? connectUpstream() : -1;
        if (server >= 0)
          m_pairs.push_back({client, server});
        else if (client >= 0)
          ::close(client);
      }
      std::vector<Pair> alive;
      for (std::size_t k = 0; k < m_pairs.size(); ++k, i += 2) {
        Pair p = m_pairs[k];
        bool open = true;
        if (fds[i].revents) {  // client -> server
          const ssize_t n = ::recv(p.client, buffer.data(), buffer.size(), 0);
          open = n > 0 && writeAll(p.server, buffer.data(), n);
        }
        if (open && fds[i + 1].revents) {  // server -> client, counted towards the cut
          const ssize_t n = ::recv(p.server, buffer.data(), buffer.size(), 0);
          open = n > 0 && writeAll(p.client, buffer.data(), n);
          if (n > 0) m_bytesBack += std::uint64_t(n);
        }
        if (open) {
          alive.push_back(p);
        } else {
          ::close(p.client);
          ::close(p.server);
        }
      }
      m_pairs = alive;
      if (m_bytesBack.load() >= m_cutAfter) {  // the server vanishes: every connection, and the port
        closeAll();
        m_cut = true;
        return;
      }
    }
  }

  int m_upstreamPort = 0;
  std::uint64_t m_cutAfter = 0;
  int m_listen = -1;
  int m_wake[2] = {-1, -1};
  int m_port = 0;
  std::vector<Pair> m_pairs;
  std::atomic<std::uint64_t> m_bytesBack{0};
  std::atomic<bool> m_cut{false};
  std::thread m_thread;
};

}  // namespace kvlab::test
