// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli's whole command line as a function, so the CLI-argument fuzzer (tests/fuzz/fuzz_cli_args.cpp)
// can drive it in-process. main.cpp only calls runCli().

namespace kvlab {

// Parses argv (argv[0] = program name) and runs the chosen subcommand. Returns the process exit code:
// 0 success, 1 runtime error, 2 bad input (parse error, InputError), 3 compute module missing. Never calls
// exit(): CLI11 help and parse errors are printed and turned into a return value. Messages go to
// stdout/stderr. `run` and `verify` are forwarded to the dlopen'ed compute module (LibTorch).
int runCli(int argc, char** argv);

}  // namespace kvlab
