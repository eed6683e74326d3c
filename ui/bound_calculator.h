// SPDX-License-Identifier: MIT
#pragma once
// The infinite-cache bound of a Live run, computed off the GUI thread: the source's request stream (a
// trace, or a scenario's token-block stream with the run's seed) replayed with an unbounded block cache
// (core TraceReplayer, as the Tune page's bound and `kvlab-cli sweep ... unlimited`), so every reuse of a
// prefix hits. The Live hit-rate chart marks it and the headline says how far the run is from it. Only
// for block granularity: prompt and radix entries reuse at other boundaries.
// request() may be called again before an answer: only the newest request's answer is emitted.
#include <QObject>
#include <QString>
#include <atomic>
#include <cstdint>
#include <optional>

class QThread;

namespace kvlab {

struct BoundRequest {
  QString key;  // echoed back: the caller's run identity
  std::string source;
  std::string scenarioDir;
  std::uint32_t blockSize = 0;
  std::optional<std::uint64_t> seed;
};

class BoundCalculator : public QObject {
  Q_OBJECT
public:
  explicit BoundCalculator(QObject* parent = nullptr);
  ~BoundCalculator() override;  // stops and joins the thread
  // GUI thread.
  void request(const BoundRequest& request);

Q_SIGNALS:
  // GUI thread (queued). hitRate in 0..1; promptTokens of the whole source.
  void boundReady(const QString& key, double hitRate, quint64 promptTokens);
  void boundFailed(const QString& key);  // the source could not be read: there will be no bound

private:
  QThread* m_thread = nullptr;
  QObject* m_worker = nullptr;  // lives in m_thread
  std::atomic<int> m_wanted{0};
  int m_next = 0;
};

}  // namespace kvlab
