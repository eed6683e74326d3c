// SPDX-License-Identifier: MIT
// PagedKvPool: blocks written, gathered in any order into a prefill's (Hkv, P, hd) buffer (checked element by
// element against the blocks as written, by plain loops, not against another tensor op), reference counts
// (a block is reused only after its last reference goes), and growth that keeps every block's contents.
#include <ATen/ATen.h>

#include <QtTest>
#include <vector>

#include "core/runner/paged_kv_pool.h"

using namespace kvlab;

namespace {

// Block shape (L, 2, Hkv, B, hd) = (3, 2, 2, 4, 5): 3 layers, 2 K/V heads, 4 tokens per block.
const std::vector<std::int64_t> kShape{3, 2, 2, 4, 5};

// A block whose every element names its position: value = seed*10000 + l*1000 + kv*100 + h*10 + t + d/10.
at::Tensor numberedBlock(int seed) {
  at::Tensor b = at::empty(kShape, at::kFloat);
  auto a = b.accessor<float, 5>();
  for (int l = 0; l < 3; ++l)
    for (int kv = 0; kv < 2; ++kv)
      for (int h = 0; h < 2; ++h)
        for (int t = 0; t < 4; ++t)
          for (int d = 0; d < 5; ++d)
            a[l][kv][h][t][d] = float(seed * 10000 + l * 1000 + kv * 100 + h * 10 + t) + float(d) / 10.f;
  return b;
}

}  // namespace

class TestPagedKvPool : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void gatherReadsBlocksInTableOrder_data() {
    QTest::addColumn<QVector<int>>("order");  // which written block (by seed) goes where in the prefix
    QTest::newRow("one block") << QVector<int>{2};
    QTest::newRow("in order") << QVector<int>{0, 1, 2, 3};
    QTest::newRow("shuffled, one twice") << QVector<int>{3, 0, 2, 0, 1};
  }
  void gatherReadsBlocksInTableOrder() {
    QFETCH(QVector<int>, order);
    PagedKvPool pool(kShape, at::TensorOptions().dtype(at::kFloat), 2);  // grows to 4 while writing
    std::vector<std::int64_t> blockOfSeed;
    for (int seed = 0; seed < 4; ++seed) {
      blockOfSeed.push_back(pool.allocate());
      pool.write(blockOfSeed.back(), numberedBlock(seed));
    }
    QCOMPARE(pool.capacity(), std::int64_t(4));
    std::vector<std::int64_t> table;
    for (const int seed : order) table.push_back(blockOfSeed[std::size_t(seed)]);
    const std::int64_t n = std::int64_t(table.size());
    const at::Tensor index = at::tensor(table, at::kLong);
    // The prefill's buffer: (Hkv, K, hd) with K > P, so a head's rows are contiguous but heads are apart.
    const std::int64_t extra = 3;
    for (int layer = 0; layer < 3; ++layer) {
      at::Tensor kAll = at::full({2, n * 4 + extra, 5}, -1.f);
      at::Tensor vAll = at::full({2, n * 4 + extra, 5}, -1.f);
      pool.gather(layer, index, kAll.narrow(1, 0, n * 4), vAll.narrow(1, 0, n * 4));
      auto k = kAll.accessor<float, 3>();
      auto v = vAll.accessor<float, 3>();
      for (int h = 0; h < 2; ++h) {
        for (std::int64_t p = 0; p < n * 4; ++p) {
          const int seed = order[int(p / 4)], t = int(p % 4);
          for (int d = 0; d < 5; ++d) {
            const float base = float(seed * 10000 + layer * 1000 + h * 10 + t) + float(d) / 10.f;
            QCOMPARE(k[h][p][d], base);
            QCOMPARE(v[h][p][d], base + 100.f);
          }
        }
        for (std::int64_t p = n * 4; p < n * 4 + extra; ++p) QCOMPARE(k[h][p][0], -1.f);  // untouched
      }
    }
  }

  void blocksAreReusedAfterTheLastReference() {
    PagedKvPool pool(kShape, at::TensorOptions().dtype(at::kFloat), 2);
    const std::int64_t a = pool.allocate();
    const std::int64_t b = pool.allocate();
    QVERIFY(a != b);
    QCOMPARE(pool.used(), std::int64_t(2));
    pool.retain(a);   // a reader (a CachedPrefix) holds a
    pool.release(a);  // the cache lets go: still held
    QCOMPARE(pool.used(), std::int64_t(2));
    const std::int64_t c = pool.allocate();  // none free: the pool doubles instead of reusing a
    QVERIFY(c != a && c != b);
    QCOMPARE(pool.capacity(), std::int64_t(4));
    pool.release(a);  // the reader lets go: a is free
    QCOMPARE(pool.used(), std::int64_t(2));
    QCOMPARE(pool.allocate(), a);  // the last freed is handed out first
    QVERIFY_THROWS_EXCEPTION(std::logic_error, pool.release(pool.capacity() + 1));
  }

  void growthKeepsContents() {
    PagedKvPool pool(kShape, at::TensorOptions().dtype(at::kFloat), 2);
    std::vector<std::int64_t> blocks;
    for (int seed = 0; seed < 9; ++seed) {  // 2 -> 4 -> 8 -> 16
      blocks.push_back(pool.allocate());
      pool.write(blocks.back(), numberedBlock(seed));
    }
    QCOMPARE(pool.capacity(), std::int64_t(16));
    for (int seed = 0; seed < 9; ++seed)
      QVERIFY(at::equal(pool.copyOut(blocks[std::size_t(seed)]), numberedBlock(seed)));
    pool.reserve(40);
    QCOMPARE(pool.capacity(), std::int64_t(40));
    QVERIFY(at::equal(pool.copyOut(blocks[8]), numberedBlock(8)));
    QCOMPARE(pool.blockBytes(), Bytes(3 * 2 * 2 * 4 * 5 * 4));
  }

  // A token range of one block (what a CachedPrefix slice copies): element by element against the numbering.
  void copyOutTakesATokenRange() {
    PagedKvPool pool(kShape, at::TensorOptions().dtype(at::kFloat), 2);
    const std::int64_t block = pool.allocate();
    pool.write(block, numberedBlock(7));
    const at::Tensor part = pool.copyOut(block, /*from=*/1, /*count=*/2);
    QCOMPARE(part.sizes().vec(), (std::vector<std::int64_t>{3, 2, 2, 2, 5}));
    QVERIFY(part.is_contiguous());
    auto a = part.accessor<float, 5>();
    for (int l = 0; l < 3; ++l)
      for (int kv = 0; kv < 2; ++kv)
        for (int h = 0; h < 2; ++h)
          for (int t = 0; t < 2; ++t)
            for (int d = 0; d < 5; ++d)
              QCOMPARE(a[l][kv][h][t][d], float(7 * 10000 + l * 1000 + kv * 100 + h * 10 + t + 1) + float(d) / 10.f);
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, pool.copyOut(block, 3, 2));
  }
};

QTEST_GUILESS_MAIN(TestPagedKvPool)
#include "tst_paged_kv_pool.moc"
