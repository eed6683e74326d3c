// SPDX-License-Identifier: MIT
// libFuzzer target: one Mooncake trace line (parseTraceLine). Invariants: never crashes; on failure the
// message is non-empty and the field, if any, is one of the four known keys; and the reader agrees with a
// plain simdjson DOM reading of the format's rules (mooncake_trace.h) — accept/reject and every value —
// which checks the reader's hand-written fast path for canonical lines against the validating parse.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "core/trace/mooncake_trace_reader.h"

namespace {

namespace dom = simdjson::dom;

// The reference reading: strict, slow, obviously right.
bool referenceParse(std::string_view line, kvlab::TraceRequest& out) {
  static dom::parser parser;
  dom::element doc;
  if (parser.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS) return false;
  dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return false;
  int seen[4] = {0, 0, 0, 0};
  out.hashIds.clear();
  for (const dom::key_value_pair field : object) {
    uint64_t number = 0;
    if (field.key == "timestamp") {
      if (++seen[0] > 1 || field.value.get_uint64().get(number) != simdjson::SUCCESS ||
          number > uint64_t(std::numeric_limits<int64_t>::max()))
        return false;
      out.timestampMs = int64_t(number);
    } else if (field.key == "input_length" || field.key == "output_length") {
      const bool input = field.key == "input_length";
      if (++seen[input ? 1 : 2] > 1 || field.value.get_uint64().get(number) != simdjson::SUCCESS ||
          number > std::numeric_limits<uint32_t>::max())
        return false;
      (input ? out.inputLength : out.outputLength) = uint32_t(number);
    } else if (field.key == "hash_ids") {
      dom::array array;
      if (++seen[3] > 1 || field.value.get_array().get(array) != simdjson::SUCCESS) return false;
      for (const dom::element e : array) {
        if (e.get_uint64().get(number) != simdjson::SUCCESS) return false;
        out.hashIds.push_back(number);
      }
    }
  }
  return seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  kvlab::TraceRequest request;
  std::string field;
  std::string message;
  const bool ok = kvlab::parseTraceLine(line, request, field, message);
  kvlab::TraceRequest expected;
  const bool expectedOk = referenceParse(line, expected);
  if (ok != expectedOk) std::abort();
  if (ok) {
    if (request.timestampMs != expected.timestampMs || request.inputLength != expected.inputLength ||
        request.outputLength != expected.outputLength || request.hashIds != expected.hashIds)
      std::abort();
    return 0;
  }
  if (message.empty()) std::abort();
  if (!field.empty() && field != "timestamp" && field != "input_length" && field != "output_length" &&
      field != "hash_ids")
    std::abort();
  return 0;
}
