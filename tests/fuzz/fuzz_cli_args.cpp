// SPDX-License-Identifier: MIT
// libFuzzer target: kvlab-cli's argument handling (runCli), in-process. The input is argv without
// argv[0], tokens separated by NUL bytes. Only the torch-free commands run (replay, sweep, bench, list);
// inputs that would leave the sandbox are dropped:
//  - `run` / `verify` (they dlopen LibTorch; this build has no compute module anyway);
//  - any token containing '/' (only the fixture files in the temp working directory are reachable, so
//    no /dev/zero or /dev/stdin that would read forever) or "--events" (the one flag that writes);
//  - "--seconds" (bench's repeat time: the fuzzer appends `--seconds 0` itself) and "--threads".
// Invariants: never crashes, never calls exit(); the exit code is one of 0 (done), 1, 2 (bad input), 3.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli_main.h"

namespace {

constexpr size_t kMaxTokens = 24;
std::string g_workDir;  // removed at exit
constexpr size_t kMaxTokenBytes = 256;

void writeFixture(const std::string& name, const std::string& text) {
  std::ofstream out(name, std::ios::binary);
  out << text;
}

}  // namespace

// Creates a private working directory with a tiny good trace (t.jsonl), one with a bad line (bad.jsonl),
// an empty one (empty.jsonl) and a directory (dir), and moves into it.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/kvlab-fuzz-cli-XXXXXX";
  if (!::mkdtemp(dir) || ::chdir(dir) != 0) {
    std::perror("fuzz_cli_args: temp dir");
    std::abort();
  }
  g_workDir = dir;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_workDir, ec);
  });
  writeFixture("t.jsonl",
               "{\"timestamp\": 0, \"input_length\": 1000, \"output_length\": 5, \"hash_ids\": [1, 2]}\n"
               "{\"timestamp\": 5, \"input_length\": 1500, \"output_length\": 5, \"hash_ids\": [1, 2, 3]}\n"
               "{\"timestamp\": 9, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [4, 5]}\n");
  writeFixture("bad.jsonl",
               "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 5, \"hash_ids\": [1]}\n"
               "{\"timestamp\": -1, \"input_length\": 10}\n");
  writeFixture("empty.jsonl", "");
  std::filesystem::create_directory("dir");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> tokens;
  tokens.emplace_back("kvlab-cli");
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    const size_t nul = rest.find('\0');
    const std::string_view token = rest.substr(0, nul);
    if (token.size() > kMaxTokenBytes || tokens.size() > kMaxTokens) return -1;
    if (token.find('/') != std::string_view::npos || token.find("--events") != std::string_view::npos ||
        token.find("--seconds") != std::string_view::npos ||
        token.find("--threads") != std::string_view::npos)
      return -1;  // reject: not added to the corpus
    tokens.emplace_back(token);
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  if (tokens.size() >= 2 && (tokens[1] == "run" || tokens[1] == "verify")) return -1;
  if (tokens.size() >= 2 && tokens[1] == "bench") {
    tokens.emplace_back("--seconds");
    tokens.emplace_back("0");
  }
  std::vector<char*> argv;
  for (std::string& t : tokens) argv.push_back(t.data());
  argv.push_back(nullptr);
  const int code = kvlab::runCli(static_cast<int>(tokens.size()), argv.data());
  if (code < 0 || code > 3) std::abort();
  return 0;
}
