// SPDX-License-Identifier: MIT
// requests.csv, the one schema kvlab-cli run --out and the GUI export write (core/runner/request_row.h):
// a hand-made request and cache snapshot written out and compared with the text worked by hand (doubles as
// the shortest text that reads back: 2e9 is "2e+09", 1.5e-6 "1.5e-06"), and
// RunRecorder writing exactly that file. host_hit_tokens and remote_hit_tokens (the parts of hit_tokens
// served by the host and remote tiers, issue 12) follow hit_tokens.
#include <QTemporaryDir>
#include <QtTest>

#include "core/runner/request_row.h"
#include "core/runner/run_recorder.h"

using namespace kvlab;

namespace {

const char* const kHeader =
    "run,index,session,arrival_ms,time_ms,prompt_tokens,hit_tokens,host_hit_tokens,remote_hit_tokens,"
    "computed_tokens,ttft_cached_ms,"
    "ttft_uncached_ms,lookup_ms,assembly_ms,store_ms,ttft_source,flops_cached,flops_uncached,max_abs_logit_diff,"
    "evictions,"
    "used_bytes,capacity_bytes,pinned_bytes,entries,cum_token_hit_rate,evicted_capacity,evicted_ttl,"
    "evicted_policy_change,evicted_clear,output_tokens,tpot_ms\n";

RequestRecord measuredRecord() {
  RequestRecord r;
  r.index = 3;
  r.session =
      std::string("user \"7\", turn 2");  // a comma and quotes: RFC 4180 quotes it and doubles the quotes
  r.arrivalMs = 1500;
  r.promptTokens = 400;
  r.hitTokens = 300;  // 200 from the device, 64 promoted from the host tier, 36 from the remote tier
  r.hostHitTokens = 64;
  r.remoteHitTokens = 36;
  r.computedTokens = 100;
  r.ttftCachedMs = 12.5;
  r.ttftUncachedMs = 50.25;
  r.lookupMs = 0.5;
  r.assemblyMs = 1.25;
  r.storeMs = 1.75;
  r.flopsCached = 2e9;
  r.flopsUncached = 8e9;
  r.evictions = 2;
  r.maxAbsLogitDiff = 1.5e-6;
  r.outputTokens = 5;
  r.tpotMs = 2.5;
  r.text = std::string("not written");
  return r;
}

CacheSnapshot snapshot() {
  CacheSnapshot c;
  c.timeMs = 1600;
  c.usedBytes = 1048576;
  c.capacityBytes = 4194304;
  c.pinnedBytes = 4096;
  c.entries = 9;
  c.counters.queriedTokens = 800;  // cumulative hit rate 300 / 800 = 0.375
  c.counters.hitTokens = 300;
  c.counters.evictions = {5, 1, 0, 0};  // capacity, ttl, policy change, clear
  return c;
}

}  // namespace

class TestRequestRow : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void writesTheSchema() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    RequestRecord simulated = measuredRecord();
    simulated.index = 4;
    simulated.session = std::string("s");  // (a move: GCC 12 warns falsely on assign(const char*))
    simulated.ttftUncachedMs = -1;         // no baseline: empty fields, not -1
    simulated.maxAbsLogitDiff = -1;
    simulated.simulated = true;
    simulated.outputTokens = 1;  // a single output token has no TPOT: empty field
    simulated.tpotMs = -1;
    const std::string path = dir.filePath(QStringLiteral("requests.csv")).toStdString();
    writeRequestsCsv(path, {RequestRow::from(2, measuredRecord(), snapshot()),
                            RequestRow::from(2, simulated, snapshot())});
    QFile f(QString::fromStdString(path));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString expected =
        QString::fromLatin1(kHeader) +
        QStringLiteral(
            "2,3,\"user \"\"7\"\", turn 2\",1500,1600,400,300,64,36,100,12.5,50.25,0.5,1.25,1.75,measured,"
            "2e+09,8e+09,1.5e-06,2,1048576,4194304,4096,9,0.375,5,1,0,0,5,2.5\n"
            "2,4,s,1500,1600,400,300,64,36,100,12.5,,0.5,1.25,1.75,cost model,"
            "2e+09,8e+09,,2,1048576,4194304,4096,9,0.375,5,1,0,0,1,\n");
    QCOMPARE(QString::fromUtf8(f.readAll()), expected);
  }

  void recorderWritesTheSameFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    RunRecorder recorder;
    RunInfo info;
    info.runId = 5;
    recorder.onRunStarted(info);
    recorder.onRequestDone(measuredRecord(), snapshot());
    recorder.writeAll(dir.path().toStdString());
    QFile f(dir.filePath(QStringLiteral("requests.csv")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readLine(), QByteArray(kHeader));
    QVERIFY(f.readLine().startsWith("5,3,\"user \"\"7\"\", turn 2\",1500,1600,"));
    QVERIFY(f.atEnd());
  }
  // A run with a remote tier, worked by hand. The device cache's counters count only its own hits.
  //   request 1: 100 prompt tokens, 60 hit = 40 device + 20 remote; device counters 40 / 100
  //   request 2: 100 prompt tokens, 90 hit = 10 device + 80 remote; device counters 50 / 200
  // Lower-tier hits so far: 20, then 20 + 80 = 100. Cumulative hit rate over every tier: 60 / 100 = 0.6,
  // then (50 + 100) / 200 = 0.75 (the device counters alone would say 0.4 and 0.25).
  void cumulativeHitRateCountsEveryTier() {
    RequestRecord r1, r2;
    r1.promptTokens = r2.promptTokens = 100;
    r1.hitTokens = 60;
    r1.remoteHitTokens = 20;
    r2.hitTokens = 90;
    r2.remoteHitTokens = 80;
    CacheSnapshot c1, c2;
    c1.counters.queriedTokens = 100;
    c1.counters.hitTokens = 40;
    c2.counters.queriedTokens = 200;
    c2.counters.hitTokens = 50;
    LowerTierHits lower;
    lower.add(r1, c1);
    QCOMPARE(lower.total(), std::uint64_t(20));
    QCOMPARE(RequestRow::from(1, r1, c1, lower.total()).cumTokenHitRate, 0.6);
    lower.add(r2, c2);
    QCOMPARE(lower.total(), std::uint64_t(100));
    QCOMPARE(RequestRow::from(1, r2, c2, lower.total()).cumTokenHitRate, 0.75);

    // The recorder does the same for a tiered run.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    RunRecorder recorder;
    RunInfo info;
    info.remote = "redis://127.0.0.1:1";
    recorder.onRunStarted(info);
    recorder.onRequestDone(r1, c1);
    recorder.onRequestDone(r2, c2);
    recorder.writeAll(dir.path().toStdString());
    QFile f(dir.filePath(QStringLiteral("requests.csv")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> header = f.readLine().trimmed().split(',');
    const qsizetype column = header.indexOf("cum_token_hit_rate");
    QVERIFY(column >= 0);
    QCOMPARE(f.readLine().trimmed().split(',').at(column).toDouble(), 0.6);
    QCOMPARE(f.readLine().trimmed().split(',').at(column).toDouble(), 0.75);
  }
};

QTEST_GUILESS_MAIN(TestRequestRow)
#include "tst_request_row.moc"
