// SPDX-License-Identifier: MIT
#include <ATen/ATen.h>

#include <QTest>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <span>
#include <vector>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/model/byte_tokenizer.h"
#include "core/model/kv_prefix_source.h"
#include "core/model/llama_model.h"

using namespace kvlab;

namespace {

// Expected greedy continuation of kGoldenPrompt with the `small` preset. Regenerate deliberately with
// KVLAB_PRINT_GOLDEN=1 ./tst_llama_model greedyDecodeGolden, then paste the printed line here.
constexpr const char* kGoldenPrompt = "The KV cache ";
const std::vector<int32_t> kGoldenTokens{93, 127, 158, 103, 155, 104, 216, 102};
constexpr int kGoldenSteps = 8;

const ModelConfig& preset(const QString& name) {
  const ModelConfig* config = findModelPreset(name.toStdString());
  if (!config) qFatal("no preset %s", qPrintable(name));
  return *config;
}

// `count` pseudo-random ids in [0, vocab), fixed by `seed`.
std::vector<int32_t> randomTokens(int count, uint32_t seed, int vocab) {
  std::vector<int32_t> tokens(static_cast<size_t>(count));
  uint32_t state = seed * 2654435761u + 1u;
  for (int32_t& t : tokens) {
    state = state * 1664525u + 1013904223u;
    t = int32_t((state >> 16) % uint32_t(vocab));
  }
  return tokens;
}

double maxAbsDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Appends `more` (per layer, along tokens) to `cache`.
void appendKv(std::vector<LayerKv>& cache, const std::vector<LayerKv>& more) {
  if (cache.empty()) {
    cache = more;
    return;
  }
  for (size_t l = 0; l < cache.size(); ++l) {
    cache[l].k = at::cat({cache[l].k, more[l].k}, 1);
    cache[l].v = at::cat({cache[l].v, more[l].v}, 1);
  }
}

// A cached prefix held as separate stretches (tensors of its own per stretch, as pool runs and entries
// are), offered for in-place attention or, with inPlace false, only for reading into one buffer. With
// roomTokens > 0 the last stretch's storage has that many free token slots after it (as free pool blocks
// after a run), offered through segmentsWithRoom.
class StretchedPrefix final : public KvPrefixSource {
public:
  StretchedPrefix(const std::vector<LayerKv>& whole, const std::vector<int64_t>& lengths, bool inPlace,
                  int64_t roomTokens = 0)
      : m_inPlace(inPlace), m_roomTokens(roomTokens) {
    for (const LayerKv& layer : whole) {
      std::vector<KvSegment> stretches;
      int64_t start = 0;
      for (const int64_t n : lengths) {
        stretches.push_back({layer.k.narrow(1, start, n).clone(), layer.v.narrow(1, start, n).clone()});
        start += n;
      }
      m_tokens = start;
      // The last stretch again, inside a buffer with the room after it (NaN: a read of it would show).
      const KvSegment& last = stretches.back();
      const int64_t n = last.k.size(1);
      KvSegment roomy{at::full({last.k.size(0), n + roomTokens, last.k.size(2)}, NAN, last.k.options()),
                      at::full({last.v.size(0), n + roomTokens, last.v.size(2)}, NAN, last.v.options())};
      roomy.k.narrow(1, 0, n).copy_(last.k);
      roomy.v.narrow(1, 0, n).copy_(last.v);
      m_roomy.push_back(roomy);
      m_layers.push_back(std::move(stretches));
    }
  }
  // Layer `layer`'s storage of the last stretch and its room, (kv_heads, last + room, head_dim).
  const KvSegment& roomy(int layer) const { return m_roomy[size_t(layer)]; }
  int64_t tokens() const override { return m_tokens; }
  void read(int layer, const at::Tensor& k, const at::Tensor& v) const override {
    int64_t start = 0;
    for (const KvSegment& s : m_layers[size_t(layer)]) {
      k.narrow(1, start, s.k.size(1)).copy_(s.k);
      v.narrow(1, start, s.v.size(1)).copy_(s.v);
      start += s.k.size(1);
    }
  }
  bool segments(int layer, std::vector<KvSegment>& out) const override {
    if (!m_inPlace) return false;
    for (const KvSegment& s : m_layers[size_t(layer)]) out.push_back(s);
    return true;
  }
  bool segmentsWithRoom(int layer, int64_t newTokens, std::vector<KvSegment>& out) const override {
    if (!m_inPlace || newTokens > m_roomTokens) return false;
    const std::vector<KvSegment>& stretches = m_layers[size_t(layer)];
    out.insert(out.end(), stretches.begin(), stretches.end() - 1);
    const int64_t n = stretches.back().k.size(1) + newTokens;
    out.push_back({roomy(layer).k.narrow(1, 0, n), roomy(layer).v.narrow(1, 0, n)});
    return true;
  }

private:
  std::vector<std::vector<KvSegment>> m_layers;
  std::vector<KvSegment> m_roomy;
  int64_t m_tokens = 0;
  bool m_inPlace = false;
  int64_t m_roomTokens = 0;
};

// Greedy decoding: every step feeds the whole sequence with the K/V of all earlier tokens cached.
std::vector<int32_t> greedyDecode(const LlamaModel& model, std::vector<int32_t> tokens, int steps) {
  std::vector<int32_t> generated;
  std::vector<LayerKv> cache;
  for (int i = 0; i < steps; ++i) {
    const PrefillResult r = model.prefill(tokens, cache);
    appendKv(cache, r.newKv);
    const auto next = int32_t(r.lastLogits.argmax().item<int64_t>());
    generated.push_back(next);
    tokens.push_back(next);
  }
  return generated;
}

// The helper that regenerates kGoldenTokens; prints one C++ initialiser line.
void printGolden(const std::vector<int32_t>& tokens) {
  std::printf("const std::vector<int32_t> kGoldenTokens{");
  for (size_t i = 0; i < tokens.size(); ++i) std::printf("%s%d", i ? ", " : "", tokens[i]);
  std::printf("};\n");
}

}  // namespace

class TestLlamaModel : public QObject {
  Q_OBJECT

private slots:
  void cachedPrefixMatchesFullPrefill_data();
  void cachedPrefixMatchesFullPrefill();
  void prefixInPlaceMatchesPrefixRead_data();
  void prefixInPlaceMatchesPrefixRead();
  void prefixWithRoomMatchesPrefixRead_data();
  void prefixWithRoomMatchesPrefixRead();
  void newKvShapes_data();
  void newKvShapes();
  void sameSeedSameLogits();
  void differentSeedDifferentLogits();
  void bytesPerToken_data();
  void bytesPerToken();
  void prefillFlopsSplitsAdditively();
  void greedyDecodeGolden();
  void extendMatchesPrefill_data();
  void extendMatchesPrefill();
  void rejectsBadInput();
  void cancelThrows();
};

void TestLlamaModel::cachedPrefixMatchesFullPrefill_data() {
  QTest::addColumn<QString>("presetName");
  QTest::addColumn<int>("promptLength");
  QTest::addColumn<int>("prefixLength");
  QTest::newRow("small 2/1") << "small" << 2 << 1;
  QTest::newRow("small 33/17") << "small" << 33 << 17;
  QTest::newRow("small 100/99") << "small" << 100 << 99;
  QTest::newRow("small 300/64 (two query chunks)") << "small" << 300 << 64;
  QTest::newRow("small 1500/700 (many query chunks)") << "small" << 1500 << 700;
  QTest::newRow("demo 600/250") << "demo" << 600 << 250;
}

void TestLlamaModel::cachedPrefixMatchesFullPrefill() {
  QFETCH(QString, presetName);
  QFETCH(int, promptLength);
  QFETCH(int, prefixLength);
  const LlamaModel model(preset(presetName), "cpu");
  const std::vector<int32_t> tokens =
      randomTokens(promptLength, uint32_t(promptLength * 31 + prefixLength), model.config().vocab);
  const std::span<const int32_t> all(tokens);

  const PrefillResult full = model.prefill(all, {});
  const PrefillResult prefix = model.prefill(all.first(size_t(prefixLength)), {});
  const PrefillResult cached = model.prefill(all, prefix.newKv);

  QVERIFY2(maxAbsDiff(cached.lastLogits, full.lastLogits) <= 1e-4,
           qPrintable(QString::number(maxAbsDiff(cached.lastLogits, full.lastLogits))));
  // The K/V the cached run computed equal the tail of the full run's K/V, layer by layer.
  for (size_t l = 0; l < full.newKv.size(); ++l) {
    const at::Tensor kTail = full.newKv[l].k.narrow(1, prefixLength, promptLength - prefixLength);
    const at::Tensor vTail = full.newKv[l].v.narrow(1, prefixLength, promptLength - prefixLength);
    QVERIFY(maxAbsDiff(cached.newKv[l].k, kTail) <= 1e-4);
    QVERIFY(maxAbsDiff(cached.newKv[l].v, vTail) <= 1e-4);
  }
}

// The prefill attends to a cached prefix where it lies (one pair of matrix products per stretch) or reads it
// into one buffer first: the two give the logits of the full prefill, and each other's to float rounding.
void TestLlamaModel::prefixInPlaceMatchesPrefixRead_data() {
  QTest::addColumn<QString>("presetName");
  QTest::addColumn<int>("promptLength");
  QTest::addColumn<QList<int>>("stretches");
  QTest::newRow("demo 600 over 100+100+50") << "demo" << 600 << QList<int>{100, 100, 50};
  QTest::newRow("small 300 over 16+48 (two query chunks)") << "small" << 300 << QList<int>{16, 48};
  QTest::newRow("small 40 over 1+1+37") << "small" << 40 << QList<int>{1, 1, 37};
}

void TestLlamaModel::prefixInPlaceMatchesPrefixRead() {
  QFETCH(QString, presetName);
  QFETCH(int, promptLength);
  QFETCH(QList<int>, stretches);
  const LlamaModel model(preset(presetName), "cpu");
  const std::vector<int32_t> tokens = randomTokens(promptLength, uint32_t(promptLength * 7 + 3), model.config().vocab);
  const std::span<const int32_t> all(tokens);
  std::vector<int64_t> lengths(stretches.begin(), stretches.end());
  int64_t prefixLength = 0;
  for (const int64_t n : lengths) prefixLength += n;

  const PrefillResult full = model.prefill(all, {});
  const std::vector<LayerKv> prefixKv = model.prefill(all.first(size_t(prefixLength)), {}).newKv;
  const PrefillResult inPlace = model.prefill(all, StretchedPrefix(prefixKv, lengths, /*inPlace=*/true));
  const PrefillResult read = model.prefill(all, StretchedPrefix(prefixKv, lengths, /*inPlace=*/false));

  QVERIFY2(maxAbsDiff(inPlace.lastLogits, full.lastLogits) <= 1e-4,
           qPrintable(QString::number(maxAbsDiff(inPlace.lastLogits, full.lastLogits))));
  QVERIFY2(maxAbsDiff(inPlace.lastLogits, read.lastLogits) <= 1e-5,
           qPrintable(QString::number(maxAbsDiff(inPlace.lastLogits, read.lastLogits))));
  for (size_t l = 0; l < full.newKv.size(); ++l) {
    QVERIFY(maxAbsDiff(inPlace.newKv[l].k, read.newKv[l].k) <= 1e-5);
    QVERIFY(maxAbsDiff(inPlace.newKv[l].v, read.newKv[l].v) <= 1e-5);
  }
  // Attending in place reads nothing into a buffer; reading does.
  QVERIFY(read.prefixReadMs > 0);
}

// With room after the prefix's last stretch, the new tokens' K/V are written there and attended as one
// stretch with the prefix: the same logits and K/V as reading the prefix into a buffer (float rounding), the
// K/V lie in the room until detachNewKv() gives them their own storage, and too little room falls back.
void TestLlamaModel::prefixWithRoomMatchesPrefixRead_data() {
  QTest::addColumn<QString>("presetName");
  QTest::addColumn<int>("promptLength");
  QTest::addColumn<QList<int>>("stretches");
  QTest::addColumn<int>("room");
  QTest::newRow("demo 600 over 100+250, room 350") << "demo" << 600 << QList<int>{100, 250} << 350;
  QTest::newRow("demo 70 over 64, room 16 (one block)") << "demo" << 70 << QList<int>{64} << 16;
  QTest::newRow("small 300 over 16+48, room 240 (two query chunks)") << "small" << 300 << QList<int>{16, 48} << 240;
  QTest::newRow("small 40 over 1+1+37, room 1") << "small" << 40 << QList<int>{1, 1, 37} << 1;
  QTest::newRow("small 40 over 20+10, room 9: too little") << "small" << 40 << QList<int>{20, 10} << 9;
}

void TestLlamaModel::prefixWithRoomMatchesPrefixRead() {
  QFETCH(QString, presetName);
  QFETCH(int, promptLength);
  QFETCH(QList<int>, stretches);
  QFETCH(int, room);
  const LlamaModel model(preset(presetName), "cpu");
  const std::vector<int32_t> tokens = randomTokens(promptLength, uint32_t(promptLength * 5 + 11), model.config().vocab);
  const std::span<const int32_t> all(tokens);
  std::vector<int64_t> lengths(stretches.begin(), stretches.end());
  int64_t prefixLength = 0;
  for (const int64_t n : lengths) prefixLength += n;
  const int64_t newTokens = promptLength - prefixLength;

  const PrefillResult full = model.prefill(all, {});
  const std::vector<LayerKv> prefixKv = model.prefill(all.first(size_t(prefixLength)), {}).newKv;
  const StretchedPrefix roomy(prefixKv, lengths, /*inPlace=*/true, room);
  PrefillResult withRoom = model.prefill(all, roomy);
  const PrefillResult read = model.prefill(all, StretchedPrefix(prefixKv, lengths, /*inPlace=*/false));

  QCOMPARE(withRoom.newKvInRoom, newTokens <= room);
  QVERIFY2(maxAbsDiff(withRoom.lastLogits, full.lastLogits) <= 1e-4,
           qPrintable(QString::number(maxAbsDiff(withRoom.lastLogits, full.lastLogits))));
  QVERIFY2(maxAbsDiff(withRoom.lastLogits, read.lastLogits) <= 1e-5,
           qPrintable(QString::number(maxAbsDiff(withRoom.lastLogits, read.lastLogits))));
  const int64_t lastStretch = lengths.back();
  for (size_t l = 0; l < read.newKv.size(); ++l) {
    QVERIFY(maxAbsDiff(withRoom.newKv[l].k, read.newKv[l].k) <= 1e-5);
    QVERIFY(maxAbsDiff(withRoom.newKv[l].v, read.newKv[l].v) <= 1e-5);
    if (!withRoom.newKvInRoom) continue;
    // In the room, right after the prefix's last stretch.
    QCOMPARE(withRoom.newKv[l].k.data_ptr(), roomy.roomy(int(l)).k.narrow(1, lastStretch, newTokens).data_ptr());
    QCOMPARE(withRoom.newKv[l].v.data_ptr(), roomy.roomy(int(l)).v.narrow(1, lastStretch, newTokens).data_ptr());
  }
  if (!withRoom.newKvInRoom) return;
  // Detached, they no longer depend on the room: overwrite it and they stay the prefill's K/V.
  detachNewKv(withRoom);
  QVERIFY(!withRoom.newKvInRoom);
  for (size_t l = 0; l < read.newKv.size(); ++l) {
    roomy.roomy(int(l)).k.fill_(0);
    roomy.roomy(int(l)).v.fill_(0);
    QVERIFY(maxAbsDiff(withRoom.newKv[l].k, read.newKv[l].k) <= 1e-5);
    QVERIFY(maxAbsDiff(withRoom.newKv[l].v, read.newKv[l].v) <= 1e-5);
  }
}

void TestLlamaModel::newKvShapes_data() {
  QTest::addColumn<int>("promptLength");
  QTest::addColumn<int>("prefixLength");
  QTest::newRow("no prefix") << 20 << 0;
  QTest::newRow("prefix") << 20 << 13;
  QTest::newRow("one new token") << 20 << 19;
}

void TestLlamaModel::newKvShapes() {
  QFETCH(int, promptLength);
  QFETCH(int, prefixLength);
  const ModelConfig& config = preset("small");
  QVERIFY(config.kvHeads < config.heads);  // the preset exercises GQA
  const LlamaModel model(config, "cpu");
  const std::vector<int32_t> tokens = randomTokens(promptLength, 7, config.vocab);
  std::vector<LayerKv> prefix;
  if (prefixLength > 0) prefix = model.prefill(std::span(tokens).first(size_t(prefixLength)), {}).newKv;

  const PrefillResult r = model.prefill(tokens, prefix);
  QCOMPARE(r.lastLogits.sizes().vec(), (std::vector<int64_t>{config.vocab}));
  QCOMPARE(int(r.newKv.size()), config.layers);
  const std::vector<int64_t> expected{config.kvHeads, promptLength - prefixLength, config.headDim};
  for (const LayerKv& kv : r.newKv) {
    QCOMPARE(kv.k.sizes().vec(), expected);
    QCOMPARE(kv.v.sizes().vec(), expected);
    QVERIFY(kv.k.is_contiguous());
    QVERIFY(kv.v.is_contiguous());
  }
}

void TestLlamaModel::sameSeedSameLogits() {
  const std::vector<int32_t> tokens = randomTokens(50, 3, 256);
  const at::Tensor a = LlamaModel(preset("small"), "cpu").prefill(tokens, {}).lastLogits;
  const at::Tensor b = LlamaModel(preset("small"), "cpu").prefill(tokens, {}).lastLogits;
  QVERIFY(at::equal(a, b));
}

void TestLlamaModel::differentSeedDifferentLogits() {
  ModelConfig other = preset("small");
  other.seed += 1;
  const std::vector<int32_t> tokens = randomTokens(50, 3, 256);
  const at::Tensor a = LlamaModel(preset("small"), "cpu").prefill(tokens, {}).lastLogits;
  const at::Tensor b = LlamaModel(other, "cpu").prefill(tokens, {}).lastLogits;
  QVERIFY(maxAbsDiff(a, b) > 1e-2);
}

void TestLlamaModel::bytesPerToken_data() {
  QTest::addColumn<QString>("presetName");
  QTest::addColumn<qulonglong>("bytes");
  QTest::newRow("llama-3-70b: 80 x 8 x 128 x 2 x bf16") << "llama-3-70b" << qulonglong(327680);
  QTest::newRow("llama-3-8b") << "llama-3-8b" << qulonglong(131072);
  QTest::newRow("mistral-7b") << "mistral-7b" << qulonglong(131072);
  QTest::newRow("qwen2-7b") << "qwen2-7b" << qulonglong(57344);
  QTest::newRow("demo: 32 x 1 x 128 x 2 x fp32") << "demo" << qulonglong(32768);
}

void TestLlamaModel::bytesPerToken() {
  QFETCH(QString, presetName);
  QFETCH(qulonglong, bytes);
  const ModelConfig& config = preset(presetName);
  QCOMPARE(qulonglong(kvBytesPerToken(config)), bytes);
  QCOMPARE(qulonglong(kvBytesPerTokenPerLayer(config) * uint64_t(config.layers)), bytes);
}

void TestLlamaModel::prefillFlopsSplitsAdditively() {
  // Computing [0, 300) equals computing [0, 100) then [100, 300), up to the one extra LM head.
  const ModelConfig& config = preset("demo");
  const double lmHead = 2.0 * config.dModel * config.vocab;
  const double whole = prefillFlops(config, 300, 0);
  const double split = prefillFlops(config, 100, 0) + prefillFlops(config, 300, 100) - lmHead;
  QCOMPARE(split, whole);
  QCOMPARE(prefillFlops(config, 100, 100), 0.0);
}

void TestLlamaModel::greedyDecodeGolden() {
  const LlamaModel model(preset("small"), "cpu");
  const std::vector<int32_t> prompt = ByteTokenizer::encode(kGoldenPrompt);
  const std::vector<int32_t> generated = greedyDecode(model, prompt, kGoldenSteps);
  if (qEnvironmentVariableIsSet("KVLAB_PRINT_GOLDEN")) {
    printGolden(generated);
    QSKIP("printed the golden tokens instead of checking them");
  }
  QCOMPARE(generated, kGoldenTokens);

  // Uncached decoding (recompute everything each step) picks the same tokens.
  std::vector<int32_t> tokens = prompt;
  for (int i = 0; i < kGoldenSteps; ++i)
    tokens.push_back(int32_t(model.prefill(tokens, {}).lastLogits.argmax().item<int64_t>()));
  QCOMPARE(std::vector<int32_t>(tokens.begin() + qsizetype(prompt.size()), tokens.end()), kGoldenTokens);
}

void TestLlamaModel::extendMatchesPrefill_data() {
  QTest::addColumn<int>("newTokensPerStep");
  QTest::newRow("one token per step (decode)") << 1;
  QTest::newRow("three tokens per step") << 3;
}

// Growing a sequence's K/V in place gives the logits of a prefill over the whole sequence, and greedy
// decoding that way reproduces the golden continuation (which greedyDecodeGolden also checks with
// uncached recomputation).
void TestLlamaModel::extendMatchesPrefill() {
  QFETCH(int, newTokensPerStep);
  const LlamaModel model(preset("small"), "cpu");
  std::vector<int32_t> tokens = ByteTokenizer::encode(kGoldenPrompt);
  SequenceKv sequence = model.newSequence(int64_t(tokens.size()) + kGoldenSteps * newTokensPerStep);
  PrefillResult first = model.prefill(tokens, {});
  model.appendToSequence(sequence, first.newKv);
  QCOMPARE(sequence.length, int64_t(tokens.size()));
  std::vector<int32_t> generated{int32_t(first.lastLogits.argmax().item<int64_t>())};
  for (int step = 1; step < kGoldenSteps; ++step) {
    tokens.push_back(generated.back());
    // Extra tokens after the generated one make steps of several tokens (same logits at the last one).
    for (int extra = 1; extra < newTokensPerStep; ++extra)
      tokens.push_back(int32_t((step * 7 + extra) % 256));
    const PrefillResult r = model.extend(tokens, sequence);
    QCOMPARE(sequence.length, int64_t(tokens.size()));
    QVERIFY(maxAbsDiff(r.lastLogits, model.prefill(tokens, {}).lastLogits) <= 1e-4);
    QVERIFY(r.newKv.empty());
    if (newTokensPerStep == 1) generated.push_back(int32_t(r.lastLogits.argmax().item<int64_t>()));
  }
  if (newTokensPerStep == 1) QCOMPARE(generated, kGoldenTokens);
  // Full: one more token does not fit.
  SequenceKv tiny = model.newSequence(2);
  model.appendToSequence(tiny, model.prefill(std::vector<int32_t>{1, 2}, {}).newKv);
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model.extend(std::vector<int32_t>{1, 2, 3}, tiny));
}

void TestLlamaModel::rejectsBadInput() {
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, LlamaModel(preset("llama-3-8b"), "cpu"));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, LlamaModel(preset("small"), "tpu"));
  const LlamaModel model(preset("small"), "cpu");
  const std::vector<int32_t> tokens = randomTokens(10, 1, 256);
  const std::vector<LayerKv> prefix = model.prefill(tokens, {}).newKv;  // P == prompt length
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model.prefill(tokens, prefix));
  const std::vector<int32_t> outOfVocab{1, 2, 256};
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model.prefill(outOfVocab, {}));
}

void TestLlamaModel::cancelThrows() {
  const LlamaModel model(preset("small"), "cpu");
  const std::vector<int32_t> tokens = randomTokens(10, 1, 256);
  std::atomic<bool> cancel{true};
  QVERIFY_THROWS_EXCEPTION(Cancelled, model.prefill(tokens, {}, &cancel));
}

QTEST_GUILESS_MAIN(TestLlamaModel)
#include "tst_llama_model.moc"
