// SPDX-License-Identifier: MIT
#pragma once
// A throw-away three-master Redis Cluster for one test (optionally with replicas): RedisTestServer processes
// (127.0.0.1, free ports, one temporary directory each) started with --cluster-enabled yes, joined by
// `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`, then waited for by polling
// CLUSTER INFO on every node in a bounded loop until each reports cluster_state:ok, all 16384 slots
// assigned and every node known (no fixed sleep). The servers are killed by the destructor, so they stop
// even when a QVERIFY returns early.
//
// cluster-require-full-coverage is off so that, after a test kills one node, the others keep serving
// their slots even once they have marked it failed (with the default, the whole cluster refuses queries
// after cluster-node-timeout: counted as errors by the tier, but not what the test wants to show).

#include <QDeadlineTimer>
#include <QProcess>
#include <QStringList>
#include <memory>
#include <string>
#include <vector>

#include "redis_test_server.h"

namespace kvlab::test {

class RedisTestCluster {
public:
  static constexpr int kMasters = 3;

  // replicasPerMaster > 0: kMasters * (1 + replicasPerMaster) nodes; redis-cli makes the first kMasters
  // of the list masters and the others their replicas.
  explicit RedisTestCluster(int replicasPerMaster = 0) : m_replicas(replicasPerMaster) {
    for (int i = 0; i < kMasters * (1 + replicasPerMaster); ++i)
      m_nodes.push_back(std::make_unique<RedisTestServer>());
  }
  int size() const { return static_cast<int>(m_nodes.size()); }

  // password: when not empty, every node requires it (requirepass) and the helper's redis-cli uses it.
  bool start(const QString& password = {}) {
    const QStringList clusterArgs{
        "--cluster-enabled",      "yes",   "--cluster-config-file",           "nodes.conf",
        "--cluster-node-timeout", "60000", "--cluster-require-full-coverage", "no"};
    QStringList serverArgs = clusterArgs;
    if (!password.isEmpty()) serverArgs += {"--requirepass", password};
    QStringList create;
    if (!password.isEmpty()) create += {"-a", password, "--no-auth-warning"};
    create += {"--cluster", "create"};
    for (int i = 0; i < size(); ++i) {
      if (!m_nodes[i]->start(serverArgs, password)) {
        m_error = "node " + QString::number(i) + ": " + m_nodes[i]->error();
        return false;
      }
      create << "127.0.0.1:" + QString::number(m_nodes[i]->port());
    }
    create << "--cluster-replicas" << QString::number(m_replicas) << "--cluster-yes";
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start("redis-cli", create);
    if (!process.waitForFinished(120000) || process.exitCode() != 0) {
      m_error = "redis-cli --cluster create failed: " + QString::fromUtf8(process.readAll());
      process.kill();
      process.waitForFinished(30000);
      return false;
    }
    return waitClusterOk();
  }

  RedisTestServer& node(int i) { return *m_nodes[i]; }
  QString error() const { return m_error; }
  // One seed is enough; the tier learns the others from CLUSTER SLOTS.
  std::string url(const std::string& credentials = {}) const {
    return "redis-cluster://" + (credentials.empty() ? "" : credentials + "@") +
           "127.0.0.1:" + std::to_string(m_nodes[0]->port());
  }

  QString nodeId(int i) const { return m_nodes[i]->cli({"CLUSTER", "MYID"}); }
  int dbsize(int i) const { return m_nodes[i]->cli({"DBSIZE"}).toInt(); }
  int keySlot(const std::string& key) const {
    return m_nodes[0]->cli({"CLUSTER", "KEYSLOT", QString::fromStdString(key)}).toInt();
  }

  // Which node (0..size()-1) owns `slot` according to node `asking`'s CLUSTER NODES; -1 if none.
  // A line: <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot or range>...
  int ownerOf(int slot, int asking = 0) const {
    const QStringList lines = m_nodes[asking]->cli({"CLUSTER", "NODES"}).split('\n', Qt::SkipEmptyParts);
    for (const QString& line : lines) {
      const QStringList fields = line.trimmed().split(' ', Qt::SkipEmptyParts);
      if (fields.size() < 8) continue;
      const int port = fields[1].section('@', 0, 0).section(':', -1).toInt();
      int index = -1;
      for (int i = 0; i < size(); ++i)
        if (m_nodes[i]->port() == port) index = i;
      for (int f = 8; f < fields.size(); ++f) {
        if (fields[f].startsWith('[')) continue;  // [slot->-id] / [slot-<-id]: migration markers
        const int first = fields[f].section('-', 0, 0).toInt();
        const int last = fields[f].contains('-') ? fields[f].section('-', 1, 1).toInt() : first;
        if (slot >= first && slot <= last) return index;
      }
    }
    return -1;
  }

private:
  bool waitClusterOk() {
    const QDeadlineTimer deadline(120000);  // generous: the machine may be heavily loaded
    while (!deadline.hasExpired()) {
      bool allOk = true;
      for (int i = 0; i < size() && allOk; ++i) {
        const QString info = m_nodes[i]->cli({"CLUSTER", "INFO"});
        allOk = info.contains("cluster_state:ok") && info.contains("cluster_slots_assigned:16384") &&
                info.contains("cluster_known_nodes:" + QString::number(size()));
      }
      if (allOk) return true;  // each poll runs redis-cli processes: the loop is paced by them
    }
    m_error = "the cluster did not reach cluster_state:ok within 120 s";
    return false;
  }

  int m_replicas = 0;
  std::vector<std::unique_ptr<RedisTestServer>> m_nodes;
  QString m_error;
};

}  // namespace kvlab::test
