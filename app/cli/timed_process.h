// SPDX-License-Identifier: MIT
#pragma once
// Runs another program to completion and measures it from the outside, as /usr/bin/time -v does: wall
// time from spawn to exit, CPU time and peak resident memory from the kernel (wait4). `kvlab-cli bench`
// uses it to time whole processes (kvlab-cli replay itself, the Python reference) on equal terms.
#include <string>
#include <vector>

namespace kvlab {

struct TimedProcess {
  int exitCode = -1;      // the exit status, or 128 + signal number
  double wallS = 0;       // spawn to exit (includes exec and dynamic loading)
  double cpuS = 0;        // user + system CPU time of the process
  long maxRssKiB = 0;     // peak resident set size (ru_maxrss): at least the caller's RSS at the spawn
  std::string output;     // what it wrote to stdout
  std::string errorText;  // what it wrote to stderr
};

// Runs argv[0] (looked up in PATH when it has no '/') with the given arguments and waits for it. Throws
// std::runtime_error if it cannot be started.
TimedProcess runTimedProcess(const std::vector<std::string>& argv);

// The path of the running executable (/proc/self/exe).
std::string currentExecutablePath();

}  // namespace kvlab
