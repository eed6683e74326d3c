// SPDX-License-Identifier: MIT
#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QGridLayout>
#include <QGroupBox>
#include <QKeySequence>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QShortcut>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <cstdio>

#include "ui/about_dialog.h"
#include "ui/control_panel.h"
#include "ui/decode_lesson_chart.h"
#include "ui/event_log_model.h"
#include "ui/event_log_panel.h"
#include "ui/eviction_chart.h"
#include "ui/fleet_page.h"
#include "ui/hit_rate_chart.h"
#include "ui/layer_occupancy_chart.h"
#include "ui/memory_chart.h"
#include "ui/report_exporter.h"
#include "ui/request_view.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"
#include "ui/run_status_bar.h"
#include "ui/serving_page.h"
#include "ui/speedup_chart.h"
#include "ui/tier_chart.h"
#include "ui/tune_page.h"

// Q_INIT_RESOURCE declares a function and must be used outside any namespace.
static void initKvlabResources() { Q_INIT_RESOURCE(kvlab); }

namespace kvlab {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  initKvlabResources();
  setWindowTitle(tr("KV Cache Lab"));
  setObjectName(QStringLiteral("mainWindow"));
  m_controller = new RunController(this);
  m_history = new RunHistory(this);
  connect(m_controller, &RunController::batchReady, m_history, &RunHistory::apply);
  connect(m_controller, &RunController::runFailed, this, &MainWindow::showError);

  // Central area: the five charts and the request view, 2 columns x 3 rows (a run with tiers adds the tier
  // chart: 3 columns); for a decode run, the decode lesson instead of the five (they are about the shared
  // prefix cache, which decoding does not use).
  m_charts = {new HitRateChart(m_history),        new SpeedupChart(m_history),  new MemoryChart(m_history),
              new LayerOccupancyChart(m_history), new EvictionChart(m_history), new TierChart(m_history),
              new DecodeLessonChart(m_history)};
  m_request = new RequestView(m_history);
  m_request->setObjectName(QStringLiteral("requestView"));
  m_requestBox = new QGroupBox(tr("Current request: what the cache saved"));
  auto* requestLayout = new QVBoxLayout(m_requestBox);
  requestLayout->setContentsMargins(2, 2, 2, 2);
  requestLayout->addWidget(m_request);
  auto* central = new QWidget;
  m_liveGrid = new QGridLayout(central);
  m_liveGrid->setContentsMargins(4, 4, 4, 4);
  m_liveGrid->setSpacing(6);
  for (ChartPanel* chart : std::as_const(m_charts))
    chart->setObjectName(chart->fileStem() + QStringLiteral("Chart"));
  layoutLivePage();
  connect(m_history, &RunHistory::runStarted, this, &MainWindow::layoutLivePage);
  connect(m_history, &RunHistory::cleared, this, &MainWindow::layoutLivePage);
  // Pages: the live view first; other modes (Tune, Serving, Fleet…) are one addPage() line each.
  m_pages = new QTabWidget;
  m_pages->setObjectName(QStringLiteral("pages"));
  m_pages->setDocumentMode(true);
  m_pages->addTab(central, tr("Live"));
  m_pages->addTab(new ServingPage, tr("Serving"));
  m_pages->addTab(new FleetPage, tr("Fleet"));
  m_tune = new TunePage;
  m_tune->setObjectName(QStringLiteral("tunePage"));
  m_pages->addTab(m_tune, tr("Tune"));
  setCentralWidget(m_pages);

  // Docks: controls and the event log on the left.
  m_controls = new ControlPanel(m_controller);
  m_controls->setObjectName(QStringLiteral("controlPanel"));
  connect(m_controls, &ControlPanel::resetRequested, m_history, &RunHistory::clearAll);
  connect(m_controls, &ControlPanel::runRefused, this, &MainWindow::showError);
  connect(m_controls, &ControlPanel::liveMaxBytesChanged, m_history, &RunHistory::setLiveCapacity);
  connect(m_request, &RequestView::pinRequested, m_controller, &RunController::pinRequestPrefix);
  // Tune: a clicked configuration opens in the Live view with the same source and settings.
  connect(m_tune, &TunePage::openInLiveRequested, this, [this](const RunSettings& settings) {
    m_controls->applySettings(settings);
    m_pages->setCurrentIndex(0);
    statusBar()->showMessage(tr("Tune: configuration set in the Live view's controls; press Run"), 8000);
  });
  auto* controlDock = new QDockWidget(tr("Controls"), this);
  controlDock->setObjectName(QStringLiteral("controlDock"));
  controlDock->setWidget(m_controls);
  addDockWidget(Qt::LeftDockWidgetArea, controlDock);
  m_eventLog = new EventLogPanel(m_history);
  m_eventLog->setObjectName(QStringLiteral("eventLogPanel"));
  auto* logDock = new QDockWidget(tr("Event log"), this);
  logDock->setObjectName(QStringLiteral("eventLogDock"));
  logDock->setWidget(m_eventLog);
  addDockWidget(Qt::LeftDockWidgetArea, logDock);
  m_docks = {controlDock, logDock};
  // First start (no saved layout): a narrow left column leaves the charts most of the width.
  QTimer::singleShot(0, this, [this, controlDock, logDock] {
    if (!m_restoredLayout) {
      resizeDocks({controlDock}, {380}, Qt::Horizontal);
      resizeDocks({controlDock, logDock}, {560, 400}, Qt::Vertical);
    }
  });

  m_status = new RunStatusBar(m_controller, m_history, this);
  setStatusBar(m_status);

  QList<const ChartPanel*> charts;
  for (ChartPanel* c : std::as_const(m_charts)) charts.append(c);
  m_exporter = std::make_unique<ReportExporter>(m_history, charts, m_eventLog->model());
  m_exporter->setTunePage(m_tune);

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
  m_normalFont = QApplication::font();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open =
      file->addAction(tr("&Open scenario or trace…"), m_controls, &ControlPanel::openScenarioFile);
  open->setShortcut(QKeySequence::Open);
  QAction* exportAllAction = file->addAction(tr("&Export everything…"), this, &MainWindow::exportAll);
  exportAllAction->setShortcut(QKeySequence(tr("Ctrl+E")));
  exportAllAction->setObjectName(QStringLiteral("exportAllAction"));
  file->addAction(tr("Export PDF &report…"), this, &MainWindow::exportReport);
  QMenu* chartMenu = file->addMenu(tr("Export &chart"));
  for (ChartPanel* chart : std::as_const(m_charts)) {
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
  run->addAction(tr("&Run"), QKeySequence(tr("Ctrl+R")), m_controls, &ControlPanel::run);
  run->addAction(tr("&Pause / resume"), QKeySequence(tr("Ctrl+P")), m_controls, &ControlPanel::togglePause);
  run->addAction(tr("S&tep one request"), QKeySequence(Qt::Key_F10), m_controls, &ControlPanel::step);
  run->addAction(tr("&Stop"), QKeySequence(tr("Ctrl+.")), m_controls, &ControlPanel::stop);
  run->addAction(tr("Rese&t"), m_controls, &ControlPanel::reset);
  run->addSeparator();
  run->addAction(tr("&Clear earlier runs"), QKeySequence(tr("Ctrl+L")), m_history, &RunHistory::clearEarlier);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->setObjectName(QStringLiteral("viewMenu"));
  m_explanations = view->addAction(tr("&Explanations beside the charts"));
  m_explanations->setCheckable(true);
  m_explanations->setChecked(true);
  connect(m_explanations, &QAction::toggled, this, [this](bool on) {
    for (ChartPanel* c : std::as_const(m_charts)) c->setExplanationVisible(on);
    m_tune->setExplanationsVisible(on);
  });
  m_presentationAction = view->addAction(tr("&Presentation"));
  m_presentationAction->setObjectName(QStringLiteral("presentationAction"));
  m_presentationAction->setCheckable(true);
  m_presentationAction->setShortcut(QKeySequence(Qt::Key_F11));
  m_presentationAction->setToolTip(
      tr("Large fonts and lines, docks hidden, one chart at a time beside the request view (Left/Right "
         "cycle), full screen"));
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
      // Only the charts that apply to the current run take turns.
      const int n = int(m_charts.size());
      int next = m_presentedChart;
      for (int tries = 0; tries < n; ++tries) {
        next = ((next + step) % n + n) % n;
        if (m_charts[next]->appliesTo(m_history->current())) break;
      }
      showChart(next);
    });
    m_cycleKeys.append(shortcut);
  }

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About KV Cache Lab"), this, [this] { AboutDialog::show(this); });
  help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::layoutLivePage() {
  while (m_liveGrid->count() > 0) m_liveGrid->takeAt(0);  // widgets stay; only the layout items go
  for (int r = 0; r < 3; ++r) m_liveGrid->setRowStretch(r, 0);
  for (int c = 0; c < 3; ++c) m_liveGrid->setColumnStretch(c, 0);
  const RunTrack* run = m_history->current();
  QList<ChartPanel*> shown;  // the charts that mean something for the current run
  for (ChartPanel* chart : std::as_const(m_charts)) {
    chart->setVisible(false);
    if (chart->appliesTo(run)) shown.append(chart);
  }
  // The decode lesson alone: its chart fills the page. The request view is left out: it shows what the
  // shared prefix cache saved, and a decoded prompt's prefill is the same work both ways.
  const bool lessonOnly = shown.size() == 1;
  m_requestBox->setVisible(!lessonOnly);
  if (m_presentation) {
    if (!m_charts[m_presentedChart]->appliesTo(run)) m_presentedChart = int(m_charts.indexOf(shown.first()));
    m_charts[m_presentedChart]->setVisible(true);
    m_liveGrid->addWidget(m_charts[m_presentedChart], 0, 0);
    if (!lessonOnly) m_liveGrid->addWidget(m_requestBox, 0, 1);
    m_liveGrid->setRowStretch(0, 1);
    m_liveGrid->setColumnStretch(0, 3);
    m_liveGrid->setColumnStretch(1, lessonOnly ? 0 : 2);
    return;
  }
  if (lessonOnly) {
    shown.first()->setVisible(true);
    m_liveGrid->addWidget(shown.first(), 0, 0, 3, 2);
    for (int r = 0; r < 3; ++r) m_liveGrid->setRowStretch(r, 1);
    for (int c = 0; c < 2; ++c) m_liveGrid->setColumnStretch(c, 1);
    return;
  }
  // Normal: the five charts and the request view, 2 columns x 3 rows. Six charts (a run with tiers):
  // 3 columns; the sixth (the tier chart, two stacked plots) takes the right column's two lower cells and
  // the request view the other two.
  const int columns = shown.size() > 5 ? 3 : 2;
  for (qsizetype i = 0; i < shown.size(); ++i) {
    shown[i]->setVisible(true);
    if (columns == 3 && i == 5)
      m_liveGrid->addWidget(shown[i], 1, 2, 2, 1);
    else
      m_liveGrid->addWidget(shown[i], int(i / columns), int(i % columns));
  }
  if (columns == 2)
    m_liveGrid->addWidget(m_requestBox, 2, 1);
  else
    m_liveGrid->addWidget(m_requestBox, 2, 0, 1, 2);
  for (int r = 0; r < 3; ++r) m_liveGrid->setRowStretch(r, 1);
  for (int c = 0; c < columns; ++c) m_liveGrid->setColumnStretch(c, 1);
}

void MainWindow::showChart(int index) {
  if (index < 0 || index >= int(m_charts.size())) return;
  m_presentedChart = index;
  if (m_presentation) layoutLivePage();
}

bool MainWindow::showPage(const QString& name) {
  for (int i = 0; i < m_pages->count(); ++i)
    if (m_pages->tabText(i).remove(QLatin1Char('&')).compare(name, Qt::CaseInsensitive) == 0) {
      m_pages->setCurrentIndex(i);
      return true;
    }
  return false;
}

void MainWindow::setQuietTiming(bool on) { m_quietTiming->setChecked(on); }

void MainWindow::setPresentationMode(bool on) {
  if (on == m_presentation) return;
  m_presentation = on;
  if (m_presentationAction->isChecked() != on) m_presentationAction->setChecked(on);
  const double scale = on ? kPresentationScale : 1.0;
  QFont font = m_normalFont;
  font.setPointSizeF(m_normalFont.pointSizeF() * scale);
  QApplication::setFont(font);
  for (ChartPanel* chart : std::as_const(m_charts)) chart->setPresentationScale(scale);
  m_request->setPresentationScale(scale);
  if (on) {
    m_docksVisibleBefore.clear();
    for (QDockWidget* dock : std::as_const(m_docks)) {
      m_docksVisibleBefore.append(dock->isVisible());
      dock->hide();
    }
    m_pages->setCurrentIndex(0);
    m_wasMaximized = isMaximized();
    showFullScreen();
  } else {
    for (qsizetype i = 0; i < m_docks.size() && i < m_docksVisibleBefore.size(); ++i)
      m_docks[i]->setVisible(m_docksVisibleBefore[i]);
    if (m_wasMaximized)
      showMaximized();
    else
      showNormal();
  }
  for (QShortcut* key : std::as_const(m_cycleKeys)) key->setEnabled(on);
  layoutLivePage();
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
      m_exporter->exportChartPng(*chart, path);
    else
      m_exporter->exportChartSvg(*chart, path);
  });
}

void MainWindow::exportAll() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Export charts, report and CSV into"));
  if (dir.isEmpty()) return;
  runGuarded(tr("Export to %1").arg(dir),
             [&] { m_exporter->exportAll(dir, m_controls->scenarioDescription()); });
}

void MainWindow::exportReport() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export PDF report"),
                                                    QStringLiteral("kvlab-report.pdf"), tr("PDF (*.pdf)"));
  if (path.isEmpty()) return;
  runGuarded(tr("Export %1").arg(path),
             [&] { m_exporter->exportPdfReport(path, m_controls->scenarioDescription()); });
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
  }
  store.setValue(QStringLiteral("window/explanations"), m_explanations->isChecked());
  store.setValue(QStringLiteral("window/quietTiming"), m_quietTiming->isChecked());
  m_controls->saveSettings(store);
}

void MainWindow::restoreSettings() {
  QSettings store;
  restoreGeometry(store.value(QStringLiteral("window/geometry")).toByteArray());
  m_restoredLayout = restoreState(store.value(QStringLiteral("window/state")).toByteArray());
  m_explanations->setChecked(store.value(QStringLiteral("window/explanations"), true).toBool());
  m_quietTiming->setChecked(store.value(QStringLiteral("window/quietTiming"), true).toBool());
  m_controls->restoreSettings(store);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  saveSettings();
  m_controller->stop();
  event->accept();
}

}  // namespace kvlab
