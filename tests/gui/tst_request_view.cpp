// SPDX-License-Identifier: MIT
// The request view's prompt text with a real tokenizer (RequestRecord::tokenEnds): one shaded span per token,
// the reused tokens in the reused colour, and a token that ends inside a UTF-8 character drawn with the next.
#include <QLabel>
#include <QTest>

#include "ui/chart_palette.h"
#include "ui/request_view.h"
#include "ui/run_batch.h"
#include "ui/run_history.h"

using namespace kvlab;

class TestRequestView : public QObject {
  Q_OBJECT
private slots:
  void shadesRealTokens();
};

void TestRequestView::shadesRealTokens() {
  RunHistory history;
  RequestView view(&history);
  // "Hi" + U+1F44B WAVING HAND (4 bytes: F0 9F 91 8B) + " there": four tokens, the emoji split over two
  // byte-level tokens (bytes 2-3 and 4-5); the first token was reused.
  RunBatch batch;
  batch.runId = 1;
  RunInfo info;
  info.runId = 1;
  info.scenarioName = "hand-made";
  info.granularity = Granularity::Block;
  info.blockSize = 1;
  info.requestsTotal = 1;
  batch.started = info;
  RequestUpdate u;
  u.record.index = 0;
  u.record.promptTokens = 4;
  u.record.hitTokens = 1;
  u.record.computedTokens = 3;
  u.record.blockSize = 1;
  u.record.text = "Hi\xf0\x9f\x91\x8b there";
  u.record.tokenEnds = {2, 4, 6, 12};
  batch.requests = {u};
  history.apply(batch);
  auto* text = view.findChild<QLabel*>(QStringLiteral("promptText"));
  QVERIFY(text);
  const QString html = text->text();
  const QString hit = ChartPalette::hit().lighter(170).name();
  const QString computedA = ChartPalette::computed().lighter(150).name();
  const QString computedB = ChartPalette::computed().lighter(125).name();
  // Three spans: "Hi" reused; the emoji's two tokens as one unit; " there" in the other computed shade.
  QCOMPARE(html.count(QStringLiteral("<span")), 3);
  QVERIFY2(html.contains(QStringLiteral("<span style='background:%1'>Hi</span>").arg(hit)), qPrintable(html));
  QVERIFY2(html.contains(QStringLiteral("<span style='background:%1'>\U0001F44B</span>").arg(computedA)),
           qPrintable(html));
  QVERIFY2(html.contains(QStringLiteral("<span style='background:%1'> there</span>").arg(computedB)),
           qPrintable(html));
}

QTEST_MAIN(TestRequestView)
#include "tst_request_view.moc"
