// SPDX-License-Identifier: MIT
#include "ui/unattended_run.h"

#include <QApplication>
#include <QBuffer>
#include <QTimer>
#include <cstdio>

#include "core/util/atomic_file.h"
#include "ui/control_panel.h"
#include "ui/event_loop_lag_probe.h"
#include "ui/main_window.h"
#include "ui/page_widget.h"
#include "ui/report_exporter.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"
#include "ui/serving_page.h"
#include "ui/source_selection.h"
#include "ui/tune_page.h"

namespace kvlab {

namespace {
constexpr int kSettleMs = 400;  // let the charts lay out their last data before grabbing and exporting
}

UnattendedRun::UnattendedRun(MainWindow& window, const CommandLineOptions& options, EventLoopLagProbe* lag)
    : QObject(&window), m_window(window), m_options(options) {
  RunHistory* history = window.history();
  if (lag && options.measureLag) {
    connect(history, &RunHistory::runStarted, lag, [lag] { lag->start(); });
    connect(history, &RunHistory::runFinished, lag, [lag] { lag->stop(); });
  }
  connect(window.controller(), &RunController::runFailed, this, [this] { m_failed = true; });
  if (!options.screenshot.isEmpty() && options.screenshotAfterRequests > 0) {
    connect(history, &RunHistory::updated, this, [this, history] {
      const RunTrack* run = history->current();
      if (m_screenshotTaken || !run || int(run->points.size()) < m_options.screenshotAfterRequests) return;
      m_screenshotTaken = true;
      saveScreenshot(m_window, m_options.screenshot);
    });
  }
}

void UnattendedRun::saveScreenshot(QWidget& window, const QString& path) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  window.grab().save(&buffer, "PNG");
  writeFileAtomically(path.toStdString(), bytes.toStdString());
  std::fprintf(stderr, "kvlab: screenshot written to %s\n", qPrintable(path));
}

void UnattendedRun::begin() {
  if (m_options.run) m_window.controlPanel()->applySettings(*m_options.run);
  m_window.setInteractive(!m_options.quitWhenDone);
  if (m_options.speed > 0) m_window.servingPage()->setSpeed(m_options.speed);
  if (!m_options.sweep.isEmpty()) {
    m_window.sourceSelection()->setSource(m_options.sweep);
    m_window.tunePage()->setSizes(m_options.sweepSizes);
  }
  if (!m_options.page.isEmpty()) m_window.showPage(m_options.page);
  if (m_options.presentation) m_window.setPresentationMode(true);
  m_page = m_window.currentPage();
  const bool work = m_options.autorun || !m_options.sweep.isEmpty();
  if (!work || !m_page) return;
  connect(m_page, &PageWidget::workFinished, this, [this](bool ok) { finish(ok); });
  // A Live run refused for invalid settings (e.g. a remote URL restored from the settings that no longer
  // parses; MainWindow prints why) never ends: leave at once instead of waiting for it.
  connect(m_window.controlPanel(), &ControlPanel::runRefused, this, [this] {
    if (m_options.quitWhenDone) QApplication::exit(1);
  });
  QTimer::singleShot(0, m_page, [page = m_page] { page->runPage(); });
}

void UnattendedRun::finish(bool ok) {
  if (m_finishing) return;  // a page reports once per run; a restart would report again
  m_finishing = true;
  if (!ok) m_failed = true;
  if (auto* tune = qobject_cast<TunePage*>(m_page))
    std::fprintf(stderr, "kvlab: %s\n", qPrintable(tune->statusText()));
  std::fprintf(stderr, "kvlab: %s: %s\n", qPrintable(m_page->pageName()), qPrintable(m_page->headlineText()));
  QTimer::singleShot(kSettleMs, this, [this] {
    const QString description = m_window.controlPanel()->scenarioDescription();
    try {
      if (!m_options.screenshot.isEmpty() && !m_screenshotTaken)
        saveScreenshot(m_window, m_options.screenshot);
      if (!m_options.exportReport.isEmpty()) {
        m_window.exporter().exportPdfReport(m_options.exportReport, description);
        std::fprintf(stderr, "kvlab: report written to %s\n", qPrintable(m_options.exportReport));
      }
      if (!m_options.exportDir.isEmpty()) {
        const QStringList files = m_window.exporter().exportAll(m_options.exportDir, description);
        std::fprintf(stderr, "kvlab: %d files written to %s\n", int(files.size()),
                     qPrintable(m_options.exportDir));
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kvlab: export failed: %s\n", e.what());
      m_failed = true;
    }
    if (m_options.quitWhenDone) QApplication::exit(m_failed ? 1 : 0);
  });
}

}  // namespace kvlab
