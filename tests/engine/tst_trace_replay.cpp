// SPDX-License-Identifier: MIT
// Trace replay on small hand-made traces with hand-computed answers (the semantics in the README), and the
// one-pass LRU miss-ratio curve against one replay per size.
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <random>

#include "core/replay/miss_ratio_curve.h"
#include "core/replay/trace_replayer.h"
#include "core/util/input_error.h"

using namespace kvlab;

namespace {

struct Expected {
  std::uint64_t promptTokens, hitTokens, blocks, hitBlocks, evictions, expirations;
  std::array<std::uint64_t, kMissReasonCount> missTokens;  // cold, evicted, expired, orphaned
};

std::string writeTrace(const QTemporaryDir& dir, const char* name, const std::string& text) {
  const std::string path = dir.filePath(name).toStdString();
  std::ofstream(path) << text;
  return path;
}

}  // namespace

Q_DECLARE_METATYPE(Expected)

class TestTraceReplay : public QObject {
  Q_OBJECT
private slots:
  void handComputed_data();
  void handComputed();
  void semanticsOptions_data();
  void semanticsOptions();
  void malformedLineNamesLineAndField();
  void skipBadLinesCounts();
  void lruOnePassEqualsReplay_data();
  void lruOnePassEqualsReplay();
};

void TestTraceReplay::handComputed_data() {
  QTest::addColumn<QString>("trace");
  QTest::addColumn<QString>("policy");
  QTest::addColumn<quint64>("maxTokens");
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<Expected>("expected");

  // Block size 4, capacity 3 blocks, LRU. Recency (old -> new) after each request:
  // r1 [1,2,3]: all cold; touches 3,2,1 -> 3 2 1
  // r2 [1,2]:   2 hits (8 tokens); touches 2,1 -> 3 2 1
  // r3 [1,4,5]: 1 hit; 4, 5 cold; insert 5 evicts 3, insert 4 evicts 2, touch 1 -> 5 4 1
  // r4 [1,2,3] (10 tokens): 1 hit; 2 evicted (4 tokens), 3 evicted (2 tokens: 8..10);
  //             insert 3 evicts 5, insert 2 evicts 4 -> 3 2 1
  QTest::newRow("lru capacity")
      << QStringLiteral(
             "{\"timestamp\":0,\"input_length\":10,\"output_length\":1,\"hash_ids\":[1,2,3]}\n"
             "{\"timestamp\":1,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n"
             "{\"timestamp\":2,\"input_length\":12,\"output_length\":1,\"hash_ids\":[1,4,5]}\n"
             "{\"timestamp\":3,\"input_length\":10,\"output_length\":1,\"hash_ids\":[1,2,3]}\n")
      << QStringLiteral("lru") << quint64(12) << qint64(0) << Expected{40, 16, 11, 4, 4, 0, {18, 6, 0, 0}};

  // TTL 1500 ms, unbounded: r2 refreshes both blocks at t=1000; at t=3000 they have idled 2000 ms.
  QTest::newRow("ttl")
      << QStringLiteral(
             "{\"timestamp\":0,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n"
             "{\"timestamp\":1000,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n"
             "{\"timestamp\":3000,\"input_length\":12,\"output_length\":1,\"hash_ids\":[1,2,3]}\n")
      << QStringLiteral("lru") << quint64(1000) << qint64(1500)
      << Expected{28, 8, 7, 2, 0, 2, {8 + 4, 0, 8, 0}};

  // FIFO, capacity 2 blocks. Queue (old -> new):
  // r1 [1,2]: insert 2, 1 -> 2 1
  // r2 [3]:   insert 3 evicts 2 -> 1 3
  // r3 [1,2]: 1 hit; 2 evicted; insert 2 evicts 1, then 1 is absent: insert evicts 3 -> 2 1
  // r4 [5,1]: 5 cold; 1 present but unreachable: orphaned; insert 5 evicts 2 -> 1 5
  QTest::newRow("fifo orphan")
      << QStringLiteral(
             "{\"timestamp\":0,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n"
             "{\"timestamp\":1,\"input_length\":4,\"output_length\":1,\"hash_ids\":[3]}\n"
             "{\"timestamp\":2,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n"
             "{\"timestamp\":3,\"input_length\":8,\"output_length\":1,\"hash_ids\":[5,1]}\n")
      << QStringLiteral("fifo") << quint64(8) << qint64(0)
      << Expected{28, 4, 7, 1, 4, 0, {8 + 4 + 4, 4, 0, 4}};

  // hit tokens = min(hit blocks x block size, input_length): a 6-token prompt with two 4-token blocks.
  QTest::newRow("hit capped by input length")
      << QStringLiteral(
             "{\"timestamp\":0,\"input_length\":6,\"output_length\":1,\"hash_ids\":[7,8]}\n"
             "{\"timestamp\":5,\"input_length\":6,\"output_length\":1,\"hash_ids\":[7,8]}\n")
      << QStringLiteral("lru") << quint64(100) << qint64(0) << Expected{12, 6, 4, 2, 0, 0, {6, 0, 0, 0}};
}

void TestTraceReplay::handComputed() {
  QFETCH(QString, trace);
  QFETCH(QString, policy);
  QFETCH(quint64, maxTokens);
  QFETCH(qint64, ttlMs);
  QFETCH(Expected, expected);
  QTemporaryDir dir;
  ReplayConfig config;
  config.blockSize = 4;
  config.policy = policy.toStdString();
  config.maxTokens = maxTokens;
  config.ttlMs = ttlMs;
  const ReplayResult r = replayTraceFile(writeTrace(dir, "t.jsonl", trace.toStdString()), config);
  QCOMPARE(r.promptTokens, expected.promptTokens);
  QCOMPARE(r.hitTokens, expected.hitTokens);
  QCOMPARE(r.blocks, expected.blocks);
  QCOMPARE(r.hitBlocks, expected.hitBlocks);
  QCOMPARE(r.evictions, expected.evictions);
  QCOMPARE(r.expirations, expected.expirations);
  for (int i = 0; i < kMissReasonCount; ++i)
    QCOMPARE(r.missTokens[std::size_t(i)], expected.missTokens[std::size_t(i)]);
  std::uint64_t missed = 0;
  for (const auto m : r.missTokens) missed += m;
  QCOMPARE(missed, r.promptTokens - r.hitTokens);
}

void TestTraceReplay::semanticsOptions_data() {
  QTest::addColumn<QString>("trace");
  QTest::addColumn<quint64>("maxTokens");
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<int>("ttlMode");
  QTest::addColumn<bool>("protectInUse");
  QTest::addColumn<Expected>("expected");
  const QString own = QStringLiteral(
      "{\"timestamp\":0,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n"
      "{\"timestamp\":1,\"input_length\":12,\"output_length\":1,\"hash_ids\":[1,2,3]}\n"
      "{\"timestamp\":2,\"input_length\":4,\"output_length\":1,\"hash_ids\":[3]}\n");
  // Block size 4, capacity 2 blocks, LRU (old -> new).
  // r1 [1,2]: cold 8; inserts 2, 1 -> 2 1.
  // r2 [1,2,3]: hits 1, 2 (8 tokens), 3 cold (4). Literal: insert 3 evicts 2 (its own hit block) -> 1 3;
  //     2 again evicts 1 -> 3 2; 1 again evicts 3 -> 2 1 (3 evictions).
  // r3 [3]: 3 was evicted (4 tokens); insert 3 evicts 2 (4 evictions in all).
  QTest::newRow("literal: own hit blocks evicted") << own << quint64(8) << qint64(0) << int(TtlMode::Idle)
                                                   << false << Expected{24, 8, 6, 2, 4, 0, {12, 4, 0, 0}};
  // --protect-in-use: in r2, 1 and 2 are in use: 3 cannot fit (nothing else to evict) and is not stored,
  //     nothing is evicted; touches 2, 1 -> 2 1. r3 [3]: never stored: cold 4; insert evicts 2 (1 eviction).
  QTest::newRow("protect in use") << own << quint64(8) << qint64(0) << int(TtlMode::Idle) << true
                                  << Expected{24, 8, 6, 2, 1, 0, {16, 0, 0, 0}};
  // Unlimited: r2 hits 8 and stores 3, r3 hits 4; nothing is ever evicted.
  QTest::newRow("unlimited") << own << quint64(kUnlimited) << qint64(0) << int(TtlMode::Idle) << false
                             << Expected{24, 12, 6, 3, 0, 0, {12, 0, 0, 0}};
  const QString again = QStringLiteral(
      "{\"timestamp\":0,\"input_length\":4,\"output_length\":1,\"hash_ids\":[1]}\n"
      "{\"timestamp\":8,\"input_length\":4,\"output_length\":1,\"hash_ids\":[1]}\n"
      "{\"timestamp\":15,\"input_length\":4,\"output_length\":1,\"hash_ids\":[1]}\n");
  // TTL 10. Idle: r2 at t=8 hits and refreshes; r3 at t=15 is 7 idle: hit.
  QTest::newRow("ttl idle") << again << quint64(100) << qint64(10) << int(TtlMode::Idle) << false
                            << Expected{12, 8, 3, 2, 0, 0, {4, 0, 0, 0}};
  // Age: r2 at t=8 hits (age 8) but does not refresh; r3 at t=15: age 15 > 10, expired (4 tokens), stored
  // again.
  QTest::newRow("ttl age") << again << quint64(100) << qint64(10) << int(TtlMode::Age) << false
                           << Expected{12, 4, 3, 1, 0, 1, {4, 0, 4, 0}};
}

void TestTraceReplay::semanticsOptions() {
  QFETCH(QString, trace);
  QFETCH(quint64, maxTokens);
  QFETCH(qint64, ttlMs);
  QFETCH(int, ttlMode);
  QFETCH(bool, protectInUse);
  QFETCH(Expected, expected);
  QTemporaryDir dir;
  ReplayConfig config;
  config.blockSize = 4;
  config.maxTokens = maxTokens;
  config.ttlMs = ttlMs;
  config.ttlMode = TtlMode(ttlMode);
  config.protectInUse = protectInUse;
  config.bytesPerToken = 131072;  // a real model's size: unlimited x bytes must not overflow
  const ReplayResult r = replayTraceFile(writeTrace(dir, "t.jsonl", trace.toStdString()), config);
  QCOMPARE(r.promptTokens, expected.promptTokens);
  QCOMPARE(r.hitTokens, expected.hitTokens);
  QCOMPARE(r.blocks, expected.blocks);
  QCOMPARE(r.hitBlocks, expected.hitBlocks);
  QCOMPARE(r.evictions, expected.evictions);
  QCOMPARE(r.expirations, expected.expirations);
  for (int i = 0; i < kMissReasonCount; ++i)
    QCOMPARE(r.missTokens[std::size_t(i)], expected.missTokens[std::size_t(i)]);
  QCOMPARE(r.capacityBlocks, maxTokens == kUnlimited ? kUnlimited : maxTokens / 4);
}

void TestTraceReplay::malformedLineNamesLineAndField() {
  QTemporaryDir dir;
  const std::string path =
      writeTrace(dir, "bad.jsonl",
                 "{\"timestamp\":0,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n"
                 "{\"timestamp\":1,\"input_length\":\"x\",\"output_length\":1,\"hash_ids\":[1]}\n");
  ReplayConfig config;
  config.maxTokens = 1000;
  try {
    replayTraceFile(path, config);
    QFAIL("a malformed line must throw");
  } catch (const InputError& e) {
    QCOMPARE(e.line, 2);
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("input_length"));
    QVERIFY(QString::fromStdString(e.what()).contains(QStringLiteral("bad.jsonl:2")));
  }
}

void TestTraceReplay::skipBadLinesCounts() {
  QTemporaryDir dir;
  const std::string path =
      writeTrace(dir, "bad.jsonl",
                 "{\"timestamp\":0,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n"
                 "garbage\n"
                 "{\"timestamp\":2,\"input_length\":8,\"output_length\":1,\"hash_ids\":[1,2]}\n");
  ReplayConfig config;
  config.blockSize = 4;
  config.maxTokens = 1000;
  config.skipBadLines = true;
  const ReplayResult r = replayTraceFile(path, config);
  QCOMPARE(r.requests, std::uint64_t(2));
  QCOMPARE(r.skippedLines, std::uint64_t(1));
  QCOMPARE(r.hitTokens, std::uint64_t(8));
}

void TestTraceReplay::lruOnePassEqualsReplay_data() {
  QTest::addColumn<qint64>("ttlMs");
  QTest::addColumn<int>("seed");
  QTest::addColumn<bool>("repeats");  // some requests name one of their own blocks twice
  QTest::newRow("no ttl, seed 1") << qint64(0) << 1 << false;
  QTest::newRow("no ttl, seed 2") << qint64(0) << 2 << false;
  QTest::newRow("ttl 40 ms, seed 3") << qint64(40) << 3 << false;
  QTest::newRow("no ttl, repeats, seed 4") << qint64(0) << 4 << true;
  QTest::newRow("ttl 40 ms, repeats, seed 5") << qint64(40) << 5 << true;
}

void TestTraceReplay::lruOnePassEqualsReplay() {
  QFETCH(qint64, ttlMs);
  QFETCH(int, seed);
  QFETCH(bool, repeats);
  // Random prefix chains: each request extends one of a few shared roots with fresh or reused children.
  std::mt19937_64 rng{std::uint64_t(seed)};
  std::string text;
  std::vector<std::vector<std::uint64_t>> chains;
  std::uint64_t nextId = 0;
  for (int r = 0; r < 600; ++r) {
    std::vector<std::uint64_t> ids;
    if (!chains.empty() && rng() % 3 != 0) {
      const auto& base = chains[rng() % chains.size()];
      ids.assign(base.begin(), base.begin() + std::ptrdiff_t(1 + rng() % base.size()));
    }
    for (std::uint64_t extra = 1 + rng() % 4; extra > 0; --extra) ids.push_back(nextId++);
    if (repeats && rng() % 4 == 0) ids.push_back(ids[rng() % ids.size()]);
    chains.push_back(ids);
    text += "{\"timestamp\":" + std::to_string(r * 10) +
            ",\"input_length\":" + std::to_string(ids.size() * 4 - rng() % 3) +
            ",\"output_length\":1,\"hash_ids\":[";
    for (std::size_t i = 0; i < ids.size(); ++i) text += (i ? "," : "") + std::to_string(ids[i]);
    text += "]}\n";
  }
  QTemporaryDir dir;
  const std::string path = writeTrace(dir, "chains.jsonl", text);
  ReplayConfig base;
  base.blockSize = 4;
  base.ttlMs = ttlMs;
  const std::vector<std::uint64_t> sizes = {0, 4, 40, 200, 800, 4000, 100000};
  const auto onePass = lruCurveOnePass(path, base, sizes);
  QCOMPARE(onePass.size(), sizes.size());
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    ReplayConfig config = base;
    config.maxTokens = sizes[s];
    const ReplayResult replay = replayTraceFile(path, config);
    QCOMPARE(onePass[s].result.hitTokens, replay.hitTokens);
    QCOMPARE(onePass[s].result.hitBlocks, replay.hitBlocks);
    QCOMPARE(onePass[s].result.promptTokens, replay.promptTokens);
    if (ttlMs == 0) QCOMPARE(onePass[s].result.evictions, replay.evictions);
  }
}

QTEST_GUILESS_MAIN(TestTraceReplay)
#include "tst_trace_replay.moc"
