// SPDX-License-Identifier: MIT
#pragma once
// What this binary was built from, for the reproducibility fields of every run's output. The definitions
// are generated at build time by cmake/KvlabBuildInfo.cmake.
#include <string_view>

namespace kvlab {

// Short git commit of the source tree the binary was built from, "-dirty" appended when tracked files
// differed from it; "unknown" when built outside a git checkout.
std::string_view gitRevision();
// The project version from CMakeLists.txt (project(... VERSION x.y.z)).
std::string_view kvlabVersion();

}  // namespace kvlab
