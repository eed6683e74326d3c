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
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <cstdio>

#include "ui/about_dialog.h"
#include "ui/control_panel.h"
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

  // Central area: the five charts and the request view, 2 columns x 3 rows.
  m_charts = {new HitRateChart(m_history), new SpeedupChart(m_history), new MemoryChart(m_history),
              new LayerOccupancyChart(m_history), new EvictionChart(m_history)};
  m_request = new RequestView(m_history);
  m_request->setObjectName(QStringLiteral("requestView"));
  auto* requestBox = new QGroupBox(tr("Current request: what the cache saved"));
  auto* requestLayout = new QVBoxLayout(requestBox);
  requestLayout->setContentsMargins(2, 2, 2, 2);
  requestLayout->addWidget(m_request);
  auto* central = new QWidget;
  auto* grid = new QGridLayout(central);
  grid->setContentsMargins(4, 4, 4, 4);
  grid->setSpacing(6);
  for (qsizetype i = 0; i < m_charts.size(); ++i) {
    m_charts[i]->setObjectName(m_charts[i]->fileStem() + QStringLiteral("Chart"));
    grid->addWidget(m_charts[i], int(i / 2), int(i % 2));
  }
  grid->addWidget(requestBox, 2, 1);
  for (int r = 0; r < 3; ++r) grid->setRowStretch(r, 1);
  for (int c = 0; c < 2; ++c) grid->setColumnStretch(c, 1);
  // Pages: the live view first; other modes (Tune, Serving, Fleet…) are one addPage() line each.
  m_pages = new QTabWidget;
  m_pages->setObjectName(QStringLiteral("pages"));
  m_pages->setDocumentMode(true);
  m_pages->addTab(central, tr("Live"));
  m_pages->addTab(new ServingPage, tr("Serving"));
  m_pages->addTab(new FleetPage, tr("Fleet"));
  setCentralWidget(m_pages);

  // Docks: controls and the event log on the left.
  m_controls = new ControlPanel(m_controller);
  m_controls->setObjectName(QStringLiteral("controlPanel"));
  connect(m_controls, &ControlPanel::resetRequested, m_history, &RunHistory::clearAll);
  connect(m_controls, &ControlPanel::liveMaxBytesChanged, m_history, &RunHistory::setLiveCapacity);
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

  buildMenus();
  for (QDockWidget* dock : {controlDock, logDock})
    findChild<QMenu*>(QStringLiteral("viewMenu"))->addAction(dock->toggleViewAction());
  setWindowIcon(QIcon(QStringLiteral(":/kvlab.svg")));
  resize(1600, 1000);
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
  });
  view->addSeparator();

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About KV Cache Lab"), this, [this] { AboutDialog::show(this); });
  help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
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
  store.setValue(QStringLiteral("window/geometry"), saveGeometry());
  store.setValue(QStringLiteral("window/state"), saveState());
  store.setValue(QStringLiteral("window/explanations"), m_explanations->isChecked());
  m_controls->saveSettings(store);
}

void MainWindow::restoreSettings() {
  QSettings store;
  restoreGeometry(store.value(QStringLiteral("window/geometry")).toByteArray());
  m_restoredLayout = restoreState(store.value(QStringLiteral("window/state")).toByteArray());
  m_explanations->setChecked(store.value(QStringLiteral("window/explanations"), true).toBool());
  m_controls->restoreSettings(store);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  saveSettings();
  m_controller->stop();
  event->accept();
}

}  // namespace kvlab
