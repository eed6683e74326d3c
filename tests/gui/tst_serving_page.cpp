// SPDX-License-Identifier: MIT
// The Serving page end to end on the offscreen platform: a bundled scenario simulated in the worker thread
// reaches the page's summary with every request accounted for, a restart drops the superseded run, and a
// bad input is reported instead of crashing.
#include <QSignalSpy>
#include <QtTest>

#include "ui/serving_page.h"

using namespace kvlab;

class TestServingPage : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() { qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR); }
  void simulatesScenario();
  void restartKeepsOnlyTheLatestRun();
  void badInputFails();
};

void TestServingPage::simulatesScenario() {
  ServingPage page;
  page.setInput(QStringLiteral("agentic"));  // 24 requests (scenarios/agentic.json)
  QSignalSpy finished(&page, &ServingPage::runFinished);
  page.start();
  QVERIFY(page.isRunning());
  QVERIFY(finished.wait(60000));
  QCOMPARE(page.lastSummary().requests, std::uint64_t(24));
  QCOMPARE(page.lastSummary().completed, std::uint64_t(24));
  QCOMPARE(page.lastSummary().rejected, std::uint64_t(0));
  QVERIFY(page.lastSummary().tokenHitRate > 0.5);  // each agent step extends the previous prompt
  QVERIFY(!page.isRunning());
}

void TestServingPage::restartKeepsOnlyTheLatestRun() {
  ServingPage page;
  page.setInput(QStringLiteral("agentic"));
  QSignalSpy finished(&page, &ServingPage::runFinished);
  page.start();
  page.setInput(QStringLiteral("rag"));  // 28 requests (scenarios/rag.json)
  page.start();
  QVERIFY(finished.wait(60000));
  QCOMPARE(page.lastSummary().requests, std::uint64_t(28));
  // The worker runs jobs in order, so whatever the first run pushed was drained before the second finished:
  // it was dropped, not reported.
  QCOMPARE(finished.count(), 1);
  QCOMPARE(page.lastSummary().requests, std::uint64_t(28));
}

void TestServingPage::badInputFails() {
  ServingPage page;
  page.setInput(QStringLiteral("no-such-scenario"));
  QSignalSpy failed(&page, &ServingPage::runFailed);
  page.start();
  QVERIFY(failed.wait(60000));
  QVERIFY(failed.first().first().toString().contains("no-such-scenario"));
  QVERIFY(!page.isRunning());
}

QTEST_MAIN(TestServingPage)
#include "tst_serving_page.moc"
