// SPDX-License-Identifier: MIT
// kvlab: the desktop app. Parses the command line, wires MainWindow, and in unattended mode runs the
// scenario, writes the requested screenshot and exports, and exits.
#include <QApplication>
#include <QIcon>
#include <cstdio>

#include "ui/command_line_options.h"
#include "ui/event_loop_lag_probe.h"
#include "ui/main_window.h"
#include "ui/unattended_run.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("kvlab"));
  QApplication::setApplicationName(QStringLiteral("kvlab"));
  QApplication::setApplicationDisplayName(QStringLiteral("KV Cache Lab"));
  QApplication::setApplicationVersion(QStringLiteral("0.1.0"));
  QApplication::setDesktopFileName(QStringLiteral("kvlab"));

  const kvlab::CommandLineResult cli = kvlab::parseCommandLine(QApplication::arguments());
  if (cli.exitNow) {
    std::fputs(qPrintable(cli.message), stdout);
    return 0;
  }
  if (!cli.error.isEmpty()) {
    std::fprintf(stderr, "kvlab: %s\n(run kvlab --help for the options)\n", qPrintable(cli.error));
    return 2;
  }
  const kvlab::CommandLineOptions& options = cli.options;

  kvlab::MainWindow window;  // registers the resources (the icon)
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/kvlab.svg")));
  window.restoreSettings();
  window.show();
  if (options.drawWhileTiming) window.setQuietTiming(false);
  kvlab::EventLoopLagProbe lag;
  kvlab::UnattendedRun unattended(window, options, &lag);
  unattended.begin();

  const int code = QApplication::exec();
  if (options.measureLag) std::printf("%s\n", qPrintable(lag.report()));
  if (!options.quitWhenDone) window.saveSettings();
  return code;
}
