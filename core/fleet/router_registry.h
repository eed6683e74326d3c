// SPDX-License-Identifier: MIT
#pragma once
// Every fleet router by name, as core/policies/policy_registry: adding a router = its file pair + one line
// in router_registry.cpp + rows in tests/engine/tst_fleet_routers.cpp.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/fleet/router.h"

namespace kvlab {

struct RouterInfo {
  std::string name;         // as typed on the command line: "kv-aware"
  std::string description;  // one line for --help, `kvlab-cli list` and tooltips
  std::unique_ptr<Router> (*create)(const RouterParams& params, std::size_t replicas);
  bool sharedCache = false;  // the fleet is one cache of N x capacity (the oracle-shared bound)
  bool needsSessions = false;  // reads TraceRequest::session (left out of "all" on traces without sessions)
};

// Whether a trace of this format carries session ids on its requests (ragpulse, qwen-bailian,
// kv-cache-tester).
bool formatCarriesSessions(std::string_view format);

// Every router, in display order.
const std::vector<RouterInfo>& routerRegistry();
// Finds deprecated names too (renamedRouter).
const RouterInfo* findRouter(std::string_view name);
// The current name of a deprecated router name ("session" -> "prefix-hash": it hashes prefix blocks, it
// never read a session id), or "" if name is not deprecated. Callers print a note and use the new name.
std::string_view renamedRouter(std::string_view name);
std::vector<std::string> routerNames();
// Throws std::invalid_argument naming the valid choices (or a bad parameter).
std::unique_ptr<Router> createRouter(std::string_view name, const RouterParams& params, std::size_t replicas);

}  // namespace kvlab
