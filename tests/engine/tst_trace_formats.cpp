// SPDX-License-Identifier: MIT
// The trace readers on hand-worked fixtures (tests/data/traces/<format>/), one per format with each of its
// quirks: format detection from the content, requests and tokens, the token accounting rule, chained keys
// and the infinite-cache bounds (prefix and chunk-level), annotations, and replay through both replayers.
// Every expected number is worked by hand in the comment beside its row (tools/trace_reference.py, written
// apart from the C++, gives the same numbers; tst_trace_reference runs it on the real traces).
#include <QtTest/QtTest>

#include <fstream>

#include "core/replay/lean_block_replayer.h"
#include "core/replay/trace_replayer.h"
#include "core/trace/block_token_ruler.h"
#include "core/trace/scaled_trace.h"
#include "core/trace/trace.h"
#include "core/trace/trace_bounds.h"
#include "core/trace/uniform_blocks.h"
#include "core/util/input_error.h"

using namespace kvlab;

namespace {

std::string fixture(const char* relative) { return std::string(KVLAB_TEST_DATA_DIR "/traces/") + relative; }

// The tokens block b of r stands for (the ruler's walk).
std::vector<std::uint64_t> widths(const TraceRequest& r, std::uint32_t blockSize) {
  BlockTokenRuler ruler(blockSize, r.inputLength, r.blockTokens);
  std::vector<std::uint64_t> out;
  for (std::size_t b = 0; b < r.hashIds.size(); ++b) out.push_back(ruler.nextBlock());
  return out;
}

}  // namespace

class TestTraceFormats : public QObject {
  Q_OBJECT

private slots:
  void fixtures_data();
  void fixtures();
  void forcedFormat();
  void blockSizeResolution();
  void tokenRuler_data();
  void tokenRuler();
  void bailianAnnotations();
  void ragpulseQuirks();
  void kvCacheTesterLineage();
  void kvCacheTesterGlobalScope();
  void kvcacheSimulatorTimes();
  void lengthOnlyTraces();
  void weightedLruReplay_data();
  void weightedLruReplay();
  void uniformConversion();
  void scaledCopyNeedsUniformBlocks();
  void badInput_data();
  void badInput();
};

void TestTraceFormats::fixtures_data() {
  QTest::addColumn<QString>("path");
  QTest::addColumn<QString>("format");
  QTest::addColumn<quint32>("blockSize");
  QTest::addColumn<bool>("declared");
  QTest::addColumn<quint64>("requests");
  QTest::addColumn<quint64>("promptTokens");
  QTest::addColumn<quint64>("outputTokens");
  QTest::addColumn<quint64>("blocks");
  QTest::addColumn<quint64>("prefixHits");
  QTest::addColumn<qint64>("chunkHits");  // -1: the format keeps no chunk ids
  QTest::addColumn<qint64>("firstMs");
  QTest::addColumn<qint64>("lastMs");
  // Mooncake, B = 512 by convention: r2 [0,1] of 700 tokens hits both (512 + the 188 left), r3 [0,3,4] hits
  // 0 (512): 1212.
  QTest::newRow("mooncake") << "mooncake/tiny.jsonl" << "mooncake" << 512u << false << quint64(3) << quint64(3000)
                            << quint64(60) << quint64(8) << quint64(1212) << qint64(-1) << qint64(0) << qint64(90);
  // Qwen-Bailian, B = 16, ids per block content (not chained). r2 [10,11,12,13] of 50: the path 10,11,12 of r1
  // = 48. r3 [11,12,14]: no prefix (11 first is a new path); chunks 11, 12 occurred: 16 + 16. r4 [10,99] of 20:
  // 10 at the root = 16. Prefix 48 + 16 = 64; chunk 48 + 32 + 16 = 96. Times 0.5 s, 1.25 s, 2.0005 s (2001 ms,
  // half rounds away from zero), 3 s.
  QTest::newRow("qwen-bailian") << "qwen_bailian/tiny.jsonl" << "qwen-bailian" << 16u << true << quint64(4)
                                << quint64(143) << quint64(19) << quint64(12) << quint64(64) << qint64(96)
                                << qint64(500) << qint64(3000);
  // kvcache-simulator with block_tokens (B = 8 declared, counts win): r2 [1,2,4] hits 1 and 2: 5 + 9 = 14 (a
  // uniform count would say 16). r3 [2,1]: 2 at the root is a new path: 0.
  QTest::newRow("kvcache-simulator weighted")
      << "kvcache_simulator/weighted.jsonl" << "kvcache-simulator" << 8u << true << quint64(3) << quint64(65)
      << quint64(5) << quint64(8) << quint64(14) << qint64(-1) << qint64(0) << qint64(13);
  // Uniform B = 8: r2 [7,8,9] of 17 tokens hits all three: 8 + 8 + the last partial block's 1.
  QTest::newRow("kvcache-simulator uniform")
      << "kvcache_simulator/uniform.jsonl" << "kvcache-simulator" << 8u << true << quint64(2) << quint64(37)
      << quint64(2) << quint64(6) << quint64(17) << qint64(-1) << qint64(5) << qint64(6);
  // RAGPulse: sorted B (10 s) then A, C (20 s, file order). A [100,101,0,1,300]: path 100,101 of B = 50 + 30;
  // chunks 100, 101, 0 occurred = 120. C [100,101,1,0,400,302] of 120 tokens: prefix 80; chunks 100, 101, 1
  // (20), 0 (cut at 120: 20 of its 40) = 120; 400 and 302 lie past the input length (0 tokens).
  QTest::newRow("ragpulse") << "ragpulse" << "ragpulse" << 512u << true << quint64(3) << quint64(440)
                            << quint64(15) << quint64(17) << quint64(160) << qint64(240) << qint64(10000)
                            << qint64(20000);
  QTest::newRow("ragpulse via 0_trace.jsonl")
      << "ragpulse/0_trace.jsonl" << "ragpulse" << 512u << true << quint64(3) << quint64(440) << quint64(15)
      << quint64(17) << quint64(160) << qint64(240) << qint64(10000) << qint64(20000);
  // kv-cache-tester, B = 4, two files with local ids. Timeline: a0 0 s, b0 1 s, x0 5 s, b1 5 s, a1 6 s, y0 6.5 s
  // (x at 5 + y at 1 + 0.5), x1 7.5 s. b0 [1,2] does not hit a0's [1,2] (other file). Hits: x0 [1,3]: 1 = 4;
  // b1 [1,2,6]: 8; a1 [1,2,5]: 8; y0 [1,3]: 8 (x0's path); x1 [1,3,4]: 8. Total 36.
  QTest::newRow("kv-cache-tester directory")
      << "kv_cache_tester" << "kv-cache-tester" << 4u << true << quint64(7) << quint64(69) << quint64(10)
      << quint64(17) << quint64(36) << qint64(-1) << qint64(0) << qint64(7500);
  // One file: a0, x0 (4), a1 (8), y0 (8), x1 (8) = 28.
  QTest::newRow("kv-cache-tester file") << "kv_cache_tester/conv_a.json" << "kv-cache-tester" << 4u << true
                                        << quint64(5) << quint64(52) << quint64(8) << quint64(12) << quint64(28)
                                        << qint64(-1) << qint64(0) << qint64(7500);
  // Azure: the first row is 23:59:59.9995 (ms rounds to 1000 into that second), the second 00:00:00.0004 of
  // the next day (rounds to 0 of the next second): both 0 ms after the first; the third 1.5 s later.
  QTest::newRow("azure-llm") << "azure_llm/tiny.csv" << "azure-llm" << 512u << false << quint64(3) << quint64(350)
                             << quint64(35) << quint64(0) << quint64(0) << qint64(-1) << qint64(0) << qint64(1500);
  QTest::newRow("burstgpt") << "burstgpt/tiny.csv" << "burstgpt" << 512u << false << quint64(2) << quint64(1559)
                            << quint64(248) << quint64(0) << quint64(0) << qint64(-1) << qint64(5000)
                            << qint64(45500);
}

void TestTraceFormats::fixtures() {
  QFETCH(QString, path);
  QFETCH(QString, format);
  QFETCH(quint32, blockSize);
  QFETCH(bool, declared);
  QFETCH(quint64, requests);
  QFETCH(quint64, promptTokens);
  QFETCH(quint64, outputTokens);
  QFETCH(quint64, blocks);
  QFETCH(quint64, prefixHits);
  QFETCH(qint64, chunkHits);
  QFETCH(qint64, firstMs);
  QFETCH(qint64, lastMs);
  const std::string file = fixture(qPrintable(path));
  QCOMPARE(QString::fromStdString(detectTraceFormat(file).name), format);
  const Trace trace = loadTrace(file);
  QCOMPARE(QString::fromStdString(trace.info.format), format);
  QCOMPARE(trace.info.blockSize, blockSize);
  QCOMPARE(trace.info.blockSizeDeclared, declared);
  QCOMPARE(trace.skippedLines, quint64(0));
  const TraceBounds bounds = computeBounds(trace);
  QCOMPARE(bounds.requests, requests);
  QCOMPARE(bounds.promptTokens, promptTokens);
  QCOMPARE(bounds.outputTokens, outputTokens);
  QCOMPARE(bounds.blocks, blocks);
  QCOMPARE(bounds.prefixHitTokens, prefixHits);
  QCOMPARE(bounds.chunkHitTokens.has_value(), chunkHits >= 0);
  if (chunkHits >= 0) QCOMPARE(*bounds.chunkHitTokens, quint64(chunkHits));
  QCOMPARE(trace.requests.front().timestampMs, firstMs);
  QCOMPARE(trace.requests.back().timestampMs, lastMs);
  for (std::size_t i = 1; i < trace.requests.size(); ++i)
    QVERIFY(trace.requests[i - 1].timestampMs <= trace.requests[i].timestampMs);
  if (!trace.info.hasBlockIds) return;
  // An unlimited LRU replay is the infinite cache: the same hits, through the streaming reader, both replayers.
  ReplayConfig config;
  config.blockSize = 0;  // the trace's own
  config.maxTokens = kUnlimited;
  config.inputFormat = format.toStdString();
  QCOMPARE(replayTraceFile(file, config).hitTokens, prefixHits);
  config = configForTrace(trace.info, config);
  config.policy = "s3fifo";  // the general engine (BlockCache::match with weights)
  const auto general = makeReplayer(config);
  for (const TraceRequest& r : trace.requests) general->replay(r);
  QCOMPARE(general->result().hitTokens, prefixHits);
  QCOMPARE(general->result().promptTokens, promptTokens);
}

void TestTraceFormats::forcedFormat() {
  // --input-format names the reader; an unknown name is refused with the list of formats.
  const std::string bailian = fixture("qwen_bailian/tiny.jsonl");
  TraceOpenOptions options;
  options.format = "qwen-bailian";
  QCOMPARE(loadTrace(bailian, options).requests.size(), std::size_t(4));
  options.format = "nope";
  try {
    (void)openTraceReader(bailian, options);
    QFAIL("an unknown format name must be an InputError");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("input-format"));
    QVERIFY2(QString(e.what()).contains("ragpulse"), e.what());
  }
  // A CSV nobody claims: the detection error names the first line and the formats.
  QTemporaryDir dir;
  const QString odd = dir.filePath("odd.csv");
  QFile f(odd);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write("a,b,c\n1,2,3\n");
  f.close();
  try {
    (void)detectTraceFormat(odd.toStdString());
    QFAIL("an unknown layout must be an InputError");
  } catch (const InputError& e) {
    QVERIFY2(QString(e.what()).contains("--input-format"), e.what());
    QVERIFY2(QString(e.what()).contains("a,b,c"), e.what());
  }
}

void TestTraceFormats::blockSizeResolution() {
  const Trace bailian = loadTrace(fixture("qwen_bailian/tiny.jsonl"));
  QCOMPARE(resolveBlockSize(bailian.info, 0), 16u);
  QCOMPARE(resolveBlockSize(bailian.info, 16), 16u);
  try {
    (void)resolveBlockSize(bailian.info, 512);
    QFAIL("a size that contradicts the declared one must be refused");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("block-size"));
    QVERIFY2(QString(e.what()).contains("16"), e.what());
  }
  const Trace mooncake = loadTrace(fixture("mooncake/tiny.jsonl"));
  QCOMPARE(resolveBlockSize(mooncake.info, 0), 512u);
  QCOMPARE(resolveBlockSize(mooncake.info, 64), 64u);  // Mooncake's 512 is a convention, not a declaration
}

void TestTraceFormats::tokenRuler_data() {
  QTest::addColumn<quint32>("blockSize");
  QTest::addColumn<quint32>("input");
  QTest::addColumn<QList<quint32>>("weights");
  QTest::addColumn<int>("blocks");
  QTest::addColumn<QList<quint64>>("expected");
  // Uniform: [0,16) [16,32) [32,40) cut at 40, then a block past the input weighs 0.
  QTest::newRow("uniform, partial last") << 16u << 40u << QList<quint32>{} << 4 << QList<quint64>{16, 16, 8, 0};
  // Prompt longer than the ids: the tail is no block's (never a hit).
  QTest::newRow("uniform, tail uncovered") << 16u << 100u << QList<quint32>{} << 2 << QList<quint64>{16, 16};
  // Weights: 5, 9, 10 within 30 (6 tokens of template past the last block).
  QTest::newRow("weights within") << 8u << 30u << QList<quint32>{5, 9, 10} << 3 << QList<quint64>{5, 9, 10};
  // Weights cut: 9 then 5 of which only 1 fits in 10.
  QTest::newRow("weights cut") << 8u << 10u << QList<quint32>{9, 5} << 2 << QList<quint64>{9, 1};
}

void TestTraceFormats::tokenRuler() {
  QFETCH(quint32, blockSize);
  QFETCH(quint32, input);
  QFETCH(QList<quint32>, weights);
  QFETCH(int, blocks);
  QFETCH(QList<quint64>, expected);
  TraceRequest r;
  r.inputLength = input;
  r.hashIds.assign(std::size_t(blocks), 0);
  r.blockTokens.assign(weights.begin(), weights.end());
  const auto got = widths(r, blockSize);
  QCOMPARE(QList<quint64>(got.begin(), got.end()), expected);
  std::uint64_t sum = 0;
  for (int k = 0; k <= blocks; ++k) {
    QCOMPARE(BlockTokenRuler(blockSize, input, r.blockTokens).leading(std::size_t(k)), sum);
    if (k < blocks) sum += expected[k];
  }
}

void TestTraceFormats::bailianAnnotations() {
  const Trace t = loadTrace(fixture("qwen_bailian/tiny.jsonl"));
  QCOMPARE(t.requests[1].requestId, qint64(2));
  QCOMPARE(t.requests[1].parentId, qint64(1));
  QCOMPARE(t.requests[3].parentId, qint64(-1));  // parent_chat_id missing: a root
  // Sessions: the root of the parent chain (1 for requests 1 and 2), else the request itself.
  QCOMPARE(t.requests[0].session, t.requests[1].session);
  QVERIFY(t.requests[2].session != t.requests[0].session);
  QCOMPARE(QString::fromStdString(t.info.sessions.name(t.requests[1].session)), QStringLiteral("1"));
  QCOMPARE(QString::fromStdString(t.info.requestTypes.name(t.requests[2].requestType)), QStringLiteral("search"));
  QCOMPARE(t.requests[3].requestType, kNoLabel);
  QCOMPARE(t.requests[1].turn, 2u);
  QCOMPARE(t.requests[3].turn, 0u);
  QCOMPARE(t.requests[2].timestampMs, qint64(2001));
  // Chained keys: r2 shares r1's three keys; r3's 11 and 12 follow another path, so other keys, but its raw
  // ids (chunkIds) are r1's.
  QCOMPARE(std::vector<std::uint64_t>(t.requests[1].hashIds.begin(), t.requests[1].hashIds.begin() + 3),
           t.requests[0].hashIds);
  QVERIFY(t.requests[2].hashIds[0] != t.requests[0].hashIds[1]);
  QCOMPARE(t.requests[2].chunkIds, (std::vector<std::uint64_t>{11, 12, 14}));
  QVERIFY(t.info.hasChunkIds && !t.info.sourceIdsChained);
}

void TestTraceFormats::ragpulseQuirks() {
  const Trace t = loadTrace(fixture("ragpulse"));
  // Sorted: the file's second record (10 s) first; the two at 20 s keep file order (A, then C).
  QCOMPARE(t.requests[0].inputLength, 170u);
  QCOMPARE(t.requests[1].inputLength, 150u);
  QCOMPARE(t.requests[2].inputLength, 120u);
  // C's segments in prompt order whatever the key order of its line; history absent.
  const TraceRequest& c = t.requests[2];
  QCOMPARE(c.chunkIds, (std::vector<std::uint64_t>{100, 101, 1, 0, 400, 302}));
  QCOMPARE(c.blockTokens, (std::vector<std::uint32_t>{50, 30, 20, 40, 12, 7}));
  QCOMPARE(c.segments, (std::vector<std::uint8_t>{0, 0, 1, 1, 3, 4}));
  QCOMPARE(QString::fromStdString(t.info.segments.name(3)), QStringLiteral("web_search"));
  QCOMPARE(widths(c, 512), (std::vector<std::uint64_t>{50, 30, 20, 20, 0, 0}));
  QCOMPARE(QString::fromStdString(t.info.sessions.name(c.session)), QStringLiteral("s1"));
  QVERIFY(t.info.perBlockTokens);
}

void TestTraceFormats::kvCacheTesterLineage() {
  const Trace t = loadTrace(fixture("kv_cache_tester"));
  // Timeline order: a0, b0, x0, b1, a1, y0, x1.
  std::vector<std::string> sessions;
  for (const TraceRequest& r : t.requests) sessions.push_back(t.info.sessions.name(r.session));
  QCOMPARE(sessions, (std::vector<std::string>{"conv_a", "conv_b", "conv_a/x", "conv_b", "conv_a", "conv_a/x/y",
                                               "conv_a/x"}));
  // requestId = order of appearance (file a: a0 0, x0 1, y0 2, x1 3, a1 4; file b: b0 5, b1 6); parentId = the
  // previous request of the same context, a sub-agent's first: its parent's latest.
  const auto& r = t.requests;
  QCOMPARE(r[0].requestId, qint64(0));
  QCOMPARE(r[0].parentId, qint64(-1));
  QCOMPARE(r[2].parentId, qint64(0));  // x0 after a0
  QCOMPARE(r[5].parentId, qint64(1));  // y0 after x0
  QCOMPARE(r[6].parentId, qint64(1));  // x1 after x0 (y's requests are y's)
  QCOMPARE(r[4].parentId, qint64(0));  // a1 after a0
  QCOMPARE(r[3].parentId, qint64(5));  // b1 after b0
  QCOMPARE(QString::fromStdString(t.info.models.name(r[2].model)), QStringLiteral("m2"));
  QCOMPARE(r[3].model, kNoLabel);
  QCOMPARE(QString::fromStdString(t.info.requestTypes.name(r[2].requestType)), QStringLiteral("subagent:Explore"));
  QCOMPARE(QString::fromStdString(t.info.requestTypes.name(r[5].requestType)), QStringLiteral("subagent:subagent"));
  QCOMPARE(QString::fromStdString(t.info.requestTypes.name(r[4].requestType)), QStringLiteral("main"));
  // Local ids: b0's [1,2] are other blocks than a0's [1,2].
  QCOMPARE(r[1].hashIds.size(), std::size_t(2));
  QVERIFY(r[1].hashIds[0] != r[0].hashIds[0]);
}

void TestTraceFormats::kvCacheTesterGlobalScope() {
  // The same two conversations with hash_id_scope "global": b0's [1,2] is a0's path now (+8 over the local
  // scope's 36), and b1 [1,2,6] already hit 8 either way.
  QTemporaryDir dir;
  for (const char* name : {"conv_a.json", "conv_b.json"}) {
    QFile in(QString::fromStdString(fixture("kv_cache_tester/")) + name);
    QVERIFY(in.open(QIODevice::ReadOnly));
    QByteArray text = in.readAll().replace("\"local\"", "\"global\"");
    QFile out(dir.filePath(name));
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(text);
  }
  const Trace t = loadTrace(dir.path().toStdString());
  QCOMPARE(computeBounds(t).prefixHitTokens, quint64(44));
  QCOMPARE(t.requests[1].hashIds, t.requests[0].hashIds);
}

void TestTraceFormats::kvcacheSimulatorTimes() {
  const Trace t = loadTrace(fixture("kvcache_simulator/weighted.jsonl"));
  // No timestamp on line 2: it arrives with line 1; 12.6 ms rounds to 13; output_length missing = 0.
  QCOMPARE(t.requests[1].timestampMs, qint64(0));
  QCOMPARE(t.requests[2].timestampMs, qint64(13));
  QCOMPARE(t.requests[1].outputLength, 0u);
  QCOMPARE(t.requests[0].blockTokens, (std::vector<std::uint32_t>{5, 9, 10}));
  QVERIFY(t.info.perBlockTokens);
}

void TestTraceFormats::lengthOnlyTraces() {
  const Trace burst = loadTrace(fixture("burstgpt/tiny.csv"));
  QVERIFY(!burst.info.hasBlockIds);
  QCOMPARE(QString::fromStdString(burst.info.models.name(burst.requests[1].model)), QStringLiteral("GPT-4"));
  QCOMPARE(QString::fromStdString(burst.info.requestTypes.name(burst.requests[0].requestType)),
           QStringLiteral("Conversation log"));
  QVERIFY(burst.requests[0].hashIds.empty());
  // Replay refuses them, naming the file and what to use instead.
  ReplayConfig config;
  config.maxTokens = 1000;
  try {
    (void)replayTraceFile(fixture("azure_llm/tiny.csv"), config);
    QFAIL("replaying a length-only trace must be refused");
  } catch (const InputError& e) {
    QVERIFY2(QString::fromStdString(e.file).endsWith("tiny.csv"), e.what());
    QVERIFY2(QString(e.what()).contains("simulate"), e.what());
  }
}

void TestTraceFormats::weightedLruReplay_data() {
  QTest::addColumn<QString>("policy");
  QTest::newRow("lean lru") << "lru";
  QTest::newRow("engine s3fifo") << "s3fifo";  // too big a cache to evict: the engine's accounting alone
}

void TestTraceFormats::weightedLruReplay() {
  // The weighted kvcache-simulator fixture in an LRU cache of 2 blocks (B = 8, 16 tokens):
  //  r1 [k1,k2,k3]: misses 5 + 9 + 10 cold, 6 tokens past the blocks cold; commit k3, k2, k1 (k1 evicts k3).
  //  r2 [k1,k2,k4]: hits k1, k2 = 5 + 9 = 14 tokens (2 blocks); k4 misses 5 cold, 6 past the blocks cold.
  //  r3 [k5,k6] (other paths): 9 + 1 cold.
  // Hit tokens 14 of 65; blocks 2 of 8 hit.
  QFETCH(QString, policy);
  const Trace t = loadTrace(fixture("kvcache_simulator/weighted.jsonl"));
  ReplayConfig config;
  config.blockSize = 8;
  config.policy = policy.toStdString();
  config.maxTokens = policy == "lru" ? 16 : kUnlimited;
  const auto replayer = makeReplayer(config);
  QCOMPARE(policy == "lru", dynamic_cast<LeanBlockReplayer*>(replayer.get()) != nullptr);
  for (const TraceRequest& r : t.requests) replayer->replay(r);
  const ReplayResult result = replayer->result();
  QCOMPARE(result.hitTokens, quint64(14));
  QCOMPARE(result.hitBlocks, quint64(2));
  QCOMPARE(result.promptTokens, quint64(65));
  QCOMPARE(result.missTokens[std::size_t(MissReason::Cold)], quint64(65 - 14));
}

void TestTraceFormats::uniformConversion() {
  // RAGPulse at B = 16 for the serving pool: B's chunks 50, 30, 25, 40, 10, 6 (161 of 170 tokens) give 10 full
  // 16-token blocks; A's first five blocks (tokens [0, 80): chunks 100, 101) are B's, the sixth ends in chunk 0
  // which follows 101 in A but 2 in B: a new key.
  const Trace t = loadTrace(fixture("ragpulse"));
  const std::vector<TraceRequest> u = uniformBlockRequests(t, 16);
  QCOMPARE(u[0].hashIds.size(), std::size_t(161 / 16));
  QCOMPARE(u[1].hashIds.size(), std::size_t(145 / 16));
  for (std::size_t k = 0; k < 5; ++k) QCOMPARE(u[1].hashIds[k], u[0].hashIds[k]);
  QVERIFY(u[1].hashIds[5] != u[0].hashIds[5]);
  QVERIFY(u[0].blockTokens.empty());
  std::uint32_t used = 0;
  QCOMPARE(servingRequests(t, 0, &used).size(), std::size_t(3));
  QCOMPARE(used, 512u);  // the trace's own unless asked
}

void TestTraceFormats::scaledCopyNeedsUniformBlocks() {
  QTemporaryDir dir;
  try {
    (void)writeScaledTrace(fixture("ragpulse"), dir.filePath("x.jsonl").toStdString(), 2);
    QFAIL("a scaled copy of per-block counts must be refused");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("scale"));
  }
  // A trace with uniform blocks in another format scales to Mooncake lines of its chained keys.
  const std::string out = dir.filePath("b.jsonl").toStdString();
  const ScaledTraceInfo info = writeScaledTrace(fixture("qwen_bailian/tiny.jsonl"), out, 2);
  QCOMPARE(info.requests, quint64(8));
  QCOMPARE(QString::fromStdString(detectTraceFormat(out).name), QStringLiteral("mooncake"));
}

using Files = QList<QPair<QString, QByteArray>>;  // file name -> content, in a fresh directory

void TestTraceFormats::badInput_data() {
  QTest::addColumn<Files>("files");
  QTest::addColumn<QString>("open");     // what to open, relative to the directory ("" = the directory)
  QTest::addColumn<QString>("errFile");  // the file the error names (its file name)
  QTest::addColumn<qint64>("errLine");   // 0 = none (one-document JSON: the field path says where)
  QTest::addColumn<QString>("errField");
  QTest::addColumn<quint64>("skipped");   // with --skip-bad-lines: lines (records) counted
  QTest::addColumn<quint64>("requests");  // and requests left
  const QByteArray b1 = R"({"chat_id": 1, "timestamp": 1.0, "input_length": 16, "output_length": 1, "hash_ids": [1]})";
  const QByteArray b3 = R"({"chat_id": 3, "timestamp": 3.0, "input_length": 16, "output_length": 1, "hash_ids": [1]})";
  QTest::newRow("bailian: timestamp a string")
      << Files{{"t.jsonl", b1 + "\n" +
                               R"({"chat_id": 2, "timestamp": "x", "input_length": 1, "output_length": 1, "hash_ids": []})" +
                               "\n" + b3 + "\n"}}
      << "t.jsonl" << "t.jsonl" << qint64(2) << "timestamp" << quint64(1) << quint64(2);
  QTest::newRow("bailian: chat_id missing")
      << Files{{"t.jsonl", b1 + "\n" + R"({"timestamp": 2.0, "input_length": 1, "output_length": 1, "hash_ids": []})" +
                               "\n" + b3}}
      << "t.jsonl" << "t.jsonl" << qint64(2) << "chat_id" << quint64(1) << quint64(2);
  QTest::newRow("bailian: time goes back")
      << Files{{"t.jsonl", b3 + "\n" + b1 + "\n"}} << "t.jsonl" << "t.jsonl" << qint64(2) << "timestamp" << quint64(1)
      << quint64(1);
  const QByteArray k1 = R"({"input_length": 8, "block_size": 8, "hash_ids": [1], "block_tokens": [8]})";
  QTest::newRow("kvcache-simulator: another block size")
      << Files{{"k.jsonl", k1 + "\n" + R"({"input_length": 8, "block_size": 16, "hash_ids": [1], "block_tokens": [8]})" +
                               "\n" + k1 + "\n"}}
      << "k.jsonl" << "k.jsonl" << qint64(2) << "block_size" << quint64(1) << quint64(2);
  QTest::newRow("kvcache-simulator: block_tokens count")
      << Files{{"k.jsonl", k1 + "\n" + R"({"input_length": 8, "block_size": 8, "hash_ids": [1, 2], "block_tokens": [8]})" +
                               "\n"}}
      << "k.jsonl" << "k.jsonl" << qint64(2) << "block_tokens" << quint64(1) << quint64(1);
  QTest::newRow("kvcache-simulator: a zero count")
      << Files{{"k.jsonl", k1 + "\n" + R"({"input_length": 8, "block_size": 8, "hash_ids": [1], "block_tokens": [0]})" +
                               "\n"}}
      << "k.jsonl" << "k.jsonl" << qint64(2) << "block_tokens" << quint64(1) << quint64(1);
  QTest::newRow("kvcache-simulator: block_tokens on some lines")
      << Files{{"k.jsonl", k1 + "\n" + R"({"input_length": 8, "block_size": 8, "hash_ids": [1]})" + "\n"}}
      << "k.jsonl" << "k.jsonl" << qint64(2) << "block_tokens" << quint64(1) << quint64(1);
  const QByteArray side = R"({"passage_id": 0, "token_length": 40})" "\n" R"({"passage_id": 1})" "\n";
  const QByteArray r0 = R"({"timestamp": "1", "input_length": 50, "output_length": 1, "hash_ids": {"passages_ids": [0]}})";
  QTest::newRow("ragpulse: side file line without token_length")
      << Files{{"2_passages.jsonl", side}, {"0_trace.jsonl", r0 + "\n"}} << "" << "2_passages.jsonl" << qint64(2)
      << "token_length" << quint64(1) << quint64(1);
  QTest::newRow("ragpulse: a chunk without a length")
      << Files{{"2_passages.jsonl", side.left(side.indexOf('\n') + 1)},
               {"0_trace.jsonl",
                r0 + "\n" + R"({"timestamp": "2", "input_length": 9, "output_length": 1, "hash_ids": {"passages_ids": [0, 7]}})" +
                    "\n\n"}}
      << "" << "0_trace.jsonl" << qint64(2) << "hash_ids.passages_ids" << quint64(1) << quint64(1);
  QTest::newRow("ragpulse: not a segment")
      << Files{{"2_passages.jsonl", side.left(side.indexOf('\n') + 1)},
               {"0_trace.jsonl",
                R"({"timestamp": "2", "input_length": 9, "output_length": 1, "hash_ids": {"footnotes": [0]}})" "\n" + r0}}
      << "0_trace.jsonl" << "0_trace.jsonl" << qint64(1) << "hash_ids.footnotes" << quint64(1) << quint64(1);
  QTest::newRow("ragpulse: timestamp not a number")
      << Files{{"2_passages.jsonl", side.left(side.indexOf('\n') + 1)},
               {"0_trace.jsonl",
                r0 + "\n" + R"({"timestamp": "soon", "input_length": 9, "output_length": 1, "hash_ids": {}})"}}
      << "" << "0_trace.jsonl" << qint64(2) << "timestamp" << quint64(1) << quint64(1);
  const QByteArray tester = R"({"block_size": 4, "hash_id_scope": "local", "requests": [
    {"t": 0, "in": 8, "out": 1, "hash_ids": [1, 2]},
    {"t": 1, "out": 1, "hash_ids": [1, 2]},
    {"t": 2, "type": "subagent", "requests": [{"t": 0, "in": 4, "out": 1, "hash_ids": [1, 9]}, {"t": -1, "in": 4, "out": 1, "hash_ids": []}]}]})";
  QTest::newRow("kv-cache-tester: in missing")
      << Files{{"c.json", tester}} << "c.json" << "c.json" << qint64(0) << "requests[1].in" << quint64(2) << quint64(2);
  const QByteArray good = R"({"block_size": 4, "hash_id_scope": "local", "requests": [
    {"t": 0, "in": 8, "out": 1, "hash_ids": [1, 2]}, {"t": 1, "in": 8, "out": 1, "hash_ids": [1, 2]}]})";
  QTest::newRow("kv-cache-tester: directory disagrees on block_size")
      << Files{{"a.json", good}, {"b.json", QByteArray(good).replace("\"block_size\": 4", "\"block_size\": 64")}}
      << "" << "b.json" << qint64(0) << "block_size" << quint64(1) << quint64(2);
  const QByteArray azure = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,4808,10\n";
  QTest::newRow("azure: a bad time")
      << Files{{"a.csv", azure + "2023-13-16 18:17:04.0,1,1\n2023-11-16 18:17:05.0,2,2\n"}} << "a.csv" << "a.csv"
      << qint64(3) << "TIMESTAMP" << quint64(1) << quint64(2);
  QTest::newRow("azure: a missing field")
      << Files{{"a.csv", azure + "2023-11-16 18:17:04.0,1\n"}} << "a.csv" << "a.csv" << qint64(3) << ""
      << quint64(1) << quint64(1);
  QTest::newRow("burstgpt: tokens not a number")
      << Files{{"b.csv", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
                         "5,ChatGPT,many,18,490,Conversation log\n6,ChatGPT,1,1,2,API log\n"}}
      << "b.csv" << "b.csv" << qint64(2) << "Request tokens" << quint64(1) << quint64(1);
}

void TestTraceFormats::badInput() {
  QFETCH(Files, files);
  QFETCH(QString, open);
  QFETCH(QString, errFile);
  QFETCH(qint64, errLine);
  QFETCH(QString, errField);
  QFETCH(quint64, skipped);
  QFETCH(quint64, requests);
  QTemporaryDir dir;
  for (const auto& [name, content] : files) {
    QFile f(dir.filePath(name));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(content);
  }
  const std::string path = open.isEmpty() ? dir.path().toStdString() : dir.filePath(open).toStdString();
  try {
    (void)loadTrace(path);
    QFAIL("a malformed line must be an InputError");
  } catch (const InputError& e) {
    QVERIFY2(QString::fromStdString(e.file).endsWith(errFile), e.what());
    QCOMPARE(e.line, errLine);
    QCOMPARE(QString::fromStdString(e.field), errField);
  }
  TraceOpenOptions skip;
  skip.skipBadLines = true;
  const Trace t = loadTrace(path, skip);
  QCOMPARE(t.skippedLines, skipped);
  QCOMPARE(t.requests.size(), std::size_t(requests));
  QVERIFY(!t.skipReasons.empty());
}

QTEST_GUILESS_MAIN(TestTraceFormats)
#include "tst_trace_formats.moc"
