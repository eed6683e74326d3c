// SPDX-License-Identifier: MIT
// kvlab: the desktop app. Parses the command line (before any display is needed), wires MainWindow, and in
// unattended mode (UnattendedRun) runs the page's action, writes the requested screenshot and exports, and
// exits.
#include <QApplication>
#include <QCoreApplication>
#include <QIcon>
#include <QStringList>
#include <cstdio>
#include <optional>

#include "ui/command_line_options.h"
#include "ui/event_loop_lag_probe.h"
#include "ui/main_window.h"
#include "ui/unattended_run.h"

namespace {

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
