// SPDX-License-Identifier: MIT
// Percentiles and the bootstrap interval of a run's speedup, and the spread of repeated runs
// (kvlab-cli run --repeat), against hand-worked cases.
#include <QtTest>
#include <stdexcept>
#include <vector>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "core/runner/run_repeats.h"
#include "core/runner/run_statistics.h"

using namespace kvlab;

class TestRunStatistics : public QObject {
  Q_OBJECT
private slots:
  void percentileLinear_data();
  void percentileLinear();
  void constantRatioHasNoSpread();
  void twoPairsHandWorked();
  void intervalContainsEstimateAndIsDeterministic();
  void degenerateInput();
  void repeatsHandWorked();
  void repeatsWithoutBaseline();
  void repeatJsonHoldsEveryRun();
};

void TestRunStatistics::percentileLinear_data() {
  QTest::addColumn<QList<double>>("values");
  QTest::addColumn<double>("q");
  QTest::addColumn<double>("expected");
  // Position (n - 1) * q / 100 in the sorted values, interpolated linearly.
  // {1..5}: p50 -> position 2 -> 3; p90 -> position 3.6 -> 4 + 0.6 * (5 - 4) = 4.6.
  QTest::newRow("median of 5") << QList<double>{5, 1, 4, 2, 3} << 50.0 << 3.0;
  QTest::newRow("p90 of 5") << QList<double>{5, 1, 4, 2, 3} << 90.0 << 4.6;
  // {10, 20}: p50 -> position 0.5 -> 15; p90 -> 0.9 -> 19.
  QTest::newRow("median of 2") << QList<double>{20, 10} << 50.0 << 15.0;
  QTest::newRow("p90 of 2") << QList<double>{20, 10} << 90.0 << 19.0;
  QTest::newRow("p0 is the minimum") << QList<double>{3, 9, 1} << 0.0 << 1.0;
  QTest::newRow("p100 is the maximum") << QList<double>{3, 9, 1} << 100.0 << 9.0;
  QTest::newRow("one value") << QList<double>{7} << 90.0 << 7.0;
  QTest::newRow("empty") << QList<double>{} << 50.0 << 0.0;
}

void TestRunStatistics::percentileLinear() {
  QFETCH(QList<double>, values);
  QFETCH(double, q);
  QFETCH(double, expected);
  const std::vector<double> v(values.begin(), values.end());
  QVERIFY(qAbs(percentile(v, q) - expected) < 1e-12);
}

void TestRunStatistics::constantRatioHasNoSpread() {
  // Every request is exactly 4x faster cached: every resample's ratio of sums is 4.
  const std::vector<double> uncached{40, 80, 120, 8};
  const std::vector<double> cached{10, 20, 30, 2};
  const auto ci = bootstrapRatioInterval(uncached, cached);
  QVERIFY(qAbs(ci[0] - 4.0) < 1e-12);
  QVERIFY(qAbs(ci[1] - 4.0) < 1e-12);
}

void TestRunStatistics::twoPairsHandWorked() {
  // Pairs (1, 1) and (3, 1). A resample of 2 draws both of one pair (p 1/4 each: ratio 1 or 3) or one of each
  // (p 1/2: ratio 2). Of 2000 ratios about 500 are 1 and about 500 are 3, so the 2.5th percentile
  // (position 49.975) is 1 and the 97.5th (position 1949.025) is 3.
  const std::vector<double> numerators{1, 3};
  const std::vector<double> denominators{1, 1};
  const auto ci = bootstrapRatioInterval(numerators, denominators, 0.95, 2000, 7);
  QCOMPARE(ci[0], 1.0);
  QCOMPARE(ci[1], 3.0);
  // A 40 % interval (30th to 70th percentile) lies inside the middle half of ratio 2.
  const auto narrow = bootstrapRatioInterval(numerators, denominators, 0.40, 2000, 7);
  QCOMPARE(narrow[0], 2.0);
  QCOMPARE(narrow[1], 2.0);
}

void TestRunStatistics::intervalContainsEstimateAndIsDeterministic() {
  const std::vector<double> uncached{100, 110, 95, 300, 120, 105, 98, 101, 250, 99};
  const std::vector<double> cached{20, 50, 10, 30, 60, 15, 12, 40, 25, 33};
  double sumU = 0, sumC = 0;
  for (size_t i = 0; i < cached.size(); ++i) {
    sumU += uncached[i];
    sumC += cached[i];
  }
  const double estimate = sumU / sumC;
  const auto ci = bootstrapRatioInterval(uncached, cached);
  QVERIFY(ci[0] < estimate && estimate < ci[1]);
  // Every resampled ratio lies between the smallest and largest per-request ratio (100/60 .. 95/10).
  QVERIFY(ci[0] >= 100.0 / 60 && ci[1] <= 95.0 / 10);
  const auto again = bootstrapRatioInterval(uncached, cached);
  QCOMPARE(again[0], ci[0]);
  QCOMPARE(again[1], ci[1]);
}

void TestRunStatistics::degenerateInput() {
  const std::vector<double> one{5};
  const auto ci = bootstrapRatioInterval(one, one);
  QCOMPARE(ci[0], 0.0);
  QCOMPARE(ci[1], 0.0);
  const std::vector<double> two{1, 2};
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, bootstrapRatioInterval(two, one));
}

namespace {
RunSummary measuredRun(double speedup, double ideal, double cachedMedian, double uncachedMedian) {
  RunSummary s;
  s.requests = 3;
  s.speedup = speedup;
  s.idealSpeedup = ideal;
  s.ttftMsCachedMedian = cachedMedian;
  s.ttftMsUncachedMedian = uncachedMedian;
  return s;
}
}  // namespace

void TestRunStatistics::repeatsHandWorked() {
  // Three runs of one scenario (ideal 10x): speedups 9, 7, 8 -> median 8, range 7-9; measured/ideal
  // 0.9, 0.7, 0.8 -> 0.8 (0.7-0.9); cached medians 50, 70, 60 ms -> 60 (50-70).
  const std::vector<RunSummary> three{measuredRun(9, 10, 50, 450), measuredRun(7, 10, 70, 490),
                                      measuredRun(8, 10, 60, 480)};
  const RepeatSummary r = summariseRepeats(three);
  QCOMPARE(r.runs, 3);
  QVERIFY(r.speedup && r.measuredOverIdeal && r.ttftMsCachedMedian && r.ttftMsUncachedMedian);
  QCOMPARE(r.speedup->median, 8.0);
  QCOMPARE(r.speedup->low, 7.0);
  QCOMPARE(r.speedup->high, 9.0);
  QVERIFY(std::abs(r.measuredOverIdeal->median - 0.8) < 1e-12);
  QVERIFY(std::abs(r.measuredOverIdeal->low - 0.7) < 1e-12);
  QVERIFY(std::abs(r.measuredOverIdeal->high - 0.9) < 1e-12);
  QCOMPARE(r.ttftMsCachedMedian->median, 60.0);
  QCOMPARE(r.ttftMsUncachedMedian->median, 480.0);
  QCOMPARE(r.ttftMsUncachedMedian->low, 450.0);
  // An even count: the mean of the middle two. Speedups 6, 9, 7, 8 -> (7 + 8) / 2 = 7.5.
  std::vector<RunSummary> four = three;
  four.push_back(measuredRun(6, 10, 80, 480));
  QCOMPARE(summariseRepeats(four).speedup->median, 7.5);
  QCOMPARE(summariseRepeats(four).speedup->low, 6.0);
}

void TestRunStatistics::repeatsWithoutBaseline() {
  // --no-baseline: no uncached prefill, so no speedup and no uncached TTFT; the cached TTFT still counts.
  const std::vector<RunSummary> runs{measuredRun(0, 10, 40, 0), measuredRun(0, 10, 30, 0)};
  const RepeatSummary r = summariseRepeats(runs);
  QCOMPARE(r.runs, 2);
  QVERIFY(!r.speedup && !r.measuredOverIdeal && !r.ttftMsUncachedMedian);
  QVERIFY(r.ttftMsCachedMedian);
  QCOMPARE(r.ttftMsCachedMedian->median, 35.0);
  QVERIFY(!summariseRepeats(std::vector<RunSummary>{}).speedup);
}

void TestRunStatistics::repeatJsonHoldsEveryRun() {
  std::vector<RunInfo> infos(2);
  infos[0].scenarioName = infos[1].scenarioName = "agentic";
  const std::vector<RunSummary> runs{measuredRun(12, 15, 40, 480), measuredRun(9, 15, 50, 450)};
  const QJsonObject j = QJsonDocument::fromJson(QByteArray::fromStdString(repeatJson(infos, runs))).object();
  const QJsonObject repeat = j.value("repeat").toObject();
  QCOMPARE(repeat.value("runs").toInt(), 2);
  QCOMPARE(repeat.value("speedup").toObject().value("median").toDouble(), 10.5);
  QCOMPARE(repeat.value("speedup").toObject().value("high").toDouble(), 12.0);
  QVERIFY(std::abs(repeat.value("measured_over_ideal").toObject().value("low").toDouble() - 0.6) < 1e-12);
  const QJsonArray each = j.value("runs").toArray();
  QCOMPARE(each.size(), 2);
  QCOMPARE(each.at(1).toObject().value("scenario").toString(), QStringLiteral("agentic"));
  QCOMPARE(each.at(1).toObject().value("speedup").toDouble(), 9.0);
  QVERIFY_EXCEPTION_THROWN(repeatJson(std::vector<RunInfo>(1), runs), std::invalid_argument);
}

QTEST_GUILESS_MAIN(TestRunStatistics)
#include "tst_run_statistics.moc"
