// SPDX-License-Identifier: MIT
#pragma once
// The desktop app's command line (QCommandLineParser): a scenario and the same cache parameters as
// `kvlab-cli run` (tiers included: --host-size, --host-policy, --remote, --remote-write, --remote-timeout),
// plus unattended mode (--autorun, --export-report, --screenshot, --quit-when-done) and
// --measure-lag, and --page / --sweep for the Tune page. Values are checked with the core parsers; a bad one
// yields a message naming the flag.
#include <QString>
#include <QStringList>
#include <optional>

#include "core/runner/run_types.h"

namespace kvlab {

struct CommandLineOptions {
  std::optional<RunSettings> run;   // set when any run flag or --scenario was given: overrides QSettings
  bool autorun = false;             // run the page shown (--page) when the window is up
  bool quitWhenDone = false;        // exit after the run (and the exports) finish
  bool measureLag = false;          // print event-loop lag p50/p99 at exit
  bool presentation = false;        // start in presentation mode
  bool drawWhileTiming = false;     // turn quiet timing off (View: No drawing while a request is timed)
  QString exportReport;             // PDF written when the run finishes
  QString exportDir;                // every export (PNG, SVG, PDF, CSV) written there when the run finishes
  QString screenshot;               // PNG of the whole window when the run finishes
  int screenshotAfterRequests = 0;  // > 0: take the screenshot once this many requests are done instead
  QString page;                     // tab to show at start: live, workload, serving, fleet or tune ("" = Live)
  QString sweep;                    // Tune page: sweep this trace or scenario at start (exports when done)
  QString sweepSizes;               // Tune page sizes series for --sweep ("" = auto)
  double speed = 0;                 // Serving page arrival speed (0 = the page's default, 1)
};

struct CommandLineResult {
  CommandLineOptions options;
  QString error;         // non-empty: print it and exit with code 2
  bool exitNow = false;  // --help / --version were handled (text in `message`)
  QString message;
};

// args include the program name (QCoreApplication::arguments()).
CommandLineResult parseCommandLine(const QStringList& args);

}  // namespace kvlab
