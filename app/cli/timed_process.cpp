// SPDX-License-Identifier: MIT
#include "timed_process.h"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace kvlab {

namespace {

// A temporary file for a child's output, removed when this goes out of scope.
class TempOutput {
public:
  TempOutput() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kvlab-bench-XXXXXX").string();
    m_fd = ::mkstemp(pattern.data());
    if (m_fd < 0)
      throw std::runtime_error(std::string("cannot create a temporary file: ") + std::strerror(errno));
    m_path = pattern;
  }
  ~TempOutput() {
    ::close(m_fd);
    std::remove(m_path.c_str());
  }
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;
  int fd() const { return m_fd; }
  std::string text() const {
    std::ifstream in(m_path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

private:
  int m_fd = -1;
  std::string m_path;
};

}  // namespace

TimedProcess runTimedProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::runtime_error("runTimedProcess: no program");
  TempOutput out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.fd(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fd(), STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const auto start = std::chrono::steady_clock::now();
  const int spawnError = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawnError != 0)
    throw std::runtime_error("cannot start '" + argv[0] + "': " + std::strerror(spawnError));
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("wait4 failed: ") + std::strerror(errno));
  }
  TimedProcess result;
  result.wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  result.cpuS = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  result.maxRssKiB = usage.ru_maxrss;  // KiB on Linux
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = out.text();
  result.errorText = err.text();
  return result;
}

std::string currentExecutablePath() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the running executable (/proc/self/exe): " + ec.message());
  return path.string();
}

}  // namespace kvlab
