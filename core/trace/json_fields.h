// SPDX-License-Identifier: MIT
#pragma once
// Small helpers the JSON trace readers share to read a field and word what is wrong with it. Internal to
// core/trace .cpp files (it includes simdjson).
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "core/util/input_error.h"

namespace kvlab::trace_json {

namespace dom = simdjson::dom;

// A JSON value as it appears in the file, shortened and escaped for an error message.
inline std::string shown(dom::element value) { return quoteForError(simdjson::minify(value)); }

inline std::string jsonError(simdjson::error_code error) {
  if (error == simdjson::UTF8_ERROR) return "invalid UTF-8";
  if (error == simdjson::NUMBER_ERROR)  // e.g. an id of 2^64
    return "invalid JSON (a number is malformed or does not fit in 64 bits)";
  return std::string("invalid JSON (") + simdjson::error_message(error) + ")";
}

// An integer in [0, maxValue]; on failure sets message ("must be <what>, got <value>") and returns false.
inline bool readUnsigned(dom::element value, std::uint64_t maxValue, const char* what, std::uint64_t& out,
                         std::string& message) {
  if (value.get_uint64().get(out) != simdjson::SUCCESS || out > maxValue) {
    message = std::string("must be ") + what + ", got " + shown(value);
    return false;
  }
  return true;
}

// Seconds (a number >= 0, or with allowString a string holding one, as RAGPulse writes them) as whole ms,
// rounded to nearest. On failure sets message and returns false.
inline bool readSecondsAsMs(dom::element value, bool allowString, std::int64_t& outMs, std::string& message) {
  double seconds = 0;
  bool ok = false;
  if (value.is_number()) {
    ok = value.get_double().get(seconds) == simdjson::SUCCESS;
  } else if (allowString && value.is_string()) {
    std::string_view text;
    if (value.get_string().get(text) == simdjson::SUCCESS && !text.empty() && text.size() < 64) {
      const std::string copy(text);
      char* end = nullptr;
      seconds = std::strtod(copy.c_str(), &end);
      ok = end == copy.c_str() + copy.size() && (copy[0] == '.' || (copy[0] >= '0' && copy[0] <= '9'));
    }
  }
  if (!ok || !std::isfinite(seconds) || seconds < 0 || seconds > 9.2e15) {
    message = std::string("must be a number of seconds >= 0") + (allowString ? " (or a string holding one)" : "") +
              ", got " + shown(value);
    return false;
  }
  outMs = std::int64_t(std::llround(seconds * 1000.0));
  return true;
}

}  // namespace kvlab::trace_json
