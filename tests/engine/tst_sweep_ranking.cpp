// SPDX-License-Identifier: MIT
// Reading a sweep for a decision (core/replay/sweep_ranking): the ranking of policies at one size, Belady
// reported apart and flagged when it falls below an online policy, and the smallest size reaching 90 % of
// the infinite-cache bound. Expected values are worked by hand from the small tables below.
#include <QtTest>

#include "core/replay/sweep_ranking.h"

using namespace kvlab;

namespace {

// A TTL-off point: `hits` of 1000 prompt tokens at `size` tokens.
SweepPoint point(const std::string& policy, std::uint64_t size, std::uint64_t hits, TimeMs ttl = 0) {
  SweepPoint p;
  p.config.policy = policy;
  p.config.maxTokens = size;
  p.config.ttlMs = ttl;
  p.result.promptTokens = 1000;
  p.result.hitTokens = hits;
  return p;
}

// Two sizes, three policies: at 100 tokens fifo 120 > lru 100 and opt 150 (above both); at 1000 tokens
// opt 400 is below lru 460 (Belady is no bound there). A TTL point of lru at 100 that must be ignored.
std::vector<SweepPoint> sweep() {
  return {point("lru", 100, 100),
          point("lru", 1000, 460),
          point("fifo", 100, 120),
          point("fifo", 1000, 450),
          point("opt", 100, 150),
          point("opt", 1000, 400),
          point("lru", 100, 999, /*ttl=*/5000)};
}

}  // namespace

class TestSweepRanking : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void rankAtSize_data() {
    QTest::addColumn<quint64>("size");
    QTest::addColumn<QStringList>("order");  // online policies, best first
    QTest::addColumn<double>("best");
    QTest::addColumn<double>("reference");
    QTest::addColumn<bool>("referenceBelow");
    QTest::addColumn<double>("bestKnown");
    // 100: fifo 120/1000 = 0.12 > lru 0.10; opt 0.15 above both: the best known is opt's.
    QTest::newRow("100 tokens") << quint64(100) << QStringList{"fifo", "lru"} << 0.12 << 0.15 << false
                                << 0.15;
    // 1000: lru 0.46 > fifo 0.45; opt 0.40 below lru: flagged, and the best known is lru's, not opt's.
    QTest::newRow("1000 tokens") << quint64(1000) << QStringList{"lru", "fifo"} << 0.46 << 0.40 << true
                                 << 0.46;
  }
  void rankAtSize() {
    QFETCH(quint64, size);
    QFETCH(QStringList, order);
    QFETCH(double, best);
    QFETCH(double, reference);
    QFETCH(bool, referenceBelow);
    QFETCH(double, bestKnown);
    const SizeRanking r = kvlab::rankAtSize(sweep(), {"lru", "fifo", "opt"}, size, 0.5);
    QCOMPARE(r.maxTokens, std::uint64_t(size));
    QCOMPARE(int(r.online.size()), order.size());
    for (int i = 0; i < order.size(); ++i)
      QCOMPARE(QString::fromStdString(r.online[std::size_t(i)].policy), order[i]);
    QCOMPARE(r.online.front().hitRate, best);
    QVERIFY(r.reference);
    QCOMPARE(r.reference->policy, std::string("opt"));
    QCOMPARE(r.reference->hitRate, reference);
    QCOMPARE(r.referenceBelowOnline, referenceBelow);
    QCOMPARE(r.bestKnown(), bestKnown);
    QCOMPARE(r.bound, 0.5);
  }

  void rankAtSizeNotSwept() {
    const SizeRanking r = kvlab::rankAtSize(sweep(), {"lru", "fifo", "opt"}, 500, 0.5);
    QVERIFY(r.online.empty());
    QVERIFY(!r.reference);
    QCOMPARE(r.bestKnown(), 0.0);
  }

  void sizeForShareOfBound_data() {
    QTest::addColumn<QString>("policy");
    QTest::addColumn<double>("bound");
    QTest::addColumn<qint64>("size");  // -1: none
    // 90 % of 0.5 = 0.45: lru reaches it at 1000 (0.46), fifo at 1000 (0.45 exactly), opt never (0.40).
    QTest::newRow("lru") << QStringLiteral("lru") << 0.5 << qint64(1000);
    QTest::newRow("fifo, exactly 90 %") << QStringLiteral("fifo") << 0.5 << qint64(1000);
    QTest::newRow("opt never") << QStringLiteral("opt") << 0.5 << qint64(-1);
    // 90 % of 0.12 = 0.108: fifo already at 100 (0.12); lru at 1000 (0.10 < 0.108 at 100). The TTL point
    // (0.999 at 100) is not on the curve.
    QTest::newRow("small bound, fifo") << QStringLiteral("fifo") << 0.12 << qint64(100);
    QTest::newRow("small bound, lru") << QStringLiteral("lru") << 0.12 << qint64(1000);
    QTest::newRow("no bound") << QStringLiteral("lru") << 0.0 << qint64(-1);
  }
  void sizeForShareOfBound() {
    QFETCH(QString, policy);
    QFETCH(double, bound);
    QFETCH(qint64, size);
    const std::optional<std::uint64_t> at =
        kvlab::sizeForShareOfBound(sweep(), policy.toStdString(), bound, 0.9);
    QCOMPARE(at.has_value(), size >= 0);
    if (at) QCOMPARE(qint64(*at), size);
  }
};

QTEST_GUILESS_MAIN(TestSweepRanking)
#include "tst_sweep_ranking.moc"
