// SPDX-License-Identifier: MIT
// The model against an independent reference: the Llama equations written as plain per-head,
// per-position loops in double precision over the weights as generated (before the model's folding of
// norm gains and the attention scale), sharing no code with the model's kernels. The model's prefill
// (uncached, with a cached prefix supplied by the reference, several query chunks) and its decode step
// (extend) must match the reference's logits and K/V within 1e-5. The test preset uses GQA (4 query heads
// on 2 K/V heads). Whichever attention kernel is compiled in (LibTorch 1.13: the model's chunked kernel;
// >= 2.1: scaled_dot_product_attention) runs under the same rows; both take their causal mask from
// bottomRightCausalMask, checked here against hand-worked masks.
#include <ATen/ATen.h>

#include <QtTest>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/arch/model_config.h"
#include "core/model/attention_mask.h"
#include "core/model/llama_model.h"

using namespace kvlab;

namespace {

constexpr double kTolerance = 1e-5;

ModelConfig tinyGqaConfig() {
  ModelConfig c;
  c.name = "tiny-gqa";
  c.layers = 2;
  c.dModel = 32;
  c.heads = 4;
  c.kvHeads = 2;  // query heads 0, 1 share K/V head 0; heads 2, 3 share K/V head 1
  c.headDim = 8;
  c.ffnHidden = 48;
  c.vocab = 256;
  c.computable = true;
  c.seed = 99;
  return c;
}

// A (rows, cols) weight as row-major doubles.
struct Matrix {
  int rows = 0, cols = 0;
  std::vector<double> data;
  double at(int r, int c) const { return data[size_t(r) * size_t(cols) + size_t(c)]; }
};

Matrix toMatrix(const at::Tensor& t) {
  const at::Tensor c = t.contiguous().to(at::kDouble);
  Matrix m;
  m.rows = int(c.dim() == 2 ? c.size(0) : 1);
  m.cols = int(c.dim() == 2 ? c.size(1) : c.size(0));
  m.data.assign(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  return m;
}

// out[j] = sum_i x[i] * W[i][j]
std::vector<double> vecMat(const std::vector<double>& x, const Matrix& w) {
  std::vector<double> out(size_t(w.cols), 0.0);
  for (int i = 0; i < w.rows; ++i)
    for (int j = 0; j < w.cols; ++j) out[size_t(j)] += x[size_t(i)] * w.at(i, j);
  return out;
}

// RMSNorm with gain: x_i / sqrt(mean(x^2) + eps) * gain_i.
std::vector<double> rmsNorm(const std::vector<double>& x, const Matrix& gain, double eps) {
  double sumSquares = 0;
  for (const double v : x) sumSquares += v * v;
  const double scale = 1.0 / std::sqrt(sumSquares / double(x.size()) + eps);
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * scale * gain.data[i];
  return out;
}

// Rotates pairs (v[i], v[i + hd/2]) of one head by pos * theta^(-2i/hd).
void rope(double* v, int headDim, int pos, double theta) {
  const int half = headDim / 2;
  for (int i = 0; i < half; ++i) {
    const double angle = pos * std::pow(theta, -2.0 * i / headDim);
    const double a = v[i], b = v[i + half];
    v[i] = a * std::cos(angle) - b * std::sin(angle);
    v[i + half] = b * std::cos(angle) + a * std::sin(angle);
  }
}

struct Reference {
  std::vector<double> lastLogits;                   // (vocab)
  std::vector<std::vector<std::vector<double>>> k;  // [layer][position] -> (kvHeads * headDim), after RoPE
  std::vector<std::vector<std::vector<double>>> v;
};

// The whole sequence, token by token, each attending to itself and every earlier position.
Reference referenceForward(const ModelConfig& c, const LlamaReferenceWeights& w,
                           const std::vector<int32_t>& tokens) {
  const int hd = c.headDim, groups = c.heads / c.kvHeads;
  const Matrix embed = toMatrix(w.embed), lmHead = toMatrix(w.lmHead), finalNorm = toMatrix(w.finalNorm);
  struct LayerMatrices {
    Matrix attnNorm, wq, wk, wv, wo, mlpNorm, gate, up, down;
  };
  std::vector<LayerMatrices> layers;
  for (const auto& l : w.layers)
    layers.push_back({toMatrix(l.attnNorm), toMatrix(l.wq), toMatrix(l.wk), toMatrix(l.wv), toMatrix(l.wo),
                      toMatrix(l.mlpNorm), toMatrix(l.wGate), toMatrix(l.wUp), toMatrix(l.wDown)});
  Reference ref;
  ref.k.assign(size_t(c.layers), {});
  ref.v.assign(size_t(c.layers), {});
  std::vector<double> x;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    x.assign(embed.data.begin() + tokens[pos] * c.dModel, embed.data.begin() + (tokens[pos] + 1) * c.dModel);
    for (int l = 0; l < c.layers; ++l) {
      const LayerMatrices& m = layers[size_t(l)];
      const std::vector<double> h = rmsNorm(x, m.attnNorm, c.rmsEps);
      std::vector<double> q = vecMat(h, m.wq), k = vecMat(h, m.wk), v = vecMat(h, m.wv);
      for (int head = 0; head < c.heads; ++head) rope(&q[size_t(head * hd)], hd, int(pos), c.ropeTheta);
      for (int head = 0; head < c.kvHeads; ++head) rope(&k[size_t(head * hd)], hd, int(pos), c.ropeTheta);
      ref.k[size_t(l)].push_back(k);
      ref.v[size_t(l)].push_back(v);
      std::vector<double> attended(size_t(c.heads * hd), 0.0);
      for (int head = 0; head < c.heads; ++head) {
        const int kvHead = head / groups;
        std::vector<double> scores(pos + 1);
        double maxScore = -1e300;
        for (size_t j = 0; j <= pos; ++j) {
          double dot = 0;
          for (int i = 0; i < hd; ++i)
            dot += q[size_t(head * hd + i)] * ref.k[size_t(l)][j][size_t(kvHead * hd + i)];
          scores[j] = dot / std::sqrt(double(hd));
          maxScore = std::max(maxScore, scores[j]);
        }
        double total = 0;
        for (double& s : scores) total += (s = std::exp(s - maxScore));
        for (size_t j = 0; j <= pos; ++j)
          for (int i = 0; i < hd; ++i)
            attended[size_t(head * hd + i)] +=
                scores[j] / total * ref.v[size_t(l)][j][size_t(kvHead * hd + i)];
      }
      const std::vector<double> projected = vecMat(attended, m.wo);
      for (size_t i = 0; i < x.size(); ++i) x[i] += projected[i];
      const std::vector<double> h2 = rmsNorm(x, m.mlpNorm, c.rmsEps);
      const std::vector<double> gate = vecMat(h2, m.gate), up = vecMat(h2, m.up);
      std::vector<double> act(gate.size());
      for (size_t i = 0; i < act.size(); ++i) act[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
      const std::vector<double> down = vecMat(act, m.down);
      for (size_t i = 0; i < x.size(); ++i) x[i] += down[i];
    }
  }
  ref.lastLogits = vecMat(rmsNorm(x, finalNorm, c.rmsEps), lmHead);
  return ref;
}

std::vector<int32_t> randomTokens(int count, uint32_t seed) {
  std::vector<int32_t> tokens(static_cast<size_t>(count));
  uint32_t state = seed * 2654435761u + 1u;
  for (int32_t& t : tokens) {
    state = state * 1664525u + 1013904223u;
    t = int32_t((state >> 16) % 256u);
  }
  return tokens;
}

// Reference K or V of positions [from, to) of one layer as a (kvHeads, to - from, headDim) fp32 tensor.
at::Tensor referenceKv(const std::vector<std::vector<double>>& perPosition, const ModelConfig& c, int from,
                       int to) {
  at::Tensor t = at::empty({c.kvHeads, to - from, c.headDim}, at::kFloat);
  auto a = t.accessor<float, 3>();
  for (int p = from; p < to; ++p)
    for (int h = 0; h < c.kvHeads; ++h)
      for (int i = 0; i < c.headDim; ++i)
        a[h][p - from][i] = float(perPosition[size_t(p)][size_t(h * c.headDim + i)]);
  return t;
}

double maxDiff(const at::Tensor& model, const at::Tensor& reference) {
  return (model.to(at::kDouble) - reference.to(at::kDouble)).abs().max().item<double>();
}

at::Tensor toTensor(const std::vector<double>& v) {
  return at::tensor(at::ArrayRef<double>(v.data(), v.size()), at::kDouble);
}

}  // namespace

class TestAttentionReference : public QObject {
  Q_OBJECT
private slots:
  void prefillMatchesReference_data();
  void prefillMatchesReference();
  void decodeStepMatchesReference();
  void bottomRightMask_data();
  void bottomRightMask();
  void maskRejectsMoreQueriesThanKeys();
};

void TestAttentionReference::prefillMatchesReference_data() {
  QTest::addColumn<int>("promptLength");
  QTest::addColumn<int>("prefixLength");
  QTest::newRow("one token") << 1 << 0;
  QTest::newRow("uncached 40") << 40 << 0;
  QTest::newRow("cached 17 of 40") << 40 << 17;
  QTest::newRow("cached 39 of 40 (one new token)") << 40 << 39;
  // 4 query heads x 300 keys: the model splits the queries into chunks of 218 (two chunks).
  QTest::newRow("uncached 300 (two query chunks)") << 300 << 0;
  QTest::newRow("cached 60 of 300 (two query chunks)") << 300 << 60;
}

void TestAttentionReference::prefillMatchesReference() {
  QFETCH(int, promptLength);
  QFETCH(int, prefixLength);
  const ModelConfig config = tinyGqaConfig();
  const LlamaModel model(config, "cpu");
  const std::vector<int32_t> tokens = randomTokens(promptLength, uint32_t(promptLength + 13 * prefixLength));
  const Reference ref = referenceForward(config, generateReferenceWeights(config), tokens);

  // The cached prefix comes from the reference, not from the model.
  std::vector<LayerKv> prefix;
  if (prefixLength > 0)
    for (int l = 0; l < config.layers; ++l)
      prefix.push_back({referenceKv(ref.k[size_t(l)], config, 0, prefixLength),
                        referenceKv(ref.v[size_t(l)], config, 0, prefixLength)});
  const PrefillResult result = model.prefill(tokens, prefix);

  const double logitDiff = maxDiff(result.lastLogits, toTensor(ref.lastLogits));
  QVERIFY2(logitDiff <= kTolerance, qPrintable(QString::number(logitDiff)));
  for (int l = 0; l < config.layers; ++l) {
    QVERIFY(maxDiff(result.newKv[size_t(l)].k,
                    referenceKv(ref.k[size_t(l)], config, prefixLength, promptLength)) <= kTolerance);
    QVERIFY(maxDiff(result.newKv[size_t(l)].v,
                    referenceKv(ref.v[size_t(l)], config, prefixLength, promptLength)) <= kTolerance);
  }
}

void TestAttentionReference::decodeStepMatchesReference() {
  // A sequence holding the reference K/V of 30 tokens, extended one token at a time for 5 steps; each
  // step's logits must be the reference's for the sequence so far.
  const ModelConfig config = tinyGqaConfig();
  const LlamaModel model(config, "cpu");
  const std::vector<int32_t> all = randomTokens(35, 5);
  const LlamaReferenceWeights weights = generateReferenceWeights(config);
  const Reference start =
      referenceForward(config, weights, std::vector<int32_t>(all.begin(), all.begin() + 30));
  SequenceKv sequence = model.newSequence(35);
  std::vector<LayerKv> prefix;
  for (int l = 0; l < config.layers; ++l)
    prefix.push_back(
        {referenceKv(start.k[size_t(l)], config, 0, 30), referenceKv(start.v[size_t(l)], config, 0, 30)});
  model.appendToSequence(sequence, prefix);
  QCOMPARE(sequence.length, int64_t(30));
  for (int n = 31; n <= 35; ++n) {
    const std::vector<int32_t> tokens(all.begin(), all.begin() + n);
    const PrefillResult step = model.extend(tokens, sequence);
    QCOMPARE(sequence.length, int64_t(n));
    const Reference ref = referenceForward(config, weights, tokens);
    const double diff = maxDiff(step.lastLogits, toTensor(ref.lastLogits));
    QVERIFY2(diff <= kTolerance, qPrintable(QStringLiteral("step to %1 tokens: %2").arg(n).arg(diff)));
    // The step wrote its token's K/V in place, at position n - 1.
    for (int l = 0; l < config.layers; ++l)
      QVERIFY(maxDiff(sequence.layers[size_t(l)].k.narrow(1, n - 1, 1),
                      referenceKv(ref.k[size_t(l)], config, n - 1, n)) <= kTolerance);
  }
}

void TestAttentionReference::bottomRightMask_data() {
  QTest::addColumn<int>("queries");
  QTest::addColumn<int>("keys");
  QTest::addColumn<QString>("expected");  // rows separated by '/', 1 = may attend
  // 3 new tokens after a cached prefix of 2 (keys 0..4): query i is at position 2 + i and sees keys
  // 0..2+i. Worked by hand:
  //   query 0 (pos 2): keys 0 1 2      -> 11100
  //   query 1 (pos 3): keys 0 1 2 3    -> 11110
  //   query 2 (pos 4): keys 0 1 2 3 4  -> 11111
  // (a top-left `is_causal` mask would give 10000/11000/11100: the cached prefix half hidden).
  QTest::newRow("3 x 5 (prefix 2)") << 3 << 5 << "11100/11110/11111";
  QTest::newRow("3 x 3 (no prefix: the usual triangle)") << 3 << 3 << "100/110/111";
  QTest::newRow("1 x 4 (decode step: sees everything)") << 1 << 4 << "1111";
}

void TestAttentionReference::bottomRightMask() {
  QFETCH(int, queries);
  QFETCH(int, keys);
  QFETCH(QString, expected);
  const at::Tensor mask = bottomRightCausalMask(queries, keys, at::TensorOptions());
  QVERIFY(mask.scalar_type() == at::kBool);
  QCOMPARE(mask.dim(), int64_t(2));
  QCOMPARE(mask.size(0), int64_t(queries));
  QCOMPARE(mask.size(1), int64_t(keys));
  QStringList rows;
  for (int i = 0; i < queries; ++i) {
    QString row;
    for (int j = 0; j < keys; ++j) row += mask[i][j].item<bool>() ? '1' : '0';
    rows << row;
  }
  QCOMPARE(rows.join('/'), expected);
}

void TestAttentionReference::maskRejectsMoreQueriesThanKeys() {
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, bottomRightCausalMask(5, 3, at::TensorOptions()));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, bottomRightCausalMask(0, 3, at::TensorOptions()));
}

QTEST_GUILESS_MAIN(TestAttentionReference)
#include "tst_attention_reference.moc"
