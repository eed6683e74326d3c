// SPDX-License-Identifier: MIT
#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QKeySequence>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QShortcut>
#include <QTabWidget>
#include <QTimer>
#include <cstdio>

#include "ui/about_dialog.h"
#include "ui/chart_panel.h"
#include "ui/control_panel.h"
#include "ui/event_log_panel.h"
#include "ui/fleet_page.h"
#include "ui/live_page.h"
#include "ui/report_exporter.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"
#include "ui/run_status_bar.h"
#include "ui/serving_page.h"
#include "ui/shortcut_sheet.h"
#include "ui/source_selection.h"
#include "ui/tune_page.h"
#include "ui/workload_page.h"

// Q_INIT_RESOURCE declares a function and must be used outside any namespace.
static void initKvlabResources() { Q_INIT_RESOURCE(kvlab); }

namespace kvlab {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  initKvlabResources();
  setWindowTitle(tr("KV Cache Lab"));
  setObjectName(QStringLiteral("mainWindow"));
  m_normalFont = QApplication::font();
  m_controller = new RunController(this);
  m_history = new RunHistory(this);
  m_source = new SourceSelection(this);
  connect(m_controller, &RunController::batchReady, m_history, &RunHistory::apply);
  connect(m_controller, &RunController::runFailed, this, &MainWindow::showError);

  // Docks of the Live page: controls and the event log on the left.
  m_controls = new ControlPanel(m_controller);
  m_controls->setObjectName(QStringLiteral("controlPanel"));
  m_controls->attachSourceSelection(m_source);
  m_eventLog = new EventLogPanel(m_history);
  m_eventLog->setObjectName(QStringLiteral("eventLogPanel"));
  connect(m_controls, &ControlPanel::resetRequested, m_history, &RunHistory::clearAll);
  connect(m_controls, &ControlPanel::runRefused, this, &MainWindow::showError);
  connect(m_controls, &ControlPanel::liveMaxBytesChanged, m_history, &RunHistory::setLiveCapacity);
  // One source for every page: the Live scenario box and the pages' pickers both set it.
  m_source->setSource(m_controls->settings().scenario.empty()
                          ? QString()
                          : QString::fromStdString(m_controls->settings().scenario));
  connect(m_controls, &ControlPanel::sourceSelected, m_source, &SourceSelection::setSource);
  connect(m_controls, &ControlPanel::fileOpened, m_source, &SourceSelection::openFile);
  connect(m_source, &SourceSelection::sourceChanged, m_controls, &ControlPanel::selectSource);
  auto* controlDock = new QDockWidget(tr("Controls"), this);
  controlDock->setObjectName(QStringLiteral("controlDock"));
  controlDock->setWidget(m_controls);
  addDockWidget(Qt::LeftDockWidgetArea, controlDock);
  auto* logDock = new QDockWidget(tr("Event log"), this);
  logDock->setObjectName(QStringLiteral("eventLogDock"));
  logDock->setWidget(m_eventLog);
  addDockWidget(Qt::LeftDockWidgetArea, logDock);
  m_docks = {controlDock, logDock};
  m_docksVisible = {true, true};
  // First start (no saved layout): a narrow left column leaves the charts most of the width.
  QTimer::singleShot(0, this, [this, controlDock, logDock] {
    if (!m_restoredLayout) {
      resizeDocks({controlDock}, {360}, Qt::Horizontal);
      resizeDocks({controlDock, logDock}, {560, 400}, Qt::Vertical);
    }
  });

  // Pages, one class each.
  m_live = new LivePage(m_controller, m_history, m_controls, m_eventLog->model());
  m_serving = new ServingPage(m_source);
  m_fleet = new FleetPage(m_source);
  m_tune = new TunePage(m_source);
  m_tune->setObjectName(QStringLiteral("tunePage"));
  m_workload = new WorkloadPage(m_source);
  m_workload->setObjectName(QStringLiteral("workloadPage"));
  m_pageWidgets = {m_live, m_workload, m_serving, m_fleet, m_tune};
  m_pages = new QTabWidget;
  m_pages->setObjectName(QStringLiteral("pages"));
  m_pages->setDocumentMode(true);
  m_pages->addTab(m_live, tr("Live"));
  m_pages->addTab(m_workload, tr("Workload"));
  m_pages->addTab(m_serving, tr("Serving"));
  m_pages->addTab(m_fleet, tr("Fleet"));
  m_pages->addTab(m_tune, tr("Tune"));
  setCentralWidget(m_pages);
  connect(m_pages, &QTabWidget::currentChanged, this, &MainWindow::pageChanged);
  QList<const PageWidget*> reported;
  for (PageWidget* page : std::as_const(m_pageWidgets)) reported.append(page);
  m_live->setReportedPages(reported);
  // A trace the user opens (any dialog or drop) shows its workload report first.
  connect(m_source, &SourceSelection::traceOpened, this, [this](const QString& path) {
    if (!m_interactive) return;  // an unattended run shows the page it was asked for
    m_pages->setCurrentWidget(m_workload);
    statusBar()->showMessage(
        tr("%1: how cacheable it is. Every page now works on it; Ctrl+R runs the page shown")
            .arg(SourceSelection::displayName(path)),
        8000);
  });
  // Tune: a clicked configuration opens in the Live view with the same source and settings.
  connect(m_tune, &TunePage::openInLiveRequested, this, [this](const RunSettings& settings) {
    m_controls->applySettings(settings);
    m_pages->setCurrentWidget(m_live);
    statusBar()->showMessage(tr("Tune: configuration set in the Live view's controls; press Run"), 8000);
  });

  m_status = new RunStatusBar(m_controller, m_history, this);
  setStatusBar(m_status);

  buildMenus();
  for (QDockWidget* dock : {controlDock, logDock})
    findChild<QMenu*>(QStringLiteral("viewMenu"))->addAction(dock->toggleViewAction());
  setWindowIcon(QIcon(QStringLiteral(":/kvlab.svg")));
  // 1600 x 1000 where the screen has room, else 92 % of what it offers (a 1.5x-scaled 1920 x 1080 screen
  // is only 1280 x 720 logical pixels).
  QSize size(1600, 1000);
  if (const QScreen* screen = QGuiApplication::primaryScreen())
    size = size.boundedTo(screen->availableGeometry().size() * 0.92);
  resize(size);
  for (PageWidget* page : std::as_const(m_pageWidgets)) page->setTypeScale(TypeScale::window());
  pageChanged();
}

MainWindow::~MainWindow() {
  if (m_presentation) QApplication::setFont(m_normalFont);  // the app outlives a window in tests
}

const QList<ChartPanel*>& MainWindow::charts() const { return m_live->charts(); }

const ReportExporter& MainWindow::exporter() const { return m_live->exporter(); }

PageWidget* MainWindow::currentPage() const { return qobject_cast<PageWidget*>(m_pages->currentWidget()); }

PageWidget* MainWindow::page(const QString& name) const {
  for (int i = 0; i < m_pages->count(); ++i) {
    auto* p = qobject_cast<PageWidget*>(m_pages->widget(i));
    if (p && (p->pageName().compare(name, Qt::CaseInsensitive) == 0 ||
              m_pages->tabText(i).remove(QLatin1Char('&')).compare(name, Qt::CaseInsensitive) == 0))
      return p;
  }
  return nullptr;
}

bool MainWindow::showPage(const QString& name) {
  PageWidget* p = page(name);
  if (p) m_pages->setCurrentWidget(p);
  return p != nullptr;
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open scenario or trace…"), this, [this] {
    m_source->openFile(SourceSelection::askForFile(this));
  });
  open->setShortcut(QKeySequence::Open);
  QAction* exportAllAction = file->addAction(tr("&Export everything…"), this, &MainWindow::exportAll);
  exportAllAction->setShortcut(QKeySequence(tr("Ctrl+E")));
  exportAllAction->setObjectName(QStringLiteral("exportAllAction"));
  file->addAction(tr("Export PDF &report…"), this, &MainWindow::exportReport);
  QMenu* chartMenu = file->addMenu(tr("Export Live &chart"));
  for (ChartPanel* chart : m_live->charts()) {
    QMenu* sub = chartMenu->addMenu(chart->title());
    auto* png = new QAction(tr("Export as PNG…"), chart);
    auto* svg = new QAction(tr("Export as SVG…"), chart);
    connect(png, &QAction::triggered, this, [this, chart] { exportChart(chart, QStringLiteral("png")); });
    connect(svg, &QAction::triggered, this, [this, chart] { exportChart(chart, QStringLiteral("svg")); });
    sub->addAction(png);
    sub->addAction(svg);
    chart->setContextMenuPolicy(Qt::ActionsContextMenu);  // right-click a chart to export it
    chart->addAction(png);
    chart->addAction(svg);
  }
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  QAction* runPage =
      run->addAction(tr("&Run this page (Live: run · Workload: analyze · Serving: simulate · Fleet: "
                        "compare · Tune: sweep)"),
                     QKeySequence(tr("Ctrl+R")), this, [this] {
                       if (PageWidget* p = currentPage()) p->runPage();
                     });
  runPage->setObjectName(QStringLiteral("runPageAction"));
  m_liveOnlyActions = {
      run->addAction(tr("&Pause / resume (Live)"), QKeySequence(tr("Ctrl+P")), m_controls,
                     &ControlPanel::togglePause),
      run->addAction(tr("S&tep one request (Live)"), QKeySequence(Qt::Key_F10), m_controls,
                     &ControlPanel::step),
      run->addAction(tr("&Stop (Live)"), QKeySequence(tr("Ctrl+.")), m_controls, &ControlPanel::stop),
      run->addAction(tr("Rese&t (Live)"), m_controls, &ControlPanel::reset)};
  run->addSeparator();
  m_liveOnlyActions.append(run->addAction(tr("&Clear earlier runs (Live)"), QKeySequence(tr("Ctrl+L")),
                                          m_history, &RunHistory::clearEarlier));

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->setObjectName(QStringLiteral("viewMenu"));
  for (int i = 0; i < m_pages->count(); ++i)
    view->addAction(tr("Page: %1").arg(m_pages->tabText(i)),
                    QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)), this,
                    [this, i] { m_pages->setCurrentIndex(i); });
  view->addSeparator();
  m_explanations = view->addAction(tr("&Explanations beside the charts"));
  m_explanations->setCheckable(true);
  m_explanations->setChecked(true);
  connect(m_explanations, &QAction::toggled, this, [this](bool on) {
    for (ChartPanel* c : m_live->charts()) c->setExplanationVisible(on);
    m_serving->setExplanationsVisible(on);
    m_fleet->setExplanationsVisible(on);
    m_tune->setExplanationsVisible(on);
  });
  m_presentationAction = view->addAction(tr("&Presentation"));
  m_presentationAction->setObjectName(QStringLiteral("presentationAction"));
  m_presentationAction->setCheckable(true);
  m_presentationAction->setShortcut(QKeySequence(Qt::Key_F11));
  m_presentationAction->setToolTip(
      tr("Projector-size type, docks hidden, full screen; each page shows its headline and one chart at a "
         "time (←/→ switch charts)"));
  connect(m_presentationAction, &QAction::toggled, this, &MainWindow::setPresentationMode);
  m_quietTiming = view->addAction(tr("&No drawing while a request is timed"));
  m_quietTiming->setObjectName(QStringLiteral("quietTimingAction"));
  m_quietTiming->setCheckable(true);
  m_quietTiming->setChecked(m_controller->quietTiming());
  m_quietTiming->setToolTip(
      tr("The run waits for the charts to be drawn between requests, so drawing never competes with a "
         "timed prefill for the cores (honest TTFTs; the run takes a little longer)."));
  connect(m_quietTiming, &QAction::toggled, m_controller, &RunController::setQuietTiming);
  view->addSeparator();
  for (const auto& [key, step] : {std::pair{Qt::Key_Right, 1}, std::pair{Qt::Key_Left, -1}}) {
    auto* shortcut = new QShortcut(QKeySequence(key), this);
    shortcut->setEnabled(false);  // presentation mode only
    connect(shortcut, &QShortcut::activated, this, [this, step = step] {
      if (PageWidget* p = currentPage()) p->stepSlide(step);
    });
    m_cycleKeys.append(shortcut);
  }

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  QAction* keys = help->addAction(tr("&Keyboard shortcuts"), QKeySequence(Qt::Key_F1), this,
                                  [this] { ShortcutSheet::show(this, menuBar()); });
  keys->setObjectName(QStringLiteral("shortcutSheetAction"));
  help->addAction(tr("&About KV Cache Lab"), this, [this] { AboutDialog::show(this); });
  help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::pageChanged() {
  const bool live = m_pages->currentWidget() == m_live;
  if (live != m_onLive && !m_presentation) {
    if (!live) {  // leaving Live: remember the docks as the user left them, then hide them
      m_docksVisible.clear();
      for (QDockWidget* dock : std::as_const(m_docks)) m_docksVisible.append(dock->isVisible());
      for (QDockWidget* dock : std::as_const(m_docks)) dock->hide();
    } else {
      for (qsizetype i = 0; i < m_docks.size() && i < m_docksVisible.size(); ++i)
        m_docks[i]->setVisible(m_docksVisible[i]);
    }
  }
  m_onLive = live;
  // Only the page shown asks for room: the tab widget's minimum size is otherwise the largest of every
  // page's, which with the Live docks beside it would not fit a 1600 px window.
  for (PageWidget* page : std::as_const(m_pageWidgets))
    page->setSizePolicy(page == m_pages->currentWidget()
                            ? QSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred)
                            : QSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored));
  m_status->setLiveWidgetsVisible(live);
  for (QAction* action : std::as_const(m_liveOnlyActions)) action->setEnabled(live);
  if (m_pages->currentWidget() == m_tune && m_controls->settings().maxBytes)
    m_tune->setPreferredBytes(*m_controls->settings().maxBytes);
}

int MainWindow::presentedChart() const { return m_live->currentSlide(); }

void MainWindow::showChart(int index) { m_live->showSlide(index); }

void MainWindow::setQuietTiming(bool on) { m_quietTiming->setChecked(on); }

void MainWindow::setPresentationMode(bool on) {
  if (on == m_presentation) return;
  m_presentation = on;
  if (m_presentationAction->isChecked() != on) m_presentationAction->setChecked(on);
  const TypeScale scale = on ? TypeScale::presentation() : TypeScale::window();
  QFont font = m_normalFont;
  if (on) font.setPixelSize(scale.pixels(TextRole::Body));
  QApplication::setFont(font);
  for (PageWidget* page : std::as_const(m_pageWidgets)) {
    page->setTypeScale(scale);
    page->setPresentation(on);
  }
  if (on) {
    if (m_onLive) {
      m_docksVisible.clear();
      for (QDockWidget* dock : std::as_const(m_docks)) m_docksVisible.append(dock->isVisible());
    }
    for (QDockWidget* dock : std::as_const(m_docks)) dock->hide();
    m_wasMaximized = isMaximized();
    showFullScreen();
  } else {
    if (m_onLive)
      for (qsizetype i = 0; i < m_docks.size() && i < m_docksVisible.size(); ++i)
        m_docks[i]->setVisible(m_docksVisible[i]);
    if (m_wasMaximized)
      showMaximized();
    else
      showNormal();
  }
  for (QShortcut* key : std::as_const(m_cycleKeys)) key->setEnabled(on);
}

void MainWindow::runGuarded(const QString& what, const std::function<void()>& action) {
  try {
    action();
    statusBar()->showMessage(tr("%1: done").arg(what), 5000);
  } catch (const std::exception& e) {
    showError(tr("%1 failed: %2").arg(what, QString::fromStdString(e.what())));
  }
}

void MainWindow::exportChart(const ChartPanel* chart, const QString& format) {
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export chart"), chart->fileStem() + QLatin1Char('.') + format,
                                   format.toUpper() + QStringLiteral(" (*.") + format + QLatin1Char(')'));
  if (path.isEmpty()) return;
  runGuarded(tr("Export %1").arg(path), [&] {
    if (format == QLatin1String("png"))
      exporter().exportChartPng(*chart, path);
    else
      exporter().exportChartSvg(*chart, path);
  });
}

void MainWindow::exportAll() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Export charts, report and CSV into"));
  if (dir.isEmpty()) return;
  runGuarded(tr("Export to %1").arg(dir),
             [&] { exporter().exportAll(dir, m_controls->scenarioDescription()); });
}

void MainWindow::exportReport() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export PDF report"),
                                                    QStringLiteral("kvlab-report.pdf"), tr("PDF (*.pdf)"));
  if (path.isEmpty()) return;
  runGuarded(tr("Export %1").arg(path),
             [&] { exporter().exportPdfReport(path, m_controls->scenarioDescription()); });
}

void MainWindow::showError(const QString& message) {
  statusBar()->showMessage(message, 15000);
  if (!m_interactive) {
    std::fprintf(stderr, "kvlab: %s\n", qPrintable(message));
    return;
  }
  // Non-modal: a message box must never block the event loop the charts and the tests run on.
  auto* box = new QMessageBox(QMessageBox::Warning, tr("KV Cache Lab"), message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setModal(false);
  box->show();
}

void MainWindow::saveSettings() const {
  QSettings store;
  if (!m_presentation) {  // keep the normal layout, not the full-screen one
    store.setValue(QStringLiteral("window/geometry"), saveGeometry());
    store.setValue(QStringLiteral("window/state"), saveState());
    QList<QVariant> docks;
    for (const bool visible : m_onLive ? QList<bool>{} : m_docksVisible) docks.append(visible);
    store.setValue(QStringLiteral("window/liveDocks"), docks);  // the Live page's docks when saved elsewhere
  }
  store.setValue(QStringLiteral("window/explanations"), m_explanations->isChecked());
  store.setValue(QStringLiteral("window/quietTiming"), m_quietTiming->isChecked());
  m_controls->saveSettings(store);
}

void MainWindow::restoreSettings() {
  QSettings store;
  restoreGeometry(store.value(QStringLiteral("window/geometry")).toByteArray());
  m_restoredLayout = restoreState(store.value(QStringLiteral("window/state")).toByteArray());
  const QList<QVariant> docks = store.value(QStringLiteral("window/liveDocks")).toList();
  if (docks.size() == m_docks.size())
    for (qsizetype i = 0; i < m_docks.size(); ++i) m_docks[i]->setVisible(docks[i].toBool());
  m_explanations->setChecked(store.value(QStringLiteral("window/explanations"), true).toBool());
  m_quietTiming->setChecked(store.value(QStringLiteral("window/quietTiming"), true).toBool());
  m_controls->restoreSettings(store);
  pageChanged();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  saveSettings();
  m_controller->stop();
  event->accept();
}

}  // namespace kvlab
