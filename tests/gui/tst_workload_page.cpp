// SPDX-License-Identifier: MIT
// The Workload page on the offscreen platform: kvlab-cli analyze's report for the shared source. On a
// hand-worked trace (the one tests/engine/tst_trace_analysis works through; the working is repeated here)
// the headline, the curve and the tables show the bound, the LRU hit rate at each size and the sizes for
// shares of the bound; warm-up counts the later requests only; a length-only trace says why it cannot be
// analyzed; opening a trace in the window brings the page forward; the PDF report has its section.
#include <QFile>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtTest>
#include <cmath>

#include "core/analyze/trace_analysis.h"
#include "gui/pdf_pages.h"
#include "ui/headline_banner.h"
#include "ui/log_axis_labels.h"
#include "ui/lru_curve_chart.h"
#include "ui/main_window.h"
#include "ui/report_exporter.h"
#include "ui/source_selection.h"
#include "ui/workload_page.h"

using namespace kvlab;

namespace {

// Block size 4. r0 [1,2,3] 12 tokens at 0 s; r1 [1,2,4] 12 at 1 s; r2 [5] 4 at 2 s; r3 [1,2,3] 10 at 10 s.
// Prompt 38 tokens. Infinite cache: r1 reuses blocks 1, 2 (8 tokens), r3 all three (10): 18 = 47.4 %.
// LRU stack distances (blocks touched last to first): r1 key 1 d=0, key 2 d=1; r3 key 1 d=1, key 2 d=2,
// key 3 d=4. Hit tokens by capacity C: C=1 4, C=2 12, C=3 16, C=4 16, C>=5 18. Shares of the bound:
// 50 % (9) -> C=2, 80 % (14.4) -> C=3, 90 % (16.2) -> C=5, 95 % (17.1) -> C=5.
const char* kHandTrace =
    "{\"timestamp\": 0, \"input_length\": 12, \"output_length\": 1, \"hash_ids\": [1, 2, 3]}\n"
    "{\"timestamp\": 1000, \"input_length\": 12, \"output_length\": 1, \"hash_ids\": [1, 2, 4]}\n"
    "{\"timestamp\": 2000, \"input_length\": 4, \"output_length\": 1, \"hash_ids\": [5]}\n"
    "{\"timestamp\": 10000, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1, 2, 3]}\n";

QString writeHandTrace(const QTemporaryDir& dir) {
  const QString path = dir.filePath(QStringLiteral("hand.jsonl"));
  QFile f(path);
  if (f.open(QIODevice::WriteOnly)) f.write(kHandTrace);
  return path;
}

bool analyze(WorkloadPage& page) {
  QSignalSpy done(&page, &PageWidget::workFinished);
  page.start();
  return done.wait(60000) && !done.isEmpty();
}

// The curve's value (percent) at capacity `blocks`.
double curveAt(const LruCurveChart& chart, double blocks) {
  for (const QPointF& p : chart.curve()->points())
    if (std::abs(p.x() - LogAxisLabels::toAxis(blocks)) < 1e-9) return p.y();
  return -1;
}

}  // namespace

class TestWorkloadPage : public QObject {
  Q_OBJECT
private slots:
  void handWorkedTrace() {
    QTemporaryDir dir;
    SourceSelection selection;
    WorkloadPage page(&selection);
    page.setBlockSize(4);
    selection.setSource(writeHandTrace(dir));
    QSignalSpy done(&page, &PageWidget::workFinished);
    QVERIFY(analyze(page));
    QVERIFY(page.hasResults());
    const QString headline = page.headline()->headline();
    QVERIFY2(headline.contains(QStringLiteral("47.4%")), qPrintable(headline));
    QVERIFY2(headline.contains(QStringLiteral("5 blocks for 90%")), qPrintable(headline));
    const LruCurveChart& chart = *page.curveChart();
    QCOMPARE(curveAt(chart, 1), 100.0 * 4 / 38);
    QCOMPARE(curveAt(chart, 2), 100.0 * 12 / 38);
    QCOMPARE(curveAt(chart, 3), 100.0 * 16 / 38);
    QCOMPARE(curveAt(chart, 5), 100.0 * 18 / 38);
    QCOMPARE(chart.bound()->points().front().y(), 100.0 * 18 / 38);
    QCOMPARE(chart.boundSizes()->count(), 4);  // 50/80/90/95 %, rings at C = 2, 3, 5, 5
    QCOMPARE(chart.boundSizes()->points()[0].x(), LogAxisLabels::toAxis(2));
    QCOMPARE(chart.boundSizes()->points()[1].x(), LogAxisLabels::toAxis(3));
    QCOMPARE(chart.boundSizes()->points()[2].x(), LogAxisLabels::toAxis(5));
    // The tables: the sizes for shares of the bound, the top shared prefix (blocks 1-2 shared by r0, r1, r3:
    // 2 x 8 = 16 tokens saved), and a 10 s idle TTL losing nothing: the reuses' idle gaps are 1 s (r1) and
    // 9, 9, 10 s (r3), and a block expires only after a gap over the TTL.
    QVERIFY2(page.reportHtml().contains(QStringLiteral("<td>50%</td><td>2 blocks</td>")), qPrintable(page.reportHtml()));
    QVERIFY(page.reportView()->toPlainText().contains(QStringLiteral("How big an LRU cache must be")));
    QVERIFY(page.reportHtml().contains(QStringLiteral("<td>90%</td><td>5 blocks</td>")));
    QVERIFY(page.reportHtml().contains(QStringLiteral("<td>1</td><td>2</td><td>8</td><td>3</td><td>16</td>")));
    QVERIFY(page.reportHtml().contains(QStringLiteral("<td>10 s</td><td>18</td><td>0</td>")));
    // The chart's CSV: one row per sampled size, the same hit tokens.
    QVERIFY(QString::fromStdString(chart.csv()).contains(QStringLiteral("\n2,8,12,")));
    // Model and hardware only re-price: bytes appear, no new pass.
    page.setModel(QStringLiteral("llama-3-8b"));
    QVERIFY(page.headline()->headline().contains(QStringLiteral("of K/V")));
    QCOMPARE(done.count(), 1);
  }

  void warmupCountsTheLaterRequests() {
    // Warm-up 50 %: r0, r1 fill the cache; r2 (4 tokens) and r3 (10) are measured: bound 10 of 14.
    QTemporaryDir dir;
    SourceSelection selection;
    WorkloadPage page(&selection);
    page.setBlockSize(4);
    page.setWarmupFraction(0.5);
    selection.setSource(writeHandTrace(dir));
    QVERIFY(analyze(page));
    QVERIFY2(page.headline()->headline().contains(QStringLiteral("71.4%")), qPrintable(page.headline()->headline()));
    QCOMPARE(page.analysis()->warmupRequests, 2u);
    QVERIFY(page.headline()->detail().contains(QStringLiteral("first 2 requests only fill the cache")));
  }

  void lengthOnlyTraceSaysWhy() {
    SourceSelection selection;
    WorkloadPage page(&selection);
    selection.setSource(QStringLiteral(KVLAB_TEST_DATA_DIR "/traces/azure_llm/tiny.csv"));
    QSignalSpy done(&page, &PageWidget::workFinished);
    page.start();
    QVERIFY(done.wait(60000));
    QCOMPARE(done.front().front().toBool(), false);
    QVERIFY(!page.hasResults());
    QVERIFY2(page.headline()->headline().startsWith(QStringLiteral("Cannot analyze tiny.csv")),
             qPrintable(page.headline()->headline()));
    QVERIFY(!page.headline()->detail().isEmpty());
  }

  void yourOwnPromptsWithATokenizer() {
    // tests/data/prompts: a hand-made byte-level tokenizer (one token per byte, no merges; see
    // tests/engine/tst_prompt_trace). prompt_strings.jsonl at B = 4: "abcdefgh" 8 tokens, keys abcd, efgh;
    // "abcdefgXY" 9: abcd hits (4); "abcdefgh!" 9: abcd efgh hit (8). Prompt 26, bound 12 = 46.2 %.
    SourceSelection selection;
    WorkloadPage page(&selection);
    page.setBlockSize(4);
    selection.setSource(QStringLiteral(KVLAB_TEST_DATA_DIR "/prompts/prompt_strings.jsonl"));
    QSignalSpy done(&page, &PageWidget::workFinished);
    page.start();
    QVERIFY(done.wait(60000));
    QCOMPARE(done.takeFirst().front().toBool(), false);  // text without a tokenizer: said, not guessed
    QVERIFY2(page.headline()->detail().contains(QStringLiteral("tokenizer")), qPrintable(page.headline()->detail()));
    const QString tokenizer = QStringLiteral(KVLAB_TEST_DATA_DIR "/prompts/byte_chatml_tokenizer.json");
    selection.setTokenizer(tokenizer, QStringLiteral("raw"));
    page.start();
    QVERIFY(done.wait(60000));
    QCOMPARE(done.takeFirst().front().toBool(), true);
    QCOMPARE(page.analysis()->promptTokens, 26u);
    QCOMPARE(page.analysis()->infiniteHitTokens, 12u);
    QVERIFY2(page.headline()->headline().contains(QStringLiteral("46.2%")), qPrintable(page.headline()->headline()));
    QVERIFY2(page.reportHtml().contains(QStringLiteral("byte_chatml_tokenizer.json")), qPrintable(page.reportHtml()));
  }

  void openingATraceShowsTheReportFirst() {
    QTemporaryDir dir;
    const QString trace = writeHandTrace(dir);
    MainWindow window;
    window.showPage(QStringLiteral("tune"));
    window.sourceSelection()->openFile(trace);
    QCOMPARE(window.currentPage(), static_cast<PageWidget*>(window.workloadPage()));
    // A scenario opened does not move the window; neither does an unattended run (it shows its --page).
    window.showPage(QStringLiteral("fleet"));
    window.sourceSelection()->openFile(QStringLiteral("agentic"));
    QCOMPARE(window.currentPage()->pageName(), QStringLiteral("fleet"));
    window.setInteractive(false);
    window.sourceSelection()->openFile(trace);
    QCOMPARE(window.currentPage()->pageName(), QStringLiteral("fleet"));
  }

  void pdfReportHasTheWorkloadSection() {
    if (!test::havePdfTools()) QSKIP("poppler-utils (pdftotext, pdfinfo) not installed");
    QTemporaryDir dir;
    MainWindow window;
    window.workloadPage()->setBlockSize(4);
    window.sourceSelection()->setSource(writeHandTrace(dir));
    QVERIFY(analyze(*window.workloadPage()));
    const QString pdf = dir.filePath(QStringLiteral("report.pdf"));
    window.exporter().exportPdfReport(pdf, QString());
    const QString all = test::pdfPageTexts(pdf).join(QLatin1Char('\n'));
    QVERIFY2(all.contains(QStringLiteral("Workload: how cacheable is it?")), qPrintable(all));
    QVERIFY(all.contains(QStringLiteral("47.4%")));
    QVERIFY(all.contains(QStringLiteral("How big an LRU cache must be")));
    // Exports: the curve (PNG, SVG, CSV) and the report as HTML.
    const QStringList files = window.workloadPage()->exportFiles(QDir(dir.filePath(QStringLiteral("out"))));
    QCOMPARE(files.size(), 4);
    for (const QString& f : files) QVERIFY2(QFileInfo(f).size() > 0, qPrintable(f));
  }
};

QTEST_MAIN(TestWorkloadPage)
#include "tst_workload_page.moc"
