// SPDX-License-Identifier: MIT
#include "core/util/input_error.h"

#include <cstdio>

namespace kvlab {

InputError::InputError(std::string file_, int64_t line_, std::string field_, std::string message_)
    : std::runtime_error(format(file_, line_, field_, message_)),
      file(std::move(file_)),
      line(line_),
      field(std::move(field_)),
      message(std::move(message_)) {}

InputError InputError::withLocation(std::string newFile, int64_t newLine) const {
  return InputError(std::move(newFile), newLine, field, message);
}

std::string InputError::format(const std::string& file, int64_t line, const std::string& field,
                               const std::string& message) {
  std::string out;
  if (!file.empty()) {
    out += file;
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, PR 105651) on char + std::string.
    if (line > 0) {
      out += ':';
      out += std::to_string(line);
    }
    out += ": ";
  } else if (line > 0) {
    out += "line ";
    out += std::to_string(line);
    out += ": ";
  }
  if (!field.empty()) {
    out += "field '";
    out += field;
    out += "': ";
  }
  out += message;
  return out;
}

std::string quoteForError(std::string_view value, size_t maxChars) {
  std::string out = "'";
  size_t shown = 0;
  for (unsigned char c : value) {
    if (shown >= maxChars) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
    ++shown;
  }
  out += "'";
  return out;
}

}  // namespace kvlab
