// SPDX-License-Identifier: MIT
// kvlab: the desktop app. Parses the command line (before any display is needed), wires MainWindow, and in
// unattended mode runs the scenario, writes the requested screenshot and exports, and exits.
#include <QApplication>
#include <QBuffer>
#include <QCoreApplication>
#include <QIcon>
#include <QStringList>
#include <QTimer>
#include <cstdio>
#include <optional>

#include "core/util/atomic_file.h"
#include "ui/command_line_options.h"
#include "ui/control_panel.h"
#include "ui/event_loop_lag_probe.h"
#include "ui/main_window.h"
#include "ui/report_exporter.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"
#include "ui/tune_page.h"

namespace {

void saveScreenshot(kvlab::MainWindow& window, const QString& path) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  window.grab().save(&buffer, "PNG");
  kvlab::writeFileAtomically(path.toStdString(), bytes.toStdString());
  std::fprintf(stderr, "kvlab: screenshot written to %s\n", qPrintable(path));
}

void setApplicationNames() {
  QCoreApplication::setOrganizationName(QStringLiteral("kvlab"));
  QCoreApplication::setApplicationName(QStringLiteral("kvlab"));
  QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));
}

// Qt's own GUI options, which QApplication takes out of argv (QGuiApplication's documentation): a command
// line with one of them is parsed only once the QApplication has removed it.
bool hasQtGuiOption(int argc, char** argv) {
  static const QStringList kQtGuiOptions =
      QStringLiteral(
          "platform platformpluginpath platformtheme plugin qwindowgeometry qwindowicon qwindowtitle "
          "reverse session display geometry style stylesheet widgetcount nograb dograb sync title "
          "visual")
          .split(QLatin1Char(' '));
  for (int i = 1; i < argc; ++i) {
    QString arg = QString::fromLocal8Bit(argv[i]);
    if (arg == QLatin1String("--")) break;
    if (!arg.startsWith(QLatin1Char('-'))) continue;
    arg.remove(0, arg.startsWith(QLatin1String("--")) ? 2 : 1);
    const QString name = arg.section(QLatin1Char('='), 0, 0);
    if (kQtGuiOptions.contains(name)) return true;
  }
  return false;
}

// Where the xcb or wayland platform would find no display and Qt would abort (exit 134) creating the
// QApplication: say so instead. QT_QPA_PLATFORM (e.g. offscreen) or -platform chooses another platform.
bool noDisplay() {
#ifdef Q_OS_LINUX
  return qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
         qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
#else
  return false;
#endif
}

// --help, --version or an error: print, and the exit code; nullopt: go on with cli.options.
std::optional<int> handled(const kvlab::CommandLineResult& cli) {
  if (cli.exitNow) {
    std::fputs(qPrintable(cli.message), stdout);
    return 0;
  }
  if (!cli.error.isEmpty()) {
    std::fprintf(stderr, "kvlab: %s\n(run kvlab --help for the options)\n", qPrintable(cli.error));
    return 2;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  // The command line is parsed before the QApplication exists, under a QCoreApplication (no platform
  // plugin, no display), so --help, --version and a bad option print anywhere: over ssh, in CI, in a
  // container. Only a line with one of Qt's GUI options waits for the QApplication, which removes them.
  const bool qtGuiOptions = hasQtGuiOption(argc, argv);
  if (!qtGuiOptions) {
    std::optional<int> code;
    {
      QCoreApplication core(argc, argv);
      setApplicationNames();
      code = handled(kvlab::parseCommandLine(QCoreApplication::arguments()));
    }
    if (code) return *code;
    if (noDisplay()) {
      std::fprintf(stderr,
                   "kvlab: no display (DISPLAY and WAYLAND_DISPLAY are unset). Run it on a desktop, set "
                   "QT_QPA_PLATFORM=offscreen for unattended runs (--autorun --quit-when-done), or use "
                   "kvlab-cli.\n");
      return 1;
    }
  }

  QApplication app(argc, argv);
  setApplicationNames();
  QApplication::setApplicationDisplayName(QStringLiteral("KV Cache Lab"));
  QApplication::setDesktopFileName(QStringLiteral("kvlab"));

  const kvlab::CommandLineResult cli = kvlab::parseCommandLine(QApplication::arguments());
  if (const std::optional<int> code = handled(cli)) return *code;
  const kvlab::CommandLineOptions& options = cli.options;

  kvlab::MainWindow window;  // registers the resources (the icon)
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/kvlab.svg")));
  window.restoreSettings();
  if (options.run) window.controlPanel()->applySettings(*options.run);
  window.setInteractive(!options.quitWhenDone);
  window.show();
  if (options.presentation) window.setPresentationMode(true);
  if (options.drawWhileTiming) window.setQuietTiming(false);

  kvlab::EventLoopLagProbe lag;
  kvlab::RunController* controller = window.controller();
  kvlab::RunHistory* history = window.history();
  bool failed = false;
  QObject::connect(controller, &kvlab::RunController::runFailed, [&failed] { failed = true; });
  if (options.measureLag) {
    QObject::connect(history, &kvlab::RunHistory::runStarted, &lag, [&lag] { lag.start(); });
    QObject::connect(history, &kvlab::RunHistory::runFinished, &lag, [&lag] { lag.stop(); });
  }
  bool screenshotTaken = false;
  if (!options.screenshot.isEmpty() && options.screenshotAfterRequests > 0) {
    QObject::connect(history, &kvlab::RunHistory::updated, &window, [&] {
      const kvlab::RunTrack* run = history->current();
      if (screenshotTaken || !run || int(run->points.size()) < options.screenshotAfterRequests) return;
      screenshotTaken = true;
      saveScreenshot(window, options.screenshot);
    });
  }
  if (!options.page.isEmpty()) window.showPage(options.page);
  if (!options.sweep.isEmpty()) {
    // The Tune page's sweep stands for the run: screenshot, exports and exit wait for it.
    kvlab::TunePage* tune = window.tunePage();
    tune->setSource(options.sweep);
    tune->setSizes(options.sweepSizes);
    QObject::connect(tune, &kvlab::TunePage::sweepFailed, &window, [&](const QString& why) {
      std::fprintf(stderr, "kvlab: sweep failed: %s\n", qPrintable(why));
      if (options.quitWhenDone) QApplication::exit(1);
    });
    QObject::connect(tune, &kvlab::TunePage::sweepFinished, &window, [&, tune] {
      std::fprintf(stderr, "kvlab: %s\n", qPrintable(tune->statusText()));
      QTimer::singleShot(400, &window, [&] {
        try {
          if (!options.screenshot.isEmpty()) saveScreenshot(window, options.screenshot);
          if (!options.exportReport.isEmpty())
            window.exporter().exportPdfReport(options.exportReport,
                                              window.controlPanel()->scenarioDescription());
          if (!options.exportDir.isEmpty())
            window.exporter().exportAll(options.exportDir, window.controlPanel()->scenarioDescription());
        } catch (const std::exception& e) {
          std::fprintf(stderr, "kvlab: export failed: %s\n", e.what());
          failed = true;
        }
        if (options.quitWhenDone) QApplication::exit(failed ? 1 : 0);
      });
    });
    QTimer::singleShot(0, tune, [tune] { tune->start(); });
  }
  if (options.autorun) {
    QObject::connect(controller, &kvlab::RunController::runEnded, &window, [&](int runId) {
      if (runId != controller->currentRunId()) return;
      // Let the charts lay out their last data before grabbing and exporting.
      QTimer::singleShot(400, &window, [&] {
        try {
          if (!options.screenshot.isEmpty() && !screenshotTaken) saveScreenshot(window, options.screenshot);
          if (!options.exportReport.isEmpty()) {
            window.exporter().exportPdfReport(options.exportReport,
                                              window.controlPanel()->scenarioDescription());
            std::fprintf(stderr, "kvlab: report written to %s\n", qPrintable(options.exportReport));
          }
          if (!options.exportDir.isEmpty()) {
            const QStringList files =
                window.exporter().exportAll(options.exportDir, window.controlPanel()->scenarioDescription());
            std::fprintf(stderr, "kvlab: %d files written to %s\n", int(files.size()),
                         qPrintable(options.exportDir));
          }
        } catch (const std::exception& e) {
          std::fprintf(stderr, "kvlab: export failed: %s\n", e.what());
          failed = true;
        }
        if (options.quitWhenDone) QApplication::exit(failed ? 1 : 0);
      });
    });
    // A run refused for invalid settings (e.g. a remote URL restored from the settings that no longer
    // parses; MainWindow prints why) never ends: leave at once instead of waiting for it.
    QObject::connect(window.controlPanel(), &kvlab::ControlPanel::runRefused, &window, [&] {
      if (options.quitWhenDone) QApplication::exit(1);
    });
    QTimer::singleShot(0, window.controlPanel(), &kvlab::ControlPanel::run);
  }

  const int code = QApplication::exec();
  if (options.measureLag) std::printf("%s\n", qPrintable(lag.report()));
  if (!options.quitWhenDone) window.saveSettings();
  return code;
}
