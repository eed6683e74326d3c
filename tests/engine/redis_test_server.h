// SPDX-License-Identifier: MIT
#pragma once
// A throw-away redis-server for one test: bound to 127.0.0.1 on a free port, data in a temporary
// directory, no persistence. Started by start(), stopped (SIGKILL + reap) by stop() or the destructor, so
// it is stopped even when a QVERIFY fails and returns early. Readiness is a bounded PING retry loop that
// waits on the server process between tries (so a server that dies is noticed at once); never a fixed
// sleep. A fresh free port is tried again if the server could not bind (another process took it).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QDeadlineTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QStringList>
#include <QTemporaryDir>
#include <memory>

namespace kvlab::test {

class RedisTestServer {
public:
  static bool installed() {
    return !QStandardPaths::findExecutable("redis-server").isEmpty() &&
           !QStandardPaths::findExecutable("redis-cli").isEmpty();
  }

  // A loopback port nobody listens on right now (the kernel's choice for port 0).
  static int freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
  }

  ~RedisTestServer() { stop(); }

  // extraArgs: further redis-server options, e.g. {"--requirepass", "secret"}. password: what PING needs.
  // Returns false (with error()) if no server answered within the generous bound.
  bool start(const QStringList& extraArgs = {}, const QString& password = {}) {
    m_password = password;
    for (int attempt = 0; attempt < 5; ++attempt) {
      stop();
      m_dir = std::make_unique<QTemporaryDir>();
      m_port = freeLoopbackPort();
      if (!m_dir->isValid() || m_port == 0) {
        m_error = "cannot create a temporary dir or find a free port";
        continue;
      }
      m_process = std::make_unique<QProcess>();
      m_process->setProcessChannelMode(QProcess::MergedChannels);
      QStringList args{
          "--port", QString::number(m_port), "--bind", "127.0.0.1",   "--dir", m_dir->path(), "--save",
          "",       "--appendonly",          "no",     "--daemonize", "no",    "--logfile",   ""};
      args += extraArgs;
      m_process->start("redis-server", args);
      if (!m_process->waitForStarted(30000)) {
        m_error = "redis-server did not start: " + m_process->errorString();
        continue;
      }
      if (waitReady()) return true;
    }
    stop();
    return false;
  }

  void stop() {
    if (m_process && m_process->state() != QProcess::NotRunning) {
      ::kill(static_cast<pid_t>(m_process->processId()), SIGCONT);  // in case a test stopped it
      m_process->kill();
      m_process->waitForFinished(30000);
    }
    m_process.reset();
  }

  // SIGSTOP / SIGCONT: a server that accepts connections but answers nothing (a "slow" server).
  void pause() { ::kill(static_cast<pid_t>(m_process->processId()), SIGSTOP); }
  void resume() { ::kill(static_cast<pid_t>(m_process->processId()), SIGCONT); }

  int port() const { return m_port; }
  QString error() const { return m_error; }
  std::string url(const std::string& credentials = {}) const {
    return "redis://" + (credentials.empty() ? "" : credentials + "@") +
           "127.0.0.1:" + std::to_string(m_port);
  }

  // Runs redis-cli against this server; returns its trimmed stdout (empty on failure).
  QString cli(const QStringList& command) const {
    QProcess process;
    QStringList args{"-h", "127.0.0.1", "-p", QString::number(m_port)};
    if (!m_password.isEmpty()) args += {"-a", m_password, "--no-auth-warning"};
    process.start("redis-cli", args + command);
    if (!process.waitForFinished(30000)) {
      process.kill();
      process.waitForFinished(30000);
      return {};
    }
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
  }

private:
  bool waitReady() {
    const QDeadlineTimer deadline(60000);  // generous: the machine may be heavily loaded
    while (!deadline.hasExpired()) {
      if (m_process->state() == QProcess::NotRunning) {
        m_error = "redis-server exited: " + QString::fromUtf8(m_process->readAll());
        return false;
      }
      if (cli({"PING"}) == "PONG") return true;
      m_process->waitForFinished(100);  // returns at once if the server dies; bounded wait otherwise
    }
    m_error = "redis-server did not answer PING within 60 s";
    return false;
  }

  std::unique_ptr<QTemporaryDir> m_dir;
  std::unique_ptr<QProcess> m_process;
  int m_port = 0;
  QString m_password;
  QString m_error;
};

}  // namespace kvlab::test
