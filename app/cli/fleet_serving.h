// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli fleet --serving: every replica a full serving engine (core/fleet/serving_fleet.h) with
// simulate's options; output as table, CSV or JSON, every time labelled "cost model". Torch-free.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/fleet/router.h"
#include "replay_options.h"

namespace kvlab {

// The serving options as typed (simulate's names); resolved by runFleetServing.
struct FleetServingText {
  bool serving = false;
  std::string poolBlocks;  // per replica
  std::string poolSize;    // per replica
  std::string hardware;    // "" = the default profile
  std::string tp = "1";    // devices per replica (tensor parallelism)
  std::string maxBatchedTokens = "8192";
  std::string maxRunning = "256";
  std::string speed = "1";
  bool noPrefixCache = false;
};

// What the fleet command parsed, for the serving path.
struct FleetServingRun {
  const ReplayOptionText* cache = nullptr;  // trace, block size, policy, model, skip-bad-lines
  long long replicas = 2;
  std::vector<std::string> routers;  // already expanded from "all" (shared-cache routers left out)
  RouterParams params;
  std::string format = "table";
  std::string out;
};

void addFleetServingOptions(CLI::App& command, FleetServingText& text);
// Throws InputError when a serving option is given on command without --serving, or a replay-only one
// (--max-tokens, --max-size, --ttl) with it.
void checkFleetServingFlags(const CLI::App& command, const FleetServingText& text);
// Runs the fleet of serving engines for every router and writes the output. Throws InputError for bad
// input (naming the flag, or the trace's file and line).
int runFleetServing(const FleetServingRun& run, const FleetServingText& text);

}  // namespace kvlab
