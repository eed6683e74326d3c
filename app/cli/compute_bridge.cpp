// SPDX-License-Identifier: MIT
#include "compute_bridge.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>

// Set by app/cli/CMakeLists.txt from the install layout; the default is the usual one (other targets that
// compile this file, e.g. the CLI fuzzer, do not install anything).
#ifndef KVLAB_MODULE_DIR_FROM_BINDIR
#define KVLAB_MODULE_DIR_FROM_BINDIR "../lib/kvlab"
#endif

namespace kvlab {

namespace {
// KVLAB_COMPUTE_MODULE overrides; else next to the executable (build tree), then the installed module
// directory relative to the executable's (KVLAB_MODULE_DIR_FROM_BINDIR, e.g. ../lib/kvlab).
std::vector<std::filesystem::path> candidates() {
  std::vector<std::filesystem::path> paths;
  if (const char* env = std::getenv("KVLAB_COMPUTE_MODULE")) paths.emplace_back(env);
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    paths.push_back(exe.parent_path() / kComputeModuleFile);
    paths.push_back(exe.parent_path() / KVLAB_MODULE_DIR_FROM_BINDIR / kComputeModuleFile);
  }
  return paths;
}

void* openModule(std::string* error) {
  for (const auto& path : candidates()) {
    if (!std::filesystem::exists(path)) continue;
    if (void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    if (error) *error = std::string(path) + ": " + ::dlerror();
    return nullptr;
  }
  if (error) *error = "kvlab_compute_module.so not found next to kvlab-cli (built with -DKVLAB_COMPUTE=OFF?)";
  return nullptr;
}
}  // namespace

bool computeModuleAvailable() {
  for (const auto& path : candidates())
    if (std::filesystem::exists(path)) return true;
  return false;
}

int runComputeCommand(const std::vector<std::string>& args) {
  std::string error;
  void* handle = openModule(&error);
  if (!handle) {
    std::fprintf(stderr, "kvlab-cli: cannot load the compute module: %s\n", error.c_str());
    return 3;
  }
  auto main = reinterpret_cast<ComputeMainFn>(::dlsym(handle, kComputeMainSymbol));
  if (!main) {
    std::fprintf(stderr, "kvlab-cli: compute module lacks %s\n", kComputeMainSymbol);
    return 3;
  }
  std::vector<std::string> storage = args;
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The module stays loaded until exit: LibTorch does not support being unloaded.
  return main(int(storage.size()), argv.data());
}

int runComputeCommandCapturing(const std::vector<std::string>& args, std::string& stdoutText) {
  // The module writes with printf and std::cout: point file descriptor 1 at an unnamed temporary file for
  // the call, then read it back. Both stdio buffers are flushed around the swap so nothing crosses over.
  std::FILE* capture = std::tmpfile();
  if (!capture) throw std::runtime_error("cannot create a temporary file to collect the compute output");
  std::fflush(stdout);
  std::cout.flush();
  const int saved = ::dup(STDOUT_FILENO);
  if (saved < 0 || ::dup2(::fileno(capture), STDOUT_FILENO) < 0) {
    std::fclose(capture);
    throw std::runtime_error("cannot redirect stdout to collect the compute output");
  }
  int code = 3;
  try {
    code = runComputeCommand(args);
  } catch (...) {
    std::fflush(stdout);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    std::fclose(capture);
    throw;
  }
  std::fflush(stdout);
  std::cout.flush();
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  stdoutText.clear();
  std::rewind(capture);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, capture)) > 0;) stdoutText.append(buffer, n);
  std::fclose(capture);
  return code;
}

}  // namespace kvlab
