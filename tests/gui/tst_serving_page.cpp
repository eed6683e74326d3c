// SPDX-License-Identifier: MIT
// The Serving page end to end on the offscreen platform: a bundled scenario simulated in the worker thread
// reaches the page's summary with every request accounted for, a restart drops the superseded run, and a
// bad input is reported instead of crashing; with a host tier under a small pool the page shows what
// `kvlab-cli simulate` computes with the same flags.
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

#include "engine/cli_runner.h"
#include "ui/headline_banner.h"
#include "ui/serving_page.h"

using namespace kvlab;

class TestServingPage : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() { qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR); }
  void simulatesScenario();
  void restartKeepsOnlyTheLatestRun();
  void badInputFails();
  void hostTierAgreesWithTheCli();
};

void TestServingPage::hostTierAgreesWithTheCli() {
  // multi-turn-chat (6 users x 8 turns) in a 130-block pool: the users' histories are evicted between their
  // turns, a 100,000-token host tier keeps them, and their next turns load them instead of computing.
  ServingPage page;
  page.setInput(QStringLiteral("multi-turn-chat"));
  page.setPoolBlocks(130);
  page.setTiers(100000, 0);
  QSignalSpy finished(&page, &ServingPage::runFinished);
  page.start();
  QVERIFY(finished.wait(60000));
  const test::CliResult cli =
      test::runCli({QStringLiteral("simulate"), QStringLiteral("multi-turn-chat"), QStringLiteral("--pool-blocks"),
                    QStringLiteral("130"), QStringLiteral("--host-tokens"), QStringLiteral("100000"),
                    QStringLiteral("--json")});
  QCOMPARE(cli.code, 0);
  const QJsonObject run = QJsonDocument::fromJson(cli.out).object()[QStringLiteral("runs")].toArray()[0].toObject();
  const ServingSummary& s = page.lastSummary();
  QCOMPARE(qint64(s.completed), run[QStringLiteral("completed")].toInteger());
  QCOMPARE(qint64(s.tierHitTokens), run[QStringLiteral("tier_hit_tokens")].toInteger());
  QVERIFY(s.tierHitTokens > 0);  // the tier served something: the comparison means something
  QCOMPARE(s.tokenHitRate, run[QStringLiteral("token_hit_rate")].toDouble());
  QCOMPARE(s.ttftMsP50, run[QStringLiteral("ttft_ms_p50")].toDouble());
  const ServingSide& on = page.comparison().sides[ServingComparison::kWithCache];
  QCOMPARE(on.tiers.size(), std::size_t(1));
  QCOMPARE(qint64(on.tiers[0].hitTokens),
           run[QStringLiteral("tiers")].toObject()[QStringLiteral("host")].toObject()[QStringLiteral("hit_tokens")].toInteger());
  // Without prefix caching there is no tier (it holds prefix-cache blocks).
  QVERIFY(page.comparison().sides[ServingComparison::kWithoutCache].tiers.empty());
  QVERIFY2(page.headline()->detail().contains(QStringLiteral("the host tier")), qPrintable(page.headline()->detail()));
  // Less than one block is refused, naming the field.
  QSignalSpy failed(&page, &ServingPage::runFailed);
  page.setTiers(8, 0);  // blocks of 16 tokens
  page.start();
  QVERIFY(failed.wait(60000));
  QVERIFY2(failed.first().first().toString().contains(QStringLiteral("host tier")),
           qPrintable(failed.first().first().toString()));
}

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
