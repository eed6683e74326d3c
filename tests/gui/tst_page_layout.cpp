// SPDX-License-Identifier: MIT
// Every page at 1600 x 1000 after real work (a trace and a scenario on Live, a tiered Live run, Serving,
// Fleet, Tune): the window does not grow past its size (a 1920 x 1080 screen always has room), no chart
// title, axis label or legend is cut off (Qt Charts marks a cut text with "..."; legends wrap under the
// plot and must be shown whole), tables show every row and column, axes end at the data, and each page
// shows only the controls that act on it. Presentation mode: projector type on every page (ticks >= 18 px,
// titles >= 28 px), one chart at a time with the ←/→ hint. Help lists the shortcuts.
#include <QAction>
#include <QDockWidget>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>
#include <QtCharts/QAbstractAxis>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QValueAxis>

#include "ui/chart_panel.h"
#include "ui/control_panel.h"
#include "ui/fleet_page.h"
#include "ui/headline_banner.h"
#include "ui/live_page.h"
#include "ui/main_window.h"
#include "ui/run_status_bar.h"
#include "ui/serving_page.h"
#include "ui/serving_queue_chart.h"
#include "ui/shortcut_sheet.h"
#include "ui/source_selection.h"
#include "ui/tune_page.h"

using namespace kvlab;

namespace {
constexpr int kTimeoutMs = 180000;
constexpr QSize kWindow{1600, 1000};
const QString kScenario = QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny.json");
const QString kTrace = QStringLiteral(KVLAB_GUI_TEST_DATA_DIR "/tiny-trace.jsonl");
const QString kFleetTrace = QStringLiteral(KVLAB_TEST_DATA_DIR "/fleet_sessions.jsonl");

// Texts of a chart scene that Qt Charts cut off ("Speedup (..." / "TTFT u..."), visible ones only.
QStringList cutTexts(QChart* chart) {
  QStringList out;
  if (!chart->scene()) return out;
  for (QGraphicsItem* item : chart->scene()->items()) {
    auto* text = dynamic_cast<QGraphicsTextItem*>(item);
    if (!text || !text->isVisible()) continue;
    const QString plain = text->toPlainText();
    if (plain.endsWith(QStringLiteral("...")) || plain.contains(QChar(0x2026))) out << plain;
  }
  return out;
}

// Every visible chart of the page: nothing cut, the title within the chart, the legend shown whole.
void checkCharts(PageWidget* page) {
  for (ChartPanel* panel : page->findChildren<ChartPanel*>()) {
    if (!panel->isVisibleTo(page)) continue;
    for (QChart* chart : panel->charts()) {
      const QStringList cut = cutTexts(chart);
      QVERIFY2(cut.isEmpty(),
               qPrintable(panel->objectName() + QStringLiteral(": cut off: ") + cut.join(" | ")));
      // The title's room: the chart's width less its layout margins (Qt Charts elides past that).
      const QFontMetrics fm(chart->titleFont());
      const qreal room = chart->size().width() - chart->margins().left() - chart->margins().right() -
                         chart->layout()->contentsRect().x() * 2;
      QVERIFY2(fm.horizontalAdvance(chart->title()) <= room,
               qPrintable(panel->objectName() + QStringLiteral(": title wider than the chart: ") +
                          chart->title()));
    }
    for (int i = 0; i < panel->charts().size(); ++i) {
      QLabel* legend = panel->legendLabel(i);
      if (!legend || !legend->isVisibleTo(panel) || legend->text().isEmpty()) continue;
      QVERIFY2(legend->heightForWidth(legend->width()) <= legend->height() + 1,
               qPrintable(panel->objectName() + QStringLiteral(": legend taller than its room")));
    }
  }
}

bool waitFor(PageWidget* page) {
  QSignalSpy done(page, &PageWidget::workFinished);
  page->runPage();
  return done.wait(kTimeoutMs) && done.first().first().toBool();
}

QString widest(QWidget* root) {
  // For a failure message: the widgets asking for the most width.
  QString out;
  for (QWidget* w : root->findChildren<QWidget*>())
    if (w->isVisibleTo(root) && w->minimumSizeHint().width() > 700)
      out +=
          QStringLiteral("%1(%2) ").arg(QString::fromLatin1(w->metaObject()->className()), w->objectName()) +
          QString::number(w->minimumSizeHint().width()) + QLatin1Char(' ');
  return out;
}
}  // namespace

class TestPageLayout : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("kvlab-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_page_layout"));
    qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR);
    QSettings().clear();
  }

  void pagesFitAndNothingIsCut_data() {
    QTest::addColumn<QString>("page");
    QTest::addColumn<QString>("source");
    QTest::addColumn<bool>("tiers");
    QTest::newRow("live, trace") << QStringLiteral("live") << kTrace << false;
    QTest::newRow("live, scenario") << QStringLiteral("live") << kScenario << false;
    QTest::newRow("live, host tier") << QStringLiteral("live") << kScenario << true;
    QTest::newRow("serving") << QStringLiteral("serving") << kScenario << false;
    QTest::newRow("fleet") << QStringLiteral("fleet") << kFleetTrace << false;
    QTest::newRow("tune") << QStringLiteral("tune") << kScenario << false;
  }
  void pagesFitAndNothingIsCut() {
    QFETCH(QString, page);
    QFETCH(QString, source);
    QFETCH(bool, tiers);
    MainWindow w;
    w.setInteractive(false);
    RunSettings s;
    s.scenario = source.toStdString();
    w.controlPanel()->applySettings(s);
    if (tiers) {
      RunSettings t = w.controlPanel()->settings();
      t.hostMaxBytes = Bytes(64) << 20;
      w.controlPanel()->applySettings(t);
    }
    QCOMPARE(w.sourceSelection()->source(), source);  // one source for every page
    QVERIFY(w.showPage(page));
    w.resize(kWindow);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    if (page == QLatin1String("fleet")) {
      w.fleetPage()->setReplicas(3);
      w.fleetPage()->setMaxTokensPerReplica(QStringLiteral("160"));
      w.fleetPage()->setBlockSize(16);
    }
    QVERIFY(waitFor(w.currentPage()));
    QTest::qWait(50);  // the last coalesced redraw and the legend's zero-timer
    QCoreApplication::processEvents();
    QVERIFY2(
        w.minimumSizeHint().width() <= kWindow.width(),
        qPrintable(QStringLiteral("minimum width %1: %2").arg(w.minimumSizeHint().width()).arg(widest(&w))));
    QVERIFY2(w.width() <= kWindow.width(), qPrintable(QString::number(w.width())));
    QVERIFY(w.minimumSizeHint().height() <= kWindow.height());
    QVERIFY(!w.currentPage()->headline()->headline().isEmpty());
    if (qEnvironmentVariableIsSet("KVLAB_LAYOUT_DEBUG"))
      for (QWidget* x : w.findChildren<QWidget*>())
        if (x->isVisible() && x->minimumSizeHint().width() > 250)
          qWarning("%s %s min %d now %d", x->metaObject()->className(), qPrintable(x->objectName()),
                   x->minimumSizeHint().width(), x->width());
    checkCharts(w.currentPage());
    if (tiers) QVERIFY(w.findChild<ChartPanel*>(QStringLiteral("tiersChart"))->isVisible());
    if (page == QLatin1String("tune")) {
      QTableWidget* table = w.tunePage()->kneeTable();
      QVERIFY(table->rowCount() >= 3);
      QVERIFY2(table->horizontalHeader()->length() <= table->viewport()->width(),
               qPrintable(QStringLiteral("%1 > %2")
                              .arg(table->horizontalHeader()->length())
                              .arg(table->viewport()->width())));
      QVERIFY2(table->verticalHeader()->length() <= table->viewport()->height(),
               qPrintable(QStringLiteral("%1 > %2")
                              .arg(table->verticalHeader()->length())
                              .arg(table->viewport()->height())));
    }
  }

  void axesEndAtTheData() {
    // The Serving queue chart's time axis ends at the last data point plus the 3 % margin, not at the next
    // round number (40,000 s for 20,437 s of data).
    MainWindow w;
    w.setInteractive(false);
    w.sourceSelection()->setSource(kScenario);
    QVERIFY(w.showPage(QStringLiteral("serving")));
    QVERIFY(waitFor(w.servingPage()));
    double last = 0;
    for (const ServingSide& side : w.servingPage()->comparison().sides)
      for (const ServingTimelinePoint& p : side.points) last = std::max(last, p.timeS);
    QVERIFY(last > 0);
    auto* queue = w.findChild<ServingQueueChart*>();
    QVERIFY(queue->timeAxis()->max() >= last);
    QVERIFY2(queue->timeAxis()->max() <= last * 1.031 + 1e-9,
             qPrintable(QString::number(queue->timeAxis()->max())));
  }

  void pageControlsBelongToTheirPage() {
    MainWindow w;
    w.setInteractive(false);
    w.resize(kWindow);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    auto* controls = w.findChild<QDockWidget*>(QStringLiteral("controlDock"));
    auto* log = w.findChild<QDockWidget*>(QStringLiteral("eventLogDock"));
    QVERIFY(controls->isVisible() && log->isVisible());
    QAction* pause = nullptr;
    for (QAction* a : w.menuBar()->findChildren<QAction*>())
      if (a->text().startsWith(QStringLiteral("&Pause"))) pause = a;
    QVERIFY(pause);
    for (const char* name : {"serving", "fleet", "tune"}) {
      QVERIFY(w.showPage(QLatin1String(name)));
      QVERIFY2(!controls->isVisible() && !log->isVisible(), name);  // Live's controls are not this page's
      QVERIFY2(!w.runStatusBar()->findChild<QLabel*>(QStringLiteral("requestsLabel"))->isVisible(), name);
      QVERIFY2(!pause->isEnabled(), name);
    }
    QVERIFY(w.showPage(QStringLiteral("live")));
    QVERIFY(controls->isVisible() && log->isVisible());
    QVERIFY(pause->isEnabled());
    // A dock the user closed on Live stays closed when coming back.
    log->hide();
    QVERIFY(w.showPage(QStringLiteral("tune")));
    QVERIFY(w.showPage(QStringLiteral("live")));
    QVERIFY(controls->isVisible() && !log->isVisible());
  }

  void presentationOnEveryPage_data() {
    QTest::addColumn<QString>("page");
    for (const char* p : {"live", "serving", "fleet", "tune"}) QTest::newRow(p) << QString::fromLatin1(p);
  }
  void presentationOnEveryPage() {
    QFETCH(QString, page);
    MainWindow w;
    w.setInteractive(false);
    w.resize(1920, 1080);
    w.show();
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));  // the ←/→ shortcuts act in the active window
    QVERIFY(w.showPage(page));
    w.setPresentationMode(true);
    PageWidget* p = w.currentPage();
    QVERIFY(p->presentation());
    QVERIFY(p->headline()->headlineLabel()->font().pixelSize() >= 28);
    QVERIFY(p->presentationHint()->isVisible());
    QVERIFY2(p->presentationHint()->text().contains(QStringLiteral("← / →")),
             qPrintable(p->presentationHint()->text()));
    int shownCharts = 0;
    for (ChartPanel* panel : p->findChildren<ChartPanel*>()) {
      if (panel->isVisibleTo(p)) ++shownCharts;
      for (QChart* chart : panel->charts()) {
        QVERIFY2(chart->titleFont().pixelSize() >= 28, qPrintable(panel->objectName()));
        for (QAbstractAxis* axis : chart->axes())
          QVERIFY2(axis->labelsFont().pixelSize() >= 18, qPrintable(panel->objectName()));
      }
      QVERIFY(panel->legendLabel()->font().pixelSize() >= 18);
    }
    QCOMPARE(shownCharts, 1);  // one chart at a time
    if (page != QLatin1String("live"))
      QVERIFY(!p->findChild<QWidget*>(QStringLiteral("sourceCombo"))->isVisible());
    // → shows the next slide, and the hint follows.
    const int before = p->currentSlide();
    QTest::keyClick(&w, Qt::Key_Right);
    QVERIFY(p->currentSlide() != before || p->slideCount() == 1);
    QVERIFY(p->presentationHint()->text().contains(p->slideTitle(p->currentSlide())));
    w.setPresentationMode(false);
    QVERIFY(!p->presentationHint()->isVisible());
    for (ChartPanel* panel : p->findChildren<ChartPanel*>())
      for (QChart* chart : panel->charts()) QVERIFY(chart->titleFont().pixelSize() < 28);
  }

  void shortcutSheetListsTheKeys() {
    MainWindow w;
    const QList<ShortcutSheet::Entry> entries = ShortcutSheet::collect(w.menuBar());
    QStringList keys;
    for (const ShortcutSheet::Entry& e : entries) keys << e.keys;
    for (const QString& key : {QStringLiteral("Ctrl+R"), QStringLiteral("F11"), QStringLiteral("F1"),
                               QStringLiteral("Ctrl+E"), QStringLiteral("← / →"), QStringLiteral("Ctrl+1")})
      QVERIFY2(keys.contains(key), qPrintable(key));
    QVERIFY(ShortcutSheet::html(entries).contains(QStringLiteral("Presentation")));
  }
};

QTEST_MAIN(TestPageLayout)
#include "tst_page_layout.moc"
