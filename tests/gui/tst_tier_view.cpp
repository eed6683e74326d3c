// SPDX-License-Identifier: MIT
// What a run with tiers looks like: the tier chart's stacked bands and bytes bars, the request view's
// prompt cells coloured by the tier each block came from, and the reports (the PDF's "Tiers" table, the
// tier chart's per-request CSV, tier-summary.csv), all from hand-made records whose expected figures are
// worked out by hand below. Then end to end against a real redis-server this test starts on a free
// loopback port (skipped without redis-server): a second live run in the window is served from the remote
// tier, and the window shows the tier chart.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QBarSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include "tests/engine/redis_test_server.h"
#include "ui/chart_palette.h"
#include "ui/control_panel.h"
#include "ui/event_log_model.h"
#include "ui/main_window.h"
#include "ui/prompt_blocks_widget.h"
#include "ui/report_exporter.h"
#include "ui/request_view.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"
#include "ui/tier_chart.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {
constexpr int kRunTimeoutMs = 120000;
const QString kFixture = QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny.json");

RequestUpdate request(int index, std::uint32_t prompt, std::uint32_t hit, std::uint32_t host,
                      std::uint32_t remote) {
  RequestUpdate u;
  u.record.index = index;
  u.record.session = "s";
  u.record.promptTokens = prompt;
  u.record.hitTokens = hit;
  u.record.hostHitTokens = host;
  u.record.remoteHitTokens = remote;
  u.record.computedTokens = prompt - hit;
  u.record.ttftCachedMs = 10;
  u.record.blockSize = 16;
  return u;
}

// Three requests of a device + host + remote run (block size 16):
//   #0: 100 tokens, no hit                      -> device 0,  host 0,  remote 0,  computed 100
//   #1: 100 tokens, 64 hit, all remote          -> device 0,  host 0,  remote 64, computed 36
//   #2: 120 tokens, 96 hit: 32 host, 16 remote  -> device 96-32-16 = 48, host 32, remote 16, computed 24
// and at the end a device and a remote tier report with distinct figures.
void feedTieredRun(RunHistory& history, bool finish) {
  RunBatch batch;
  batch.runId = 1;
  RunInfo info;
  info.runId = 1;
  info.scenarioName = "hand-made";
  info.model = "small";
  info.layers = 2;
  info.granularity = Granularity::Block;
  info.blockSize = 16;
  info.policy = "lru";
  info.maxBytes = 1 << 20;
  info.requestsTotal = 3;
  info.remote = "redis://127.0.0.1:6379";
  info.hostMaxBytes = Bytes(1) << 30;
  info.hostPolicy = "lru";
  batch.started = info;
  batch.requests = {request(0, 100, 0, 0, 0), request(1, 100, 64, 0, 64), request(2, 120, 96, 32, 16)};
  // The device cache's own counters after each request: every prompt token queried there, and only its own
  // hits counted (#2: 48) - the host and remote tokens were misses in the device cache.
  const std::uint64_t queried[] = {100, 200, 320};
  const std::uint64_t deviceHits[] = {0, 0, 48};
  for (std::size_t i = 0; i < 3; ++i) {
    batch.requests[i].cache.counters.queriedTokens = queried[i];
    batch.requests[i].cache.counters.hitTokens = deviceHits[i];
  }
  if (finish) {
    RunSummary s;
    s.runId = 1;
    s.requests = 3;
    TierReport device;
    device.name = "device";
    device.hitTokens = 48;
    device.hits = 3;
    device.misses = 10;
    device.entries = 20;
    device.evictions = 2;
    TierReport host;
    host.name = "host";
    host.hitTokens = 32;
    host.hits = 2;
    host.bytesIn = 262144;
    host.bytesOut = 131072;
    host.transferMs = 0.75;
    TierReport remote;
    remote.name = "remote";
    remote.hitTokens = 80;
    remote.hits = 5;
    remote.misses = 7;
    remote.bytesIn = 1048576;
    remote.bytesOut = 655360;
    remote.entries = 30;
    remote.transferMs = 12.5;
    remote.remote = true;
    remote.errors = 1;
    remote.timeouts = 2;
    remote.corrupt = 3;
    s.tiers = {device, host, remote};
    batch.finished = s;
  }
  history.apply(batch);
}

// A band's upper or lower line, found through the chart's area series.
QList<QPointF> points(const ChartPanel& chart, const QString& name) {
  for (QAbstractSeries* series : chart.chart()->series())
    if (auto* area = qobject_cast<QAreaSeries*>(series))
      for (QLineSeries* line : {area->upperSeries(), area->lowerSeries()})
        if (line && line->objectName() == name) return line->points();
  return {};
}

QList<QBarSet*> barSets(const ChartPanel& chart) {
  for (QAbstractSeries* series : chart.charts()[1]->series())
    if (auto* bars = qobject_cast<QBarSeries*>(series)) return bars->barSets();
  return {};
}

QString pdfText(const QString& path) {
  const QString tool = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
  if (tool.isEmpty()) return {};
  QProcess p;
  p.start(tool, {QStringLiteral("-layout"), path, QStringLiteral("-")});
  if (!p.waitForFinished(60000)) return {};
  return QString::fromUtf8(p.readAllStandardOutput());
}
}  // namespace

class TestTierView : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("kvlab-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_tier_view"));
    qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR);
  }

  void chartStacksTiersPerRequest_data() {
    QTest::addColumn<int>("request");
    QTest::addColumn<double>("deviceTop");
    QTest::addColumn<double>("hostTop");
    QTest::addColumn<double>("remoteTop");
    QTest::addColumn<double>("promptTop");
    // Band tops are running sums bottom-up: device, +host, +remote, then the whole prompt.
    QTest::newRow("#0 all computed") << 0 << 0.0 << 0.0 << 0.0 << 100.0;
    QTest::newRow("#1 remote 64") << 1 << 0.0 << 0.0 << 64.0 << 100.0;
    QTest::newRow("#2 48/32/16/24") << 2 << 48.0 << 80.0 << 96.0 << 120.0;
  }

  void chartStacksTiersPerRequest() {
    QFETCH(int, request);
    QFETCH(double, deviceTop);
    QFETCH(double, hostTop);
    QFETCH(double, remoteTop);
    QFETCH(double, promptTop);
    RunHistory history;
    TierChart chart(&history);
    QVERIFY(!chart.appliesTo(history.current()));
    feedTieredRun(history, /*finish=*/false);
    QVERIFY(chart.appliesTo(history.current()));
    // Two points per request (a step over [i + 0.5, i + 1.5]), so request i is points 2i and 2i + 1.
    const QString tops[] = {QStringLiteral("tierDeviceTop"), QStringLiteral("tierHostTop"),
                            QStringLiteral("tierRemoteTop"), QStringLiteral("tierComputedTop")};
    const double expected[] = {deviceTop, hostTop, remoteTop, promptTop};
    for (int b = 0; b < 4; ++b) {
      const QList<QPointF> top = points(chart, tops[b]);
      QCOMPARE(top.size(), 6);
      for (int k = 0; k < 2; ++k) {
        QCOMPARE(top[2 * request + k].x(), request + 0.5 + k);
        QCOMPARE(top[2 * request + k].y(), expected[b]);
      }
    }
    // Each band's bottom is the band below's top (device from 0).
    QCOMPARE(points(chart, QStringLiteral("tierDeviceBottom"))[2 * request].y(), 0.0);
    QCOMPARE(points(chart, QStringLiteral("tierHostBottom"))[2 * request].y(), deviceTop);
    QCOMPARE(points(chart, QStringLiteral("tierRemoteBottom"))[2 * request].y(), hostTop);
    QCOMPARE(points(chart, QStringLiteral("tierComputedBottom"))[2 * request].y(), remoteTop);
    // Footer totals: device 48, host 32, remote 80, computed 160 of 320 tokens.
    QVERIFY2(chart.footer().contains(QStringLiteral("device 48 (15.0 %)")), qPrintable(chart.footer()));
    QVERIFY(chart.footer().contains(QStringLiteral("host 32 (10.0 %)")));
    QVERIFY(chart.footer().contains(QStringLiteral("remote 80 (25.0 %)")));
    QVERIFY(chart.footer().contains(QStringLiteral("computed 160")));
  }

  void hitRateCountsEveryTier() {
    RunHistory history;
    feedTieredRun(history, /*finish=*/false);
    // Hit tokens over every tier: device counter 48 + lower tiers (#1: 64 - 0, #2: 96 - 48 = 48) = 160 =
    // 0 + 64 + 96 of the records; of 320 queried tokens: 50 %.
    const RunTrack& run = *history.current();
    QCOMPARE(run.points[1].cumHitTokens, 64u);
    QCOMPARE(run.points[2].cumHitTokens, 160u);
    QCOMPARE(run.points[2].deviceCumHitTokens, 48u);
    QCOMPARE(RunHistory::windowedHitRate(run, 2, 3), 0.5);
  }

  void chartBytesFromTierCounters() {
    RunHistory history;
    TierChart chart(&history);
    feedTieredRun(history, /*finish=*/false);
    const QList<QBarSet*> sets = barSets(chart);
    QCOMPARE(sets.size(), 2);
    QBarSet* in = sets[0];  // bytes in, then bytes out
    QBarSet* out = sets[1];
    QVERIFY(in->label().startsWith(QStringLiteral("bytes in")));
    QCOMPARE(in->count(), 0);  // no figures before the run's counters are final
    feedTieredRun(history, /*finish=*/true);
    // Largest value 1048576 B = 1 MiB: bars in MiB. remote: 1048576 / 2^20 = 1, 655360 / 2^20 = 0.625;
    // host: 262144 / 2^20 = 0.25, 131072 / 2^20 = 0.125; device moved nothing.
    QCOMPARE(in->count(), 3);
    QCOMPARE(in->at(0), 0.0);
    QCOMPARE(in->at(1), 0.25);
    QCOMPARE(in->at(2), 1.0);
    QCOMPARE(out->at(1), 0.125);
    QCOMPARE(out->at(2), 0.625);
    QVERIFY2(chart.footer().contains(QStringLiteral("remote 12.5 ms (measured)")),
             qPrintable(chart.footer()));
    QVERIFY(chart.footer().contains(QStringLiteral("host 0.8 ms (measured)")));  // 0.75 to one decimal
    QVERIFY(chart.footer().contains(QStringLiteral("1 errors · 2 time-outs · 3 corrupt")));
  }

  void oneTierRunDoesNotApply() {
    RunHistory history;
    TierChart chart(&history);
    RunBatch batch;
    batch.runId = 3;
    RunInfo info;
    info.runId = 3;
    info.requestsTotal = 1;
    batch.started = info;
    batch.requests = {request(0, 100, 50, 0, 0)};
    history.apply(batch);
    QVERIFY(!chart.appliesTo(history.current()));
    QVERIFY(chart.notice().contains(QStringLiteral("Tiers")));
    QVERIFY(points(chart, QStringLiteral("tierComputedTop")).isEmpty());
  }

  void requestViewColoursBlocksByTier() {
    RunHistory history;
    RequestView view(&history);
    view.resize(400, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    feedTieredRun(history, /*finish=*/false);
    auto* blocks = view.findChild<PromptBlocksWidget*>(QStringLiteral("promptBlocks"));
    QVERIFY(blocks);
    // Request #2: 120 tokens in blocks of 16 -> 8 cells (the last holds tokens 112-119). Along the prompt:
    // device [0, 48) = cells 0-2, host [48, 80) = cells 3-4, remote [80, 96) = cell 5, computed = 6-7.
    QCOMPARE(blocks->cellCount(), 8);
    using S = PromptBlocksWidget::Source;
    const S expected[] = {S::Device, S::Device, S::Device,   S::Host,
                          S::Host,   S::Remote, S::Computed, S::Computed};
    const QImage image = blocks->grab().toImage();
    for (int cell = 0; cell < 8; ++cell) {
      const auto tokens = blocks->cellTokens(cell);
      const std::uint32_t size = cell == 7 ? 8 : 16;
      QCOMPARE(tokens[std::size_t(expected[cell])], size);
      const QPoint centre = blocks->cellRect(cell).center() * image.devicePixelRatio();
      QCOMPARE(image.pixelColor(centre).rgb(), PromptBlocksWidget::colorOf(expected[cell]).rgb());
    }
    QCOMPARE(PromptBlocksWidget::colorOf(S::Host), ChartPalette::tierHost());
    QCOMPARE(PromptBlocksWidget::colorOf(S::Remote), ChartPalette::tierRemote());
    const QString headline = view.findChild<QLabel*>(QStringLiteral("requestHeadline"))->text();
    QVERIFY2(headline.contains(QStringLiteral("device 48 · host 32 · remote 16")), qPrintable(headline));
    bool legendFound = false;
    for (QLabel* label : view.findChildren<QLabel*>())
      legendFound |= label->text().contains(QStringLiteral("host tier")) &&
                     label->text().contains(QStringLiteral("remote tier"));
    QVERIFY(legendFound);
  }

  void reportsCarryTheTierFigures() {
    RunHistory history;
    TierChart chart(&history);
    EventLogModel events;
    ReportExporter exporter(&history, {&chart}, &events);
    feedTieredRun(history, /*finish=*/true);
    // The PDF's table, one column per tier.
    const QString html = ReportExporter::tiersHtml(*history.current()->summary);
    QVERIFY(html.contains(QStringLiteral("<h3>Tiers</h3>")));
    QVERIFY(html.contains(QStringLiteral("1.00 MiB (1048576)")));   // remote bytes in
    QVERIFY(html.contains(QStringLiteral("640.00 KiB (655360)")));  // remote bytes out
    QVERIFY(html.contains(QStringLiteral("12.50 ms (measured)")));  // remote transfer
    QVERIFY(html.contains(QStringLiteral("1 / 2 / 3")));            // errors / time-outs / corrupt
    QVERIFY(html.contains(QStringLiteral("5 / 7")));                // remote hits / misses
    QVERIFY(ReportExporter::tiersHtml(RunSummary{}).isEmpty());     // one tier (or none): no section

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QStringList files = exporter.exportAll(dir.path());
    const QDir d(dir.path());
    QVERIFY(files.contains(d.filePath(QStringLiteral("tiers.csv"))));
    QVERIFY(files.contains(d.filePath(QStringLiteral("tier-summary.csv"))));
    QFile perRequest(d.filePath(QStringLiteral("tiers.csv")));
    QVERIFY(perRequest.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = perRequest.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 4);
    QCOMPARE(
        lines[0].trimmed(),
        QByteArray(
            "request,prompt_tokens,device_hit_tokens,host_hit_tokens,remote_hit_tokens,computed_tokens"));
    QCOMPARE(lines[1].trimmed(), QByteArray("0,100,0,0,0,100"));
    QCOMPARE(lines[2].trimmed(), QByteArray("1,100,0,0,64,36"));
    QCOMPARE(lines[3].trimmed(), QByteArray("2,120,48,32,16,24"));
    QFile summary(d.filePath(QStringLiteral("tier-summary.csv")));
    QVERIFY(summary.open(QIODevice::ReadOnly));
    const QList<QByteArray> rows = summary.readAll().trimmed().split('\n');
    QCOMPARE(rows.size(), 4);
    QCOMPARE(rows[1].trimmed(), QByteArray("device,48,3,10,0,0,20,2,0,measured,,,"));
    QCOMPARE(rows[3].trimmed(), QByteArray("remote,80,5,7,1048576,655360,30,0,12.5,measured,1,2,3"));

    const QString pdf = d.filePath(QStringLiteral("report.pdf"));
    QVERIFY(files.contains(pdf));
    // pdftotext (poppler-utils) is optional, not in setup.sh: without it the PDF's text is not checked. When
    // it is there, an empty text (a PDF it cannot read) is a failure, not a skip.
    if (QStandardPaths::findExecutable(QStringLiteral("pdftotext")).isEmpty())
      QSKIP("pdftotext not installed: the PDF's text is not checked");
    const QString text = pdfText(pdf);
    QVERIFY2(!text.isEmpty(), "pdftotext printed no text for the report");
    QVERIFY2(text.contains(QStringLiteral("Tiers")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("1048576")));
    QVERIFY(text.contains(QStringLiteral("Remote tier")));
  }

  // End to end with the host tier: a device cache far smaller than the fixture's 2000-token system prompt
  // (small model: 4 layers x 2 K/V heads x 16 dims x 2 x 4 bytes = 1 KiB per token, so 256 KiB holds 256
  // tokens) evicts the prompt's blocks into a 64 MiB host tier, and the next requests take them back from
  // there: host hit tokens, and the chart's host band, are non-zero.
  void hostTierServesEvictedBlocks() {
    MainWindow w;
    w.setInteractive(false);
    RunSettings s;
    s.scenario = kFixture.toStdString();
    s.maxBytes = 256 * 1024;
    s.hostMaxBytes = Bytes(64) << 20;
    w.controlPanel()->applySettings(s);
    w.show();
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    w.controlPanel()->run();
    QVERIFY(ended.wait(kRunTimeoutMs));
    const RunTrack* run = w.history()->current();
    QVERIFY(run && run->summary);
    QVERIFY2(run->error.isEmpty(), qPrintable(run->error));
    std::uint64_t host = 0;
    for (const RequestPoint& p : run->points) host += p.hostHitTokens;
    QVERIFY(host > 0);
    TierChart* chart = nullptr;
    for (ChartPanel* c : w.charts())
      if (auto* t = qobject_cast<TierChart*>(c)) chart = t;
    QVERIFY(chart && chart->isVisible());
    const QList<QPointF> hostTop = points(*chart, QStringLiteral("tierHostTop"));
    const QList<QPointF> deviceTop = points(*chart, QStringLiteral("tierDeviceTop"));
    double band = 0;
    for (qsizetype i = 0; i < hostTop.size(); i += 2) band += hostTop[i].y() - deviceTop[i].y();
    QCOMPARE(band, double(host));
  }

  // End to end: two live runs of the fixture against one Redis (write-through). The second run's device
  // cache starts empty, so its first request's reused prefix is fetched from Redis: every hit token of
  // request 0 is a remote hit, and the window lays out the tier chart.
  void secondRunServedFromRedis() {
    KVLAB_REQUIRE(test::RedisTestServer::installed(), QStringLiteral("redis-server and redis-cli"));
    test::RedisTestServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    MainWindow w;
    w.setInteractive(false);
    RunSettings s;
    s.scenario = kFixture.toStdString();
    s.remoteUrl = "redis://127.0.0.1:" + std::to_string(redis.port());
    s.remoteTimeoutMs = 2000;  // as the CLI suites: on a loaded machine 50 ms turns remote hits into time-outs
    w.controlPanel()->applySettings(s);
    w.show();
    QSignalSpy ended(w.controller(), &RunController::runEnded);
    for (int run = 0; run < 2; ++run) {
      w.controlPanel()->run();
      QVERIFY(ended.wait(kRunTimeoutMs));
      const RunTrack* track = w.history()->current();
      QVERIFY(track && track->summary);
      QVERIFY2(track->error.isEmpty(), qPrintable(track->error));
    }
    const RunTrack* second = w.history()->current();
    const RequestPoint& first = second->points.front();
    QVERIFY(first.hitTokens > 0);
    QCOMPARE(first.remoteHitTokens, first.hitTokens);
    QCOMPARE(first.hostHitTokens, 0u);
    QCOMPARE(first.hitTokens % 16, 0u);  // whole blocks
    const auto remote = std::find_if(second->summary->tiers.begin(), second->summary->tiers.end(),
                                     [](const TierReport& t) { return t.name == "remote"; });
    QVERIFY(remote != second->summary->tiers.end());
    QVERIFY(remote->bytesOut > 0);
    QCOMPARE(remote->errors + remote->timeouts + remote->corrupt, 0u);
    TierChart* chart = nullptr;
    for (ChartPanel* c : w.charts())
      if (auto* t = qobject_cast<TierChart*>(c)) chart = t;
    QVERIFY(chart && chart->isVisible());
    QCOMPARE(points(*chart, QStringLiteral("tierRemoteTop"))[0].y(), double(first.remoteHitTokens));
  }
};

KVLAB_TEST_MAIN(TestTierView)
#include "tst_tier_view.moc"
