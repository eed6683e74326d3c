// SPDX-License-Identifier: MIT
// Replay of the real Mooncake traces in ../shared/data against the numbers of tools/replay_reference.py
// (a plain-Python OrderedDict implementation of the same semantics). Skips when the data is absent.
#include <QFileInfo>
#include <QtTest>

#include "core/replay/miss_ratio_curve.h"
#include "core/replay/trace_replayer.h"
#include "test_requirements.h"

using namespace kvlab;

class TestRealTraces : public QObject {
  Q_OBJECT
private slots:
  void matchesPythonReference_data();
  void matchesPythonReference();
};

void TestRealTraces::matchesPythonReference_data() {
  QTest::addColumn<QString>("trace");
  QTest::addColumn<QString>("policy");
  QTest::addColumn<quint64>("maxTokens");
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<quint64>("hitTokens");
  QTest::addColumn<quint64>("hitBlocks");
  QTest::addColumn<quint64>("evictions");
  // python3 tools/replay_reference.py TRACE --max-tokens N --policy P [--ttl-ms T]
  QTest::newRow("conversation lru 1M")
      << "conversation_trace.jsonl"
      << "lru" << quint64(1000000) << qint64(0) << quint64(7865590) << quint64(15370) << quint64(271218);
  QTest::newRow("conversation fifo 1M")
      << "conversation_trace.jsonl"
      << "fifo" << quint64(1000000) << qint64(0) << quint64(7750509) << quint64(15145) << quint64(271629);
  QTest::newRow("conversation lru 4M ttl 60s")
      << "conversation_trace.jsonl"
      << "lru" << quint64(4000000) << qint64(60000) << quint64(15257089) << quint64(29821) << quint64(0);
  QTest::newRow("synthetic lru 2M") << "synthetic_trace.jsonl"
                                    << "lru" << quint64(2000000) << qint64(0) << quint64(14245895)
                                    << quint64(27850) << quint64(90274);
  QTest::newRow("synthetic fifo 2M") << "synthetic_trace.jsonl"
                                     << "fifo" << quint64(2000000) << qint64(0) << quint64(14418541)
                                     << quint64(28186) << quint64(90440);
}

void TestRealTraces::matchesPythonReference() {
  QFETCH(QString, trace);
  QFETCH(QString, policy);
  QFETCH(quint64, maxTokens);
  QFETCH(qint64, ttlMs);
  QFETCH(quint64, hitTokens);
  QFETCH(quint64, hitBlocks);
  QFETCH(quint64, evictions);
  const QString path = QStringLiteral(KVLAB_SHARED_DATA_DIR "/") + trace;
  KVLAB_REQUIRE_SHARED_DATA(path);
  ReplayConfig config;
  config.policy = policy.toStdString();
  config.maxTokens = maxTokens;
  config.ttlMs = ttlMs;
  const ReplayResult r = replayTraceFile(path.toStdString(), config);
  QCOMPARE(r.hitTokens, hitTokens);
  QCOMPARE(r.hitBlocks, hitBlocks);
  QCOMPARE(r.evictions, evictions);
  if (policy == QLatin1String("lru")) {
    const auto curve = lruCurveOnePass(path.toStdString(), config, {maxTokens});
    QCOMPARE(curve.front().result.hitTokens, hitTokens);
    // Without a TTL the stack-distance pass also counts evictions (inserts at distance >= capacity).
    QCOMPARE(curve.front().countsEvictions, ttlMs == 0);
    if (ttlMs == 0) QCOMPARE(curve.front().result.evictions, evictions);
  }
}

KVLAB_TEST_GUILESS_MAIN(TestRealTraces)
#include "tst_real_traces.moc"
