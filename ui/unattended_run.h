// SPDX-License-Identifier: MIT
#pragma once
// Unattended mode of the desktop app (docs, reports, CI): from the command line's options, selects the
// source and the page, runs the page's action (--autorun: Live runs, Serving simulates both ways, Fleet
// compares the routers, Tune sweeps; --sweep: Tune on that source), and when the page reports its work
// finished (PageWidget::workFinished) lets the charts lay out their last data, then writes the screenshot,
// the PDF report and the export folder, and quits with --quit-when-done (exit code 1 if the work or an
// export failed). Messages go to stderr. GUI thread.
#include <QObject>

#include "ui/command_line_options.h"

namespace kvlab {

class EventLoopLagProbe;
class MainWindow;
class PageWidget;

class UnattendedRun : public QObject {
  Q_OBJECT
public:
  UnattendedRun(MainWindow& window, const CommandLineOptions& options, EventLoopLagProbe* lag = nullptr);
  // Applies the options to the window (call after restoreSettings and show) and schedules the work.
  void begin();
  bool failed() const { return m_failed; }
  static void saveScreenshot(QWidget& window, const QString& path);

private:
  void finish(bool ok);
  MainWindow& m_window;
  CommandLineOptions m_options;
  PageWidget* m_page = nullptr;
  bool m_failed = false;
  bool m_screenshotTaken = false;
  bool m_finishing = false;
};

}  // namespace kvlab
