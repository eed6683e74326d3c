// SPDX-License-Identifier: MIT
#include "scenario_dir.h"

#include <cstdlib>
#include <filesystem>

namespace kvlab {

std::string cliScenarioDir() {
  if (const char* env = std::getenv("KVLAB_SCENARIO_DIR")) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path() / ".." / "share" / "kvlab" / "scenarios";
    if (std::filesystem::is_directory(installed, ec)) return installed.lexically_normal().string();
  }
  return KVLAB_SOURCE_SCENARIO_DIR;
}

}  // namespace kvlab
