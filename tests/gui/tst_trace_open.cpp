// SPDX-License-Identifier: MIT
// Opening any trace format on the GUI's pages (offscreen): the file dialog's filter names every format's
// files, traces are told from scenarios by content, a dropped file or folder reaches the page, and the Fleet,
// Serving and Tune pages run the hand-worked fixtures of tests/data/traces with the trace's own block size
// (expected figures worked in tests/engine/tst_trace_formats.cpp: the kv-cache-tester pair hits 36 of 69
// prompt tokens in an unbounded cache; RAGPulse's prefix bound is 160 of 440).
#include <QMimeData>
#include <QSignalSpy>
#include <QUrl>
#include <QtTest>

#include "core/trace/trace_format.h"
#include "ui/fleet_page.h"
#include "ui/fleet_replica_strips.h"
#include "ui/serving_page.h"
#include "ui/trace_drop_filter.h"
#include "ui/trace_file_dialog.h"
#include "ui/tune_page.h"

using namespace kvlab;

namespace {

QString fixture(const char* relative) { return QStringLiteral(KVLAB_TEST_DATA_DIR "/traces/") + relative; }

// Delivers a drop of these local paths to widget, as a drag from a file manager would.
bool dropOn(QWidget* widget, const QStringList& paths) {
  QMimeData mime;
  QList<QUrl> urls;
  for (const QString& p : paths) urls << QUrl::fromLocalFile(p);
  mime.setUrls(urls);
  QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QCoreApplication::sendEvent(widget, &enter);
  if (!enter.isAccepted()) return false;
  QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QCoreApplication::sendEvent(widget, &drop);
  return drop.isAccepted();
}

}  // namespace

class TestTraceOpen : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() { qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR); }
  void filterNamesEveryFormat();
  void tracesToldFromScenarios_data();
  void tracesToldFromScenarios();
  void dropFilterHandsOnOnePath();
  void fleetPageRunsADroppedFolder();
  void servingPageRunsLengthOnlyTrace();
  void tunePageSweepsRagpulse();
};

void TestTraceOpen::filterNamesEveryFormat() {
  for (const bool scenarios : {false, true}) {
    const QString filter = traceFileFilter(scenarios);
    for (const TraceFormat& f : traceFormats()) {
      QVERIFY2(filter.contains(QString::fromStdString(f.name)), qPrintable(filter));
      QVERIFY2(filter.contains(QString::fromStdString(f.patterns)), qPrintable(filter));
    }
    QVERIFY(filter.contains(QStringLiteral("*.csv")));
  }
}

void TestTraceOpen::tracesToldFromScenarios_data() {
  QTest::addColumn<QString>("source");
  QTest::addColumn<bool>("trace");
  QTest::newRow("ragpulse folder") << fixture("ragpulse") << true;
  QTest::newRow("kv-cache-tester folder") << fixture("kv_cache_tester") << true;
  QTest::newRow("kv-cache-tester file") << fixture("kv_cache_tester/conv_a.json") << true;
  QTest::newRow("azure csv") << fixture("azure_llm/tiny.csv") << true;
  QTest::newRow("bailian jsonl") << fixture("qwen_bailian/tiny.jsonl") << true;
  QTest::newRow("scenario file") << QStringLiteral(KVLAB_SCENARIO_DIR "/agentic.json") << false;
  QTest::newRow("bundled scenario name") << QStringLiteral("agentic") << false;
}

void TestTraceOpen::tracesToldFromScenarios() {
  QFETCH(QString, source);
  QFETCH(bool, trace);
  QCOMPARE(isTraceSource(source), trace);
}

void TestTraceOpen::dropFilterHandsOnOnePath() {
  QWidget page;
  auto* filter = new TraceDropFilter(&page);
  QSignalSpy dropped(filter, &TraceDropFilter::dropped);
  QVERIFY(dropOn(&page, {fixture("ragpulse")}));
  QCOMPARE(dropped.count(), 1);
  QCOMPARE(dropped.first().first().toString(), fixture("ragpulse"));
  QVERIFY(!dropOn(&page, {fixture("ragpulse"), fixture("kv_cache_tester")}));  // one trace at a time
  QCOMPARE(dropped.count(), 1);
}

void TestTraceOpen::fleetPageRunsADroppedFolder() {
  FleetPage page;
  QVERIFY(dropOn(&page, {fixture("kv_cache_tester")}));
  page.setReplicas(1);
  page.setMaxTokensPerReplica(QStringLiteral("100000000"));
  QSignalSpy done(&page, &FleetPage::runFinished);
  page.runSelectedRouter();
  QVERIFY(done.wait(60000));
  // One replica with room for everything: the infinite-cache bound at the trace's 4-token blocks.
  QCOMPARE(page.strips()->view().fleetHitRate, 36.0 / 69.0);
}

void TestTraceOpen::servingPageRunsLengthOnlyTrace() {
  ServingPage page;
  QVERIFY(dropOn(&page, {fixture("azure_llm/tiny.csv")}));
  QSignalSpy finished(&page, &ServingPage::runFinished);
  QSignalSpy failed(&page, &ServingPage::runFailed);
  page.start();
  QVERIFY(finished.wait(60000) || !failed.isEmpty());
  QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
  QCOMPARE(page.lastSummary().requests, std::uint64_t(3));
  QCOMPARE(page.lastSummary().tokenHitRate, 0.0);  // lengths only: nothing to reuse
}

void TestTraceOpen::tunePageSweepsRagpulse() {
  TunePage page;
  QVERIFY(dropOn(&page, {fixture("ragpulse")}));
  page.setSizes(QStringLiteral("1024,100000"));
  page.setPolicies(QStringLiteral("lru"));
  page.setTtls(QStringLiteral("off"));
  QSignalSpy finished(&page, &TunePage::sweepFinished);
  QSignalSpy failed(&page, &TunePage::sweepFailed);
  QVERIFY(page.start());
  QVERIFY(finished.wait(60000) || !failed.isEmpty());
  QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
  const TuneResults& r = page.results();
  QCOMPARE(r.info.format, std::string("ragpulse"));
  QCOMPARE(r.info.blockSize, 512u);
  QCOMPARE(r.info.unlimited.hitTokens, std::uint64_t(160));
  QCOMPARE(r.info.promptTokens, std::uint64_t(440));
}

QTEST_MAIN(TestTraceOpen)
#include "tst_trace_open.moc"
