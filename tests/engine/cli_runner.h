// SPDX-License-Identifier: MIT
#pragma once
// Runs this build's kvlab-cli (KVLAB_CLI_PATH, a compile definition of the suites that use it) and keeps
// its exit code and both streams: the one runner of the CLI suites.
#include <QProcess>
#include <QString>
#include <QStringList>

#ifndef KVLAB_CLI_PATH
#error "cli_runner.h needs KVLAB_CLI_PATH (tests/engine/CMakeLists.txt sets it for the CLI suites)"
#endif

namespace kvlab::test {

struct CliResult {
  int code = -1;  // -1: crashed or did not finish
  QByteArray out;
  QString err;
};

inline CliResult runCli(const QStringList& args, int timeoutMs = 300000) {
  QProcess p;
  p.start(QStringLiteral(KVLAB_CLI_PATH), args);
  CliResult r;
  if (!p.waitForStarted(10000) || !p.waitForFinished(timeoutMs)) {
    p.kill();
    p.waitForFinished();
    r.err = QStringLiteral("did not finish: ") + args.join(' ');
    return r;
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = p.readAllStandardOutput();
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

}  // namespace kvlab::test
