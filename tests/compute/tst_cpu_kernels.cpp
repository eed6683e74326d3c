// SPDX-License-Identifier: MIT
// The model's CPU kernels against plain loops written here (double accumulation, no LibTorch arithmetic):
// matmulOut / batchMatmulOut (oneDNN when built with it, else LibTorch) for every layout the prefill hands
// them (row strides wider than a row, a transposed right operand, a column slice of a wider output,
// accumulation, bf16), and the fused RMSNorm and RoPE loops, including the layouts they decline.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <QTest>
#include <cmath>
#include <cstdint>

#include "core/model/compute_info.h"
#include "core/model/cpu_matmul.h"
#include "core/model/cpu_row_ops.h"

using namespace kvlab;

namespace {

at::Tensor uniform(std::vector<int64_t> shape, uint32_t seed) {
  at::Tensor t = at::empty(shape, at::kFloat);
  float* p = t.data_ptr<float>();
  uint32_t state = seed * 2654435761u + 7u;
  for (int64_t i = 0; i < t.numel(); ++i) {
    state = state * 1664525u + 1013904223u;
    p[i] = float(int(state >> 16) % 2001 - 1000) / 1000.f;  // [-1, 1] in steps of 0.001
  }
  return t;
}

// out[i][j] (+)= sum_k a[i][k] b[k][j] in double, from element reads of any strides.
at::Tensor referenceProduct(const at::Tensor& a, const at::Tensor& b, const at::Tensor* start) {
  const at::Tensor af = a.to(at::kFloat), bf = b.to(at::kFloat);
  auto A = af.accessor<float, 2>();
  auto B = bf.accessor<float, 2>();
  at::Tensor out = at::zeros({a.size(0), b.size(1)}, at::kDouble);
  auto O = out.accessor<double, 2>();
  for (int64_t i = 0; i < a.size(0); ++i)
    for (int64_t j = 0; j < b.size(1); ++j) {
      double sum = start ? double(start->to(at::kFloat)[i][j].item<float>()) : 0.0;
      for (int64_t k = 0; k < a.size(1); ++k) sum += double(A[i][k]) * double(B[k][j]);
      O[i][j] = sum;
    }
  return out;
}

double maxAbsDiff(const at::Tensor& got, const at::Tensor& expected) {
  return (got.to(at::kDouble) - expected.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace

class TestCpuKernels : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() { QVERIFY(!cpuMatmulBackend().empty()); }

  void matmulMatchesPlainLoops_data() {
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("n");
    QTest::addColumn<bool>("transposedB");
    QTest::addColumn<bool>("accumulate");
    QTest::addColumn<bool>("wideRows");  // a, b and out are column slices of wider buffers
    QTest::newRow("1x1x1") << 1 << 1 << 1 << false << false << false;
    QTest::newRow("odd 7x3x5") << 7 << 3 << 5 << false << false << false;
    QTest::newRow("a cache hit's gate/up, 70x256x1280") << 70 << 256 << 1280 << false << false << false;
    QTest::newRow("residual add, accumulate") << 33 << 64 << 48 << false << true << false;
    QTest::newRow("scores: transposed keys") << 40 << 32 << 90 << true << false << false;
    QTest::newRow("scores into a column slice") << 40 << 32 << 90 << true << false << true;
    QTest::newRow("values into wide rows, accumulate") << 40 << 90 << 32 << false << true << true;
    // A cache hit's attention products at full size (70 new tokens, 2 query heads per K/V head).
    QTest::newRow("a hit's scores, 140 rows over 1870 keys, column slice") << 140 << 128 << 1870 << true << false << true;
    QTest::newRow("a hit's values, 128 columns, accumulate") << 140 << 1870 << 128 << false << true << true;
  }
  void matmulMatchesPlainLoops() {
    QFETCH(int, m);
    QFETCH(int, k);
    QFETCH(int, n);
    QFETCH(bool, transposedB);
    QFETCH(bool, accumulate);
    QFETCH(bool, wideRows);
    c10::InferenceMode guard;
    const int pad = wideRows ? 5 : 0;
    const at::Tensor a = uniform({m, k + pad}, 1).narrow(1, pad, k);
    const at::Tensor b = transposedB ? uniform({n, k + pad}, 2).narrow(1, 0, k).t() : uniform({k, n + pad}, 2).narrow(1, 0, n);
    at::Tensor buffer = uniform({m, n + 2 * pad}, 3);
    const at::Tensor out = buffer.narrow(1, pad, n);
    const at::Tensor before = out.clone();
    const at::Tensor expected = referenceProduct(a, b, accumulate ? &before : nullptr);
    matmulOut(out, a, b, accumulate);
    QVERIFY2(maxAbsDiff(out, expected) <= 1e-5 * std::max(1, k), qPrintable(QString::number(maxAbsDiff(out, expected))));
    if (pad > 0) {  // the columns around the slice are untouched
      QCOMPARE(maxAbsDiff(buffer.narrow(1, 0, pad), uniform({m, n + 2 * pad}, 3).narrow(1, 0, pad)), 0.0);
      QCOMPARE(maxAbsDiff(buffer.narrow(1, pad + n, pad), uniform({m, n + 2 * pad}, 3).narrow(1, pad + n, pad)), 0.0);
    }
  }

  void batchMatmulPerHead() {
    c10::InferenceMode guard;
    const at::Tensor a = uniform({3, 12, 8}, 4);
    const at::Tensor keys = uniform({3, 20, 8}, 5);  // (heads, keys, hd): the product takes its transpose
    at::Tensor out = uniform({3, 12, 20}, 6);
    const at::Tensor before = out.clone();
    batchMatmulOut(out, a, keys.transpose(1, 2), /*accumulate=*/true);
    for (int h = 0; h < 3; ++h) {
      const at::Tensor start = before[h];
      QVERIFY(maxAbsDiff(out[h], referenceProduct(a[h], keys[h].t(), &start)) <= 1e-5 * 8);
    }
  }

  void bf16Products() {
    c10::InferenceMode guard;
    const at::Tensor a = uniform({24, 64}, 7).to(at::kBFloat16);
    const at::Tensor b = uniform({64, 40}, 8).to(at::kBFloat16);
    at::Tensor out = at::empty({24, 40}, at::kBFloat16);
    matmulOut(out, a, b);
    // bf16 keeps 8 bits of mantissa: the result rounds to within 2^-8 of sums up to about 20 in size.
    QVERIFY(maxAbsDiff(out, referenceProduct(a, b, nullptr)) <= 0.2);
    // Wider than oneDNN's column blocking, with a ragged last block.
    const at::Tensor wide = uniform({64, 200}, 9).to(at::kBFloat16);
    at::Tensor wideOut = at::empty({24, 200}, at::kBFloat16);
    matmulOut(wideOut, a, wide);
    QVERIFY(maxAbsDiff(wideOut, referenceProduct(a, wide, nullptr)) <= 0.2);
  }

  void rmsNormMatchesPlainLoop() {
    c10::InferenceMode guard;
    const at::Tensor x = uniform({70, 256}, 9);
    at::Tensor out = at::empty_like(x);
    QVERIFY(rmsNormRowsCpu(x, 1e-5, out));
    auto X = x.accessor<float, 2>();
    double worst = 0;
    for (int r = 0; r < 70; ++r) {
      double sum = 0;
      for (int i = 0; i < 256; ++i) sum += double(X[r][i]) * X[r][i];
      const double inv = 1.0 / std::sqrt(sum / 256 + 1e-5);
      for (int i = 0; i < 256; ++i) worst = std::max(worst, std::abs(out[r][i].item<double>() - X[r][i] * inv));
    }
    QVERIFY2(worst <= 1e-5, qPrintable(QString::number(worst)));
    // Declined: a non-contiguous input, another dtype.
    QVERIFY(!rmsNormRowsCpu(x.t(), 1e-5, at::empty({256, 70})));
    QVERIFY(!rmsNormRowsCpu(x.to(at::kDouble), 1e-5, x.to(at::kDouble)));
  }

  void ropeMatchesPlainLoop() {
    c10::InferenceMode guard;
    const int64_t T = 9, heads = 2, group = 3, hd = 8, half = hd / 2;
    // As the prefill lays it out: Q columns of a wider row, written into a permuted (heads, T, group, hd).
    const at::Tensor qkv = uniform({T, heads * group * hd + 16}, 10);
    const at::Tensor in = qkv.narrow(1, 0, heads * group * hd).view({T, heads, group, hd});
    at::Tensor q = at::empty({heads, T, group, hd});
    const at::Tensor out = q.permute({1, 0, 2, 3});
    const at::Tensor angle = at::arange(double(T), at::kDouble).unsqueeze(1) * at::arange(1.0, double(half) + 1, at::kDouble);
    const at::Tensor cosT = angle.cos().to(at::kFloat), sinT = angle.sin().to(at::kFloat);
    QVERIFY(ropeCpu(in, out, cosT, sinT));
    double worst = 0;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t a = 0; a < heads; ++a)
        for (int64_t b = 0; b < group; ++b)
          for (int64_t i = 0; i < half; ++i) {
            const double x1 = in[t][a][b][i].item<double>(), x2 = in[t][a][b][i + half].item<double>();
            const double c = cosT[t][i].item<double>(), s = sinT[t][i].item<double>();
            worst = std::max(worst, std::abs(q[a][t][b][i].item<double>() - (x1 * c - x2 * s)));
            worst = std::max(worst, std::abs(q[a][t][b][i + half].item<double>() - (x2 * c + x1 * s)));
          }
    QVERIFY2(worst <= 1e-6, qPrintable(QString::number(worst)));
    // Declined: a non-unit last stride.
    QVERIFY(!ropeCpu(in.transpose(2, 3), out.transpose(2, 3), cosT, sinT));
  }

  // Keys as the paged pool keeps them: each head a (hd, tokens) table, so the output's last (hd) stride is
  // the table's row length. Every element checked against the plain formula, nothing else touched.
  void ropeWritesIntoTransposedKeys() {
    c10::InferenceMode guard;
    const int64_t T = 5, heads = 2, hd = 6, half = hd / 2, columns = T + 3;
    const at::Tensor in = uniform({T, heads * hd}, 11).view({T, heads, hd});
    at::Tensor table = at::full({heads, hd, columns}, -7.f);
    const at::Tensor out = table.narrow(2, 1, T).permute({2, 0, 1});  // (T, heads, hd), last stride = columns
    const at::Tensor angle = at::arange(double(T), at::kDouble).unsqueeze(1) * at::arange(1.0, double(half) + 1, at::kDouble);
    const at::Tensor cosT = angle.cos().to(at::kFloat), sinT = angle.sin().to(at::kFloat);
    QVERIFY(ropeCpu(in, out, cosT, sinT));
    double worst = 0;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < half; ++i) {
          const double x1 = in[t][h][i].item<double>(), x2 = in[t][h][i + half].item<double>();
          const double c = cosT[t][i].item<double>(), s = sinT[t][i].item<double>();
          worst = std::max(worst, std::abs(table[h][i][t + 1].item<double>() - (x1 * c - x2 * s)));
          worst = std::max(worst, std::abs(table[h][i + half][t + 1].item<double>() - (x2 * c + x1 * s)));
        }
    QVERIFY2(worst <= 1e-6, qPrintable(QString::number(worst)));
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < hd; ++i)
        for (const int64_t column : {int64_t(0), int64_t(T + 1), int64_t(T + 2)}) QCOMPARE(table[h][i][column].item<float>(), -7.f);
  }
};

QTEST_GUILESS_MAIN(TestCpuKernels)
#include "tst_cpu_kernels.moc"
