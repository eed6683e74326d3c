// SPDX-License-Identifier: MIT
#pragma once
// SHA-256 fingerprints of input files, for the reproducibility fields of a run's output.
#include <string>
#include <string_view>

namespace kvlab {

// Lower-case hex SHA-256 of bytes (64 characters).
std::string sha256Hex(std::string_view bytes);
// Lower-case hex SHA-256 of the file's bytes, read in chunks (any size). Throws InputError(path) if it
// cannot be read.
std::string sha256HexOfFile(const std::string& path);

}  // namespace kvlab
