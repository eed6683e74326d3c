// SPDX-License-Identifier: MIT
#include "cli_main.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "compute_bridge.h"
#include "core/util/input_error.h"
#include "fleet_command.h"
#include "list_command.h"
#include "model_command.h"
#include "remote_command.h"
#include "replay_commands.h"
#include "simulate_command.h"

namespace kvlab {

int runCli(int argc, char** argv) {
  // Compute commands parse their own flags inside the module.
  if (argc >= 2 && (std::strcmp(argv[1], "run") == 0 || std::strcmp(argv[1], "verify") == 0)) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return runComputeCommand(args);
  }

  // CLI11 words an unknown command as "A subcommand is required"; name it instead.
  static constexpr const char* kCommands[] = {"replay", "sweep",    "bench", "list",
                                              "model",  "simulate", "fleet", "remote"};
  if (argc >= 2 && argv[1][0] != '-' &&
      std::none_of(std::begin(kCommands), std::end(kCommands),
                   [&](const char* c) { return std::strcmp(argv[1], c) == 0; })) {
    std::fprintf(stderr,
                 "kvlab-cli: unknown command %s (commands: replay, sweep, simulate, fleet, bench, list, "
                 "model, remote, run, verify; see --help)\n",
                 quoteForError(argv[1]).c_str());
    return 2;
  }

  CLI::App app{"KV Cache Lab command line: see how an LLM's KV cache behaves, and tune it.\n"};
  app.footer(
      "Commands that compute (they load LibTorch):\n"
      "  run SCENARIO|FILE   run a scenario with real tensors, cached vs uncached (run --help)\n"
      "  verify              check cached-prefix prefill equals full prefill (verify --help)\n\n"
      "Start with:  kvlab-cli list   then   kvlab-cli run repeated-prefix");
  app.require_subcommand(1);
  std::vector<CommandAction> actions = {addReplayCommand(app), addSweepCommand(app), addBenchCommand(app),
                                        addListCommand(app),   addModelCommand(app), addSimulateCommand(app),
                                        addFleetCommand(app),  addRemoteCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message; returns a code, never calls std::exit
    return 2;
  }
  try {
    for (const auto& action : actions)
      if (const int code = action(); code >= 0) return code;
    return 0;
  } catch (const InputError& e) {
    std::fprintf(stderr, "kvlab-cli: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvlab-cli: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace kvlab
