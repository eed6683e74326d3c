// SPDX-License-Identifier: MIT
// The chart helpers every chart uses: decimation keeps each bucket's extremes (a one-point spike survives),
// axis ranges hug the data with tick steps of 1, 2, 2.5 or 5 x 10^k, labels have just enough decimals, two
// aligned axes share grid lines, and an exported PNG is laid out for its own canvas (no blank band).
#include <QImage>
#include <QTest>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "ui/chart_panel.h"
#include "ui/memory_chart.h"
#include "ui/run_history.h"
#include "ui/speedup_chart.h"

using namespace kvlab;

class TestChartPanel : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void decimateKeepsSpikes() {
    // 10000 points at y = 0 with one spike of 100 at i = 4321 and a dip of -50 at i = 777: a strided
    // sample of 1500 points (every ~6.67th) would miss both; min/max buckets keep them.
    QList<QPointF> points;
    for (int i = 0; i < 10000; ++i) points.append(QPointF(i, i == 4321 ? 100.0 : i == 777 ? -50.0 : 0.0));
    const QList<QPointF> out = ChartPanel::decimate(points, 1500);
    QVERIFY(out.size() <= 1500);
    QCOMPARE(out.first(), points.first());
    QCOMPARE(out.last(), points.last());
    QVERIFY(out.contains(QPointF(4321, 100.0)));
    QVERIFY(out.contains(QPointF(777, -50.0)));
    for (qsizetype i = 1; i < out.size(); ++i) QVERIFY(out[i].x() > out[i - 1].x());  // still in x order
  }

  void decimateLeavesShortSeries() {
    const QList<QPointF> points = {{0, 1}, {1, 2}, {2, 3}};
    QCOMPARE(ChartPanel::decimate(points, 1500), points);
  }

  void niceStep_data() {
    QTest::addColumn<double>("max");
    QTest::addColumn<double>("step");
    // max / 5 rounded up to 1, 2, 2.5, 5 x 10^k.
    QTest::newRow("54 s") << 54.0 << 20.0;  // 10.8 -> 20 (ticks 0, 20, 40; range stays 0..55.6)
    QTest::newRow("12031 requests") << 12031.0 << 2500.0;  // 2406 -> 2500
    QTest::newRow("1") << 1.0 << 0.2;
    QTest::newRow("0.3") << 0.3 << 0.1;  // 0.06 -> 0.1
    QTest::newRow("1e6") << 1e6 << 2e5;
  }
  void niceStep() {
    QFETCH(double, max);
    QFETCH(double, step);
    QCOMPARE(ChartPanel::niceStep(max), step);
  }

  void labelFormat_data() {
    QTest::addColumn<double>("step");
    QTest::addColumn<QString>("format");
    QTest::newRow("2000") << 2000.0 << QStringLiteral("%.0f");  // never 2e+03
    QTest::newRow("0.2") << 0.2 << QStringLiteral("%.1f");
    QTest::newRow("2.5") << 2.5 << QStringLiteral("%.1f");
    QTest::newRow("0.25") << 0.25 << QStringLiteral("%.2f");
  }
  void labelFormat() {
    QFETCH(double, step);
    QFETCH(QString, format);
    QCOMPARE(ChartPanel::labelFormatFor(step), format);
  }

  void pngFillsItsCanvas() {
    // A wide, short export: laid out for 1600 x 400, the x axis title sits near the bottom edge. Rendering
    // the on-screen (squarer) layout scaled to fit would leave the bottom rows blank instead.
    RunHistory history;
    MemoryChart chart(&history);
    chart.resize(500, 500);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    const QImage image = QImage::fromData(chart.toPng(QSize(1600, 400)), "PNG");
    QCOMPARE(image.size(), QSize(1600, 400));
    int darkInBottomBand = 0;
    for (int y = 400 - 60; y < 400; ++y)
      for (int x = 0; x < 1600; ++x) darkInBottomBand += qGray(image.pixel(x, y)) < 128 ? 1 : 0;
    QVERIFY2(darkInBottomBand > 50, "the bottom band of the export holds no axis text");
    int darkInLeftBand = 0;
    for (int y = 0; y < 400; ++y)
      for (int x = 0; x < 120; ++x) darkInLeftBand += qGray(image.pixel(x, y)) < 128 ? 1 : 0;
    QVERIFY2(darkInLeftBand > 50, "the left band of the export holds no axis text");
  }

  void longRunsDrawAMovingMean() {
    // 400 requests of a trace replay, TTFT with the cache alternating 10 and 30 ms, 100 ms without: per
    // request that is a wall of bars. Over the hit-rate window (max(8, 400 / 50) = 8 requests) the mean is
    // (4 x 10 + 4 x 30) / 8 = 20 ms from the 8th request on; without the cache 100 ms throughout.
    RunHistory history;
    SpeedupChart chart(&history);
    RunBatch batch;
    batch.runId = 1;
    RunInfo info;
    info.runId = 1;
    info.simulated = true;
    info.hardware = "h100-sxm";
    info.requestsTotal = 400;
    batch.started = info;
    for (int i = 0; i < 400; ++i) {
      RequestUpdate u;
      u.record.index = i;
      u.record.promptTokens = 100;
      u.record.ttftCachedMs = i % 2 ? 30.0 : 10.0;
      u.record.ttftUncachedMs = 100.0;
      u.record.simulated = true;
      batch.requests.push_back(u);
    }
    history.apply(batch);
    QLineSeries* cached = nullptr;
    for (QAbstractSeries* s : chart.chart()->series())
      if (s->objectName() == QLatin1String("ttftCached")) cached = qobject_cast<QLineSeries*>(s);
    QVERIFY(cached);
    QCOMPARE(cached->name(), QStringLiteral("cached, mean of 8"));
    QCOMPARE(cached->count(), 400);
    for (int i = 7; i < 400; ++i) QCOMPARE(cached->at(i).y(), 20.0);
    QCOMPARE(cached->at(0).y(), 10.0);  // the first request alone
    QCOMPARE(cached->at(1).y(), 20.0);  // (10 + 30) / 2
  }
};

QTEST_MAIN(TestChartPanel)
#include "tst_chart_panel.moc"
