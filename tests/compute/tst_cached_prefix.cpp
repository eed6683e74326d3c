// SPDX-License-Identifier: MIT
// CachedPrefix: a prefix made of pool blocks, an all-layer entry and per-layer entries reads, layer by layer,
// into a prefill's buffer exactly the tokens each piece holds, in order (checked element by element with
// plain loops against a token numbering written into the pieces); slice() returns any token range, within
// one piece or across several; the prefix keeps its pool blocks from being reused until it goes; and it
// lends the free blocks right after its last run as room for the new tokens, and only those.
#include <ATen/ATen.h>

#include <QtTest>
#include <memory>
#include <vector>

#include "core/runner/cached_prefix.h"
#include "core/runner/paged_kv_pool.h"

using namespace kvlab;

namespace {

constexpr int kLayers = 2, kHeads = 2, kDim = 3, kBlock = 4;

// Element value of token position p (in the whole prefix): l*1000 + kv*100 + h*10000 + p + d/10.
float valueAt(int l, int kv, int h, int p, int d) {
  return float(h * 10000 + l * 1000 + kv * 100 + p) + float(d) / 10.f;
}

// (L, 2, H, T, hd) holding positions [start, start + tokens), plus `spare` junk tokens after them.
at::Tensor entryFor(int start, int tokens, int spare = 0) {
  at::Tensor e = at::full({kLayers, 2, kHeads, tokens + spare, kDim}, -7.f);
  auto a = e.accessor<float, 5>();
  for (int l = 0; l < kLayers; ++l)
    for (int kv = 0; kv < 2; ++kv)
      for (int h = 0; h < kHeads; ++h)
        for (int t = 0; t < tokens; ++t)
          for (int d = 0; d < kDim; ++d) a[l][kv][h][t][d] = valueAt(l, kv, h, start + t, d);
  return e;
}

void checkPositions(const at::Tensor& kv, int l, int kvIndex, int first, int count) {  // kv: (H, count, hd)
  auto a = kv.accessor<float, 3>();
  for (int h = 0; h < kHeads; ++h)
    for (int t = 0; t < count; ++t)
      for (int d = 0; d < kDim; ++d) QCOMPARE(a[h][t][d], valueAt(l, kvIndex, h, first + t, d));
}

// Tokens [0, 8) in two pool blocks (stored in reverse order in the pool), [8, 13) an all-layer entry with
// spare tokens after it, [13, 15) per-layer entries, [15, 19) one more pool block.
struct Fixture {
  std::shared_ptr<PagedKvPool> pool = std::make_shared<PagedKvPool>(
      std::vector<std::int64_t>{kLayers, 2, kHeads, kBlock, kDim}, at::TensorOptions().dtype(at::kFloat), 4);
  std::int64_t b0 = -1, b1 = -1, b2 = -1;
  Fixture() {
    b1 = pool->allocate();
    b0 = pool->allocate();
    b2 = pool->allocate();
    pool->write(b0, entryFor(0, 4));
    pool->write(b1, entryFor(4, 4));
    pool->write(b2, entryFor(15, 4));
  }
  std::unique_ptr<CachedPrefix> prefix() const {
    auto p = std::make_unique<CachedPrefix>(kLayers);
    p->addBlocks(pool, {b0, b1});
    p->addEntry(entryFor(8, 5, /*spare=*/2), 5);
    const at::Tensor perLayer = entryFor(13, 2, /*spare=*/1);
    p->addLayerEntries({perLayer[0].clone(), perLayer[1].clone()}, 2);
    p->addBlocks(pool, {b2});
    p->finish();
    return p;
  }
};

}  // namespace

class TestCachedPrefix : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void readsEveryPieceInOrder() {
    const Fixture f;
    const auto prefix = f.prefix();
    QCOMPARE(prefix->tokens(), std::int64_t(19));
    QCOMPARE(prefix->pieces(), std::size_t(4));
    for (int l = 0; l < kLayers; ++l) {
      // As the prefill calls it: views of its (H, K, hd) buffers, K = P + 5 new tokens.
      at::Tensor k = at::full({kHeads, 24, kDim}, -1.f), v = at::full({kHeads, 24, kDim}, -1.f);
      prefix->read(l, k.narrow(1, 0, 19), v.narrow(1, 0, 19));
      checkPositions(k.narrow(1, 0, 19), l, 0, 0, 19);
      checkPositions(v.narrow(1, 0, 19), l, 1, 0, 19);
      QCOMPARE(k[0][19][0].item<float>(), -1.f);  // nothing written past P
    }
    const std::vector<LayerKv> all = prefix->materialize();
    QCOMPARE(all.size(), std::size_t(kLayers));
    checkPositions(all[1].k, 1, 0, 0, 19);
    checkPositions(all[1].v, 1, 1, 0, 19);
  }

  // In-place attention: each run of consecutive pool blocks and each entry is one view, in token order,
  // sharing the pool's or the entry's memory (nothing copied).
  void segmentsAreViewsInTokenOrder() {
    const Fixture f;
    const auto prefix = f.prefix();
    for (int l = 0; l < kLayers; ++l) {
      std::vector<KvSegment> segments;
      QVERIFY(prefix->segments(l, segments));
      // b0, b1 were allocated as 1, 0 (not one ascending run), then the entry, the per-layer entries, b2.
      QCOMPARE(segments.size(), std::size_t(5));
      const std::vector<int> lengths{4, 4, 5, 2, 4};
      int first = 0;
      for (std::size_t i = 0; i < segments.size(); ++i) {
        QCOMPARE(segments[i].k.size(1), std::int64_t(lengths[i]));
        checkPositions(segments[i].k.contiguous(), l, 0, first, lengths[i]);
        checkPositions(segments[i].v.contiguous(), l, 1, first, lengths[i]);
        first += lengths[i];
      }
      const auto inside = [](const at::Tensor& view, const at::Tensor& storage) {
        const auto* base = static_cast<const char*>(storage.data_ptr());
        const auto* p = static_cast<const char*>(view.data_ptr());
        return p >= base && p < base + storage.nbytes();
      };
      for (const std::size_t i : {std::size_t(0), std::size_t(1), std::size_t(4)}) {
        QVERIFY(inside(segments[i].k, f.pool->keys()));
        QVERIFY(inside(segments[i].v, f.pool->values()));
        // The keys lie transposed: (hd, tokens) rows, what Q·K^T multiplies by without repacking.
        QCOMPARE(segments[i].k.stride(1), std::int64_t(1));
      }
    }
  }

  void consecutiveBlocksAreOneRunAndTooManyRunsAreRead() {
    auto pool = std::make_shared<PagedKvPool>(std::vector<std::int64_t>{kLayers, 2, kHeads, kBlock, kDim},
                                              at::TensorOptions().dtype(at::kFloat), 4);
    const int blocks = int(2 * CachedPrefix::kMaxSegments + 2);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < blocks; ++i) {
      ids.push_back(pool->allocate());
      pool->write(ids.back(), entryFor(i * kBlock, kBlock));
    }
    CachedPrefix ascending(kLayers);
    ascending.addBlocks(pool, ids);
    ascending.finish();
    std::vector<KvSegment> one;
    QVERIFY(ascending.segments(0, one));
    QCOMPARE(one.size(), std::size_t(1));
    checkPositions(one[0].k.contiguous(), 0, 0, 0, blocks * kBlock);
    // Every other block first, then the rest: no two neighbours in the pool are neighbours in the prefix.
    std::vector<std::int64_t> scattered;
    for (int i = 0; i < blocks; i += 2) scattered.push_back(ids[std::size_t(i)]);
    for (int i = 1; i < blocks; i += 2) scattered.push_back(ids[std::size_t(i)]);
    CachedPrefix scatteredPrefix(kLayers);
    scatteredPrefix.addBlocks(pool, scattered);
    scatteredPrefix.finish();
    std::vector<KvSegment> none;
    QVERIFY(!scatteredPrefix.segments(0, none));
    QVERIFY(none.empty());
  }

  // Room: the free blocks right after the prefix's last run, lent to the prefill for the new tokens' K/V.
  void roomIsTheFreeBlocksAfterTheLastRun() {
    auto pool = std::make_shared<PagedKvPool>(std::vector<std::int64_t>{kLayers, 2, kHeads, kBlock, kDim},
                                              at::TensorOptions().dtype(at::kFloat), 8);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 3; ++i) {
      ids.push_back(pool->allocate());  // 0, 1, 2: one run
      pool->write(ids.back(), entryFor(i * kBlock, kBlock));
    }
    CachedPrefix prefix(kLayers);
    prefix.addBlocks(pool, ids);
    prefix.finish();
    for (int l = 0; l < kLayers; ++l) {
      // 6 new tokens need blocks 3 and 4 (free): one segment of 12 + 6 tokens over blocks 0..4.
      std::vector<KvSegment> out;
      QVERIFY(prefix.segmentsWithRoom(l, 6, out));
      QCOMPARE(out.size(), std::size_t(1));
      QCOMPARE(out[0].k.size(1), std::int64_t(18));
      checkPositions(out[0].k.narrow(1, 0, 12).contiguous(), l, 0, 0, 12);
      checkPositions(out[0].v.narrow(1, 0, 12).contiguous(), l, 1, 0, 12);
      // Token 12 is the first token of block 3 in the pool: writing it there is what the prefill does.
      QCOMPARE(out[0].k.narrow(1, 12, 1).data_ptr(), pool->run(l, 3, 1).k.data_ptr());
    }
    // 40 new tokens would need blocks 3..12: the pool has 8: no room, nothing appended.
    std::vector<KvSegment> none;
    QVERIFY(!prefix.segmentsWithRoom(0, 40, none));
    QVERIFY(none.empty());
    // Once block 4 is taken, 6 new tokens no longer fit; 4 still do (block 3).
    const std::int64_t taken = pool->allocate();
    QCOMPARE(taken, std::int64_t(3));
    const std::int64_t next = pool->allocate();
    pool->release(taken);
    std::vector<KvSegment> out;
    QVERIFY(!prefix.segmentsWithRoom(0, 6, out));
    QVERIFY(out.empty());
    QVERIFY(prefix.segmentsWithRoom(0, 4, out));
    QCOMPARE(out[0].k.size(1), std::int64_t(16));
    pool->release(next);
  }

  // A prefix that ends in an entry (not in the pool) has no room to lend.
  void noRoomAfterAnEntry() {
    const Fixture f;
    CachedPrefix prefix(kLayers);
    prefix.addBlocks(f.pool, {f.b2});
    prefix.addEntry(entryFor(4, 5, /*spare=*/3), 5);
    prefix.finish();
    std::vector<KvSegment> out;
    QVERIFY(!prefix.segmentsWithRoom(0, 2, out));
    QVERIFY(out.empty());
  }

  void sliceReturnsAnyRange_data() {
    QTest::addColumn<int>("start");
    QTest::addColumn<int>("count");
    QTest::newRow("one whole block") << 4 << 4;
    QTest::newRow("inside an entry") << 9 << 3;
    QTest::newRow("per-layer entries") << 13 << 2;
    QTest::newRow("across all four pieces") << 2 << 16;
    QTest::newRow("the whole prefix") << 0 << 19;
  }
  void sliceReturnsAnyRange() {
    QFETCH(int, start);
    QFETCH(int, count);
    const Fixture f;
    const at::Tensor s = f.prefix()->slice(start, count);  // (L, 2, H, count, hd)
    QCOMPARE(s.sizes().vec(), (std::vector<std::int64_t>{kLayers, 2, kHeads, count, kDim}));
    for (int l = 0; l < kLayers; ++l)
      for (int kv = 0; kv < 2; ++kv) checkPositions(s[l][kv].contiguous(), l, kv, start, count);
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, f.prefix()->slice(18, 2));
  }

  void holdsItsBlocksUntilItGoes() {
    Fixture f;
    auto prefix = f.prefix();
    // The cache drops its own references (the blocks were evicted after the lookup).
    for (const std::int64_t b : {f.b0, f.b1, f.b2}) f.pool->release(b);
    QCOMPARE(f.pool->used(), std::int64_t(3));  // still held by the prefix
    const std::int64_t fresh = f.pool->allocate();
    QVERIFY(fresh != f.b0 && fresh != f.b1 && fresh != f.b2);
    f.pool->write(fresh, entryFor(100, 4));
    at::Tensor k = at::empty({kHeads, 19, kDim}), v = at::empty({kHeads, 19, kDim});
    prefix->read(0, k, v);
    checkPositions(k, 0, 0, 0, 19);  // unchanged by the new block
    prefix.reset();
    QCOMPARE(f.pool->used(), std::int64_t(1));  // only the fresh block
  }
};

QTEST_GUILESS_MAIN(TestCachedPrefix)
#include "tst_cached_prefix.moc"
