// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kvlab {

// The one exception type for bad user input: scenario files, traces, command-line values.
// what() is a complete, user-facing sentence built from the parts, e.g.
//   "scenarios/rag.json: field 'rag.documents': must be an integer in [1, 10000], got -3"
//   "trace.jsonl:17: field 'hash_ids': expected an array of unsigned integers"
//   "field 'max-size': expected a size like 512MiB or 1.5GB, got 'abc'"   (no file: command line)
// The parts stay available for callers that want to highlight a line or a form field.
class InputError : public std::runtime_error {
public:
  // file: path as the user gave it ("" = not from a file); line: 1-based line number (0 = n/a);
  // field: dotted field path ("rag.documents", "hash_ids", "cache.max_size"; "" = whole input);
  // message: what is wrong, without the location prefix.
  InputError(std::string file, int64_t line, std::string field, std::string message);

  // Same error with the file (and line) filled in; used when a parser without file context
  // (parseSize, parseTraceLine) reports to a caller that knows the file.
  InputError withLocation(std::string file, int64_t line) const;

  std::string file;
  int64_t line = 0;
  std::string field;
  std::string message;

  static std::string format(const std::string& file, int64_t line, const std::string& field,
                            const std::string& message);
};

// Quotes a value for an error message: at most maxChars bytes, non-printable bytes as \xNN,
// so binary garbage never reaches a terminal or a QMessageBox raw.
std::string quoteForError(std::string_view value, size_t maxChars = 40);

}  // namespace kvlab
