// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli bench --tokenizer PATH TEXTFILE: single-threaded encode and decode speed of a tokenizer.json on a
// text file (MB of UTF-8 text per second), load time included separately. Torch-free.
#include <nlohmann/json.hpp>
#include <string>

namespace kvlab {

// Returns the figures (bench's "tokenizer" object) and prints them as a table when `table`. Throws InputError
// for an unreadable file or a tokenizer.json it cannot load.
nlohmann::ordered_json runTokenizerBench(const std::string& tokenizerPath, const std::string& textFile,
                                         double minSeconds, bool table);

}  // namespace kvlab
