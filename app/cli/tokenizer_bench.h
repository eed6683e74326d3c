// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli bench --tokenizer PATH TEXTFILE: single-threaded encode and decode speed of a tokenizer.json on a
// text file (MB of UTF-8 text per second), load time included separately. Torch-free.
#include <string>

namespace kvlab {

// Prints the figures; `json` prints one JSON object instead. Returns the exit code. Throws InputError for an
// unreadable file or a tokenizer.json it cannot load.
int runTokenizerBench(const std::string& tokenizerPath, const std::string& textFile, double minSeconds, bool json);

}  // namespace kvlab
