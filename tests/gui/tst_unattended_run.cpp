// SPDX-License-Identifier: MIT
// Unattended mode for every page (kvlab --page P --scenario F --autorun --export-report R --screenshot S
// --export-dir D): the page's action runs, and when it has finished the screenshot, the report and the
// export folder are written. The report opens with that page's section, has no empty page and keeps the
// notes shown on screen (a trace run's eviction footer). Waits on files and signals, no sleeps.
#include <QFileInfo>
#include <QImage>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "pdf_pages.h"
#include "ui/chart_panel.h"
#include "ui/command_line_options.h"
#include "ui/main_window.h"
#include "ui/page_widget.h"
#include "ui/unattended_run.h"

using namespace kvlab;

namespace {
constexpr int kTimeoutMs = 180000;
}

class TestUnattendedRun : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("kvlab-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_unattended_run"));
    qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR);
    QSettings().clear();
  }

  void everyPage_data() {
    QTest::addColumn<QString>("page");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("section");  // the report's first section
    QTest::addColumn<QString>("file");     // one file of the page in the export folder
    QTest::newRow("live, trace") << QStringLiteral("live") << QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny-trace.jsonl")
                                 << QStringLiteral("Live run") << QStringLiteral("events.csv");
    QTest::newRow("serving") << QStringLiteral("serving") << QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny.json")
                             << QStringLiteral("Serving: with vs without prefix caching")
                             << QStringLiteral("serving-requests.csv");
    QTest::newRow("fleet") << QStringLiteral("fleet") << QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl")
                           << QStringLiteral("Fleet: routers against the shared-cache bound")
                           << QStringLiteral("fleet-comparison.csv");
    QTest::newRow("tune") << QStringLiteral("tune") << QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny.json")
                          << QStringLiteral("Tune: which policy, at which size") << QStringLiteral("tune-sweep.csv");
  }
  void everyPage() {
    QFETCH(QString, page);
    QFETCH(QString, source);
    QFETCH(QString, section);
    QFETCH(QString, file);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const CommandLineResult cli = parseCommandLine(
        {QStringLiteral("kvlab"), QStringLiteral("--page"), page, QStringLiteral("--scenario"), source,
         QStringLiteral("--autorun"), QStringLiteral("--export-report"), dir.filePath(QStringLiteral("r.pdf")),
         QStringLiteral("--screenshot"), dir.filePath(QStringLiteral("s.png")), QStringLiteral("--export-dir"),
         dir.filePath(QStringLiteral("out"))});
    QVERIFY2(cli.error.isEmpty(), qPrintable(cli.error));
    MainWindow w;
    w.resize(1600, 1000);
    w.show();
    UnattendedRun run(w, cli.options);
    run.begin();
    QCOMPARE(w.currentPage()->pageName(), page);
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(dir.filePath(QStringLiteral("out/report.pdf"))), kTimeoutMs);
    QVERIFY(!run.failed());
    QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("out/")) + file));
    const QImage shot(dir.filePath(QStringLiteral("s.png")));
    QCOMPARE(shot.size(), w.size());
    if (!test::havePdfTools()) QSKIP("poppler-utils (pdftotext, pdfinfo) not installed");
    const QStringList pages = test::pdfPageTexts(dir.filePath(QStringLiteral("r.pdf")));
    QVERIFY(!pages.isEmpty());
    QVERIFY2(pages.first().contains(section), qPrintable(pages.first()));
    for (int i = 0; i < pages.size(); ++i)
      QVERIFY2(pages[i].simplified().size() > 40, qPrintable(QStringLiteral("page %1 is empty").arg(i + 1)));
    // The headline is in the report as on screen.
    const QString headline = w.currentPage()->headline() ? w.currentPage()->headlineText().section('\n', 0, 0) : QString();
    QVERIFY2(pages.join(QLatin1Char(' ')).simplified().contains(headline.left(30).simplified()), qPrintable(headline));
    if (page == QLatin1String("live")) {
      // The run's work ends with its infinite-cache bound (computed apart, after the last request): the
      // screenshot and the report say it.
      QVERIFY2(w.currentPage()->headlineText().contains(QStringLiteral("infinite-cache bound")),
               qPrintable(w.currentPage()->headlineText()));
      QVERIFY2(pages.join(QLatin1Char(' ')).simplified().contains(QStringLiteral("infinite-cache bound")),
               qPrintable(pages.first()));
      // The eviction chart's note on screen (its footer or notice) is in the report too.
      for (ChartPanel* chart : w.charts())
        if (chart->fileStem() == QLatin1String("evictions") && !chart->notice().isEmpty())
          QVERIFY2(pages.join(QLatin1Char(' ')).simplified().contains(chart->notice().left(25).simplified()),
                   qPrintable(chart->notice()));
    }
  }
};

QTEST_MAIN(TestUnattendedRun)
#include "tst_unattended_run.moc"
