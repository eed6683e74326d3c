// SPDX-License-Identifier: MIT
// kvlab-cli: headless runs, trace replay, sweeps, benchmarks. Replay-side commands never load LibTorch;
// run and verify are forwarded to the compute module (compute_bridge.h). The command line lives in
// cli_main.cpp so the CLI fuzzer can call it in-process.
#include "cli_main.h"

int main(int argc, char** argv) { return kvlab::runCli(argc, argv); }
