// SPDX-License-Identifier: MIT
#include "core/workload/mooncake_trace.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/util/input_error.h"

namespace kvlab {

namespace {

namespace dom = simdjson::dom;

constexpr size_t kChunkBytes = 4u << 20;  // read size; the buffer starts at this and grows for long lines
constexpr size_t kMaxSkipReasons = 10;

constexpr uint32_t kHaveTimestamp = 1;
constexpr uint32_t kHaveInput = 2;
constexpr uint32_t kHaveOutput = 4;
constexpr uint32_t kHaveHashIds = 8;

bool isBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::string shown(dom::element value) { return quoteForError(simdjson::minify(value)); }

std::string jsonError(simdjson::error_code error) {
  if (error == simdjson::UTF8_ERROR) return "invalid UTF-8";
  if (error == simdjson::NUMBER_ERROR)  // e.g. an id of 2^64
    return "invalid JSON (a number is malformed or does not fit in 64 bits)";
  return std::string("invalid JSON (") + simdjson::error_message(error) + ")";
}

// Reads an integer in [0, maxValue]; on failure sets the message and returns false.
bool readUnsigned(dom::element value, uint64_t maxValue, const char* what, uint64_t& out,
                  std::string& message) {
  if (value.get_uint64().get(out) != simdjson::SUCCESS || out > maxValue) {
    message = std::string("must be ") + what + ", got " + shown(value);
    return false;
  }
  return true;
}

// Fast path for the shape every real trace line has: one flat object holding the four known keys once
// each, non-negative integers, an integer array, plain ASCII. It accepts only lines that are valid JSON
// with valid values; anything else (escapes, other keys, floats, signs, leading zeros, 20-digit numbers,
// duplicates, missing keys) returns false and the validating DOM parse below decides and words the error.
// About 4x faster than the DOM parse on the published traces.
bool parseCanonical(std::string_view text, TraceRequest& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  const auto skipSpace = [&] {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
  };
  const auto readNumber = [&](uint64_t& value) {
    if (p >= end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9'))
      return false;
    const char* const start = p;
    value = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      if (p - start == 19) return false;  // might overflow: let the DOM parse judge
      value = value * 10 + uint64_t(*p - '0');
      ++p;
    }
    return true;
  };
  const auto readKey = [&](std::string_view key) {
    if (size_t(end - p) < key.size() + 1 || std::string_view(p, key.size()) != key || p[key.size()] != '"')
      return false;
    p += key.size() + 1;
    return true;
  };
  out.hashIds.clear();
  skipSpace();
  if (p >= end || *p++ != '{') return false;
  uint32_t seen = 0;
  while (true) {
    skipSpace();
    if (p >= end || *p++ != '"') return false;
    uint32_t bit = 0;
    if (readKey("timestamp"))
      bit = kHaveTimestamp;
    else if (readKey("input_length"))
      bit = kHaveInput;
    else if (readKey("output_length"))
      bit = kHaveOutput;
    else if (readKey("hash_ids"))
      bit = kHaveHashIds;
    if (bit == 0 || (seen & bit)) return false;
    seen |= bit;
    skipSpace();
    if (p >= end || *p++ != ':') return false;
    skipSpace();
    uint64_t number = 0;
    if (bit == kHaveHashIds) {
      if (p >= end || *p++ != '[') return false;
      skipSpace();
      if (p < end && *p == ']') {
        ++p;
      } else {
        while (true) {
          skipSpace();
          if (!readNumber(number)) return false;
          out.hashIds.push_back(number);
          skipSpace();
          if (p < end && *p == ',') {
            ++p;
            continue;
          }
          if (p < end && *p == ']') {
            ++p;
            break;
          }
          return false;
        }
      }
    } else {
      if (!readNumber(number)) return false;
      if (bit == kHaveTimestamp) {
        if (number > uint64_t(std::numeric_limits<int64_t>::max())) return false;
        out.timestampMs = int64_t(number);
      } else {
        if (number > std::numeric_limits<uint32_t>::max()) return false;
        (bit == kHaveInput ? out.inputLength : out.outputLength) = uint32_t(number);
      }
    }
    skipSpace();
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    if (p < end && *p == '}') {
      ++p;
      break;
    }
    return false;
  }
  skipSpace();
  return p == end && seen == (kHaveTimestamp | kHaveInput | kHaveOutput | kHaveHashIds);
}

// The whole per-line parse with the DOM API: it validates the complete line (UTF-8, structure,
// trailing content) and dispatches at run time to the best SIMD kernel of the CPU, whatever flags
// this file was compiled with. `text` must have SIMDJSON_PADDING readable bytes after its end.
bool parsePadded(dom::parser& parser, std::string_view text, TraceRequest& out, std::string& errorField,
                 std::string& errorMessage) {
  errorField.clear();
  errorMessage.clear();
  if (parseCanonical(text, out)) return true;
  out.hashIds.clear();
  dom::element doc;
  if (const auto error = parser.parse(text.data(), text.size(), /*realloc_if_needed=*/false).get(doc)) {
    errorMessage = jsonError(error);
    return false;
  }
  dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    errorMessage = "expected one JSON object per line, got " + shown(doc);
    return false;
  }
  uint32_t seen = 0;
  for (const dom::key_value_pair field : object) {
    const std::string_view key = field.key;
    uint32_t bit = 0;
    if (key == "timestamp")
      bit = kHaveTimestamp;
    else if (key == "input_length")
      bit = kHaveInput;
    else if (key == "output_length")
      bit = kHaveOutput;
    else if (key == "hash_ids")
      bit = kHaveHashIds;
    else
      continue;  // extra fields are ignored
    errorField.assign(key);
    if (seen & bit) {
      errorMessage = "appears twice";
      return false;
    }
    seen |= bit;
    uint64_t number = 0;
    switch (bit) {
      case kHaveTimestamp:
        if (!readUnsigned(field.value, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                          "a non-negative integer (ms)", number, errorMessage))
          return false;
        out.timestampMs = static_cast<int64_t>(number);
        break;
      case kHaveInput:
      case kHaveOutput:
        if (!readUnsigned(field.value, std::numeric_limits<uint32_t>::max(),
                          "a non-negative integer below 2^32 (tokens)", number, errorMessage))
          return false;
        (bit == kHaveInput ? out.inputLength : out.outputLength) = static_cast<uint32_t>(number);
        break;
      case kHaveHashIds: {
        dom::array array;
        if (field.value.get_array().get(array) != simdjson::SUCCESS) {
          errorMessage = "expected an array of unsigned integers, got " + shown(field.value);
          return false;
        }
        out.hashIds.reserve(array.size());
        for (const dom::element element : array) {
          uint64_t id = 0;
          if (element.get_uint64().get(id) != simdjson::SUCCESS) {
            errorMessage = "expected an array of unsigned integers; element " +
                           std::to_string(out.hashIds.size()) + " is " + shown(element);
            return false;
          }
          out.hashIds.push_back(id);
        }
        break;
      }
    }
  }
  errorField.clear();
  static constexpr std::pair<uint32_t, const char*> kRequired[] = {
      {kHaveTimestamp, "timestamp"},
      {kHaveInput, "input_length"},
      {kHaveOutput, "output_length"},
      {kHaveHashIds, "hash_ids"},
  };
  for (const auto& [bit, name] : kRequired) {
    if (!(seen & bit)) {
      errorField = name;
      errorMessage = "is missing";
      return false;
    }
  }
  return true;
}

}  // namespace

struct MooncakeTraceReader::Parser {
  dom::parser parser;
  std::string errorField;
  std::string errorMessage;
};

bool parseTraceLine(std::string_view line, TraceRequest& out, std::string& errorField,
                    std::string& errorMessage) {
  if (line.size() > kMaxTraceLineBytes) {
    errorField.clear();
    errorMessage = "line is longer than 64 MiB";
    return false;
  }
  thread_local dom::parser parser;
  thread_local std::string padded;
  padded.assign(line);
  padded.resize(line.size() + simdjson::SIMDJSON_PADDING, ' ');
  return parsePadded(parser, std::string_view(padded.data(), line.size()), out, errorField, errorMessage);
}

MooncakeTraceReader::MooncakeTraceReader(const std::string& path, TraceReadOptions options)
    : m_path(path), m_options(options), m_parser(std::make_unique<Parser>()) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, 0, "", "is a directory, not a trace file");
  m_file = std::fopen(path.c_str(), "rb");
  if (!m_file) throw InputError(path, 0, "", std::string("cannot open: ") + std::strerror(errno));
  const auto size = std::filesystem::file_size(path, ec);
  m_fileSize = ec ? 0 : static_cast<uint64_t>(size);
  m_capacity = kChunkBytes;
  m_buffer = std::make_unique_for_overwrite<char[]>(m_capacity + simdjson::SIMDJSON_PADDING);
}

MooncakeTraceReader::~MooncakeTraceReader() {
  if (m_file) std::fclose(m_file);
}

// Appends up to the free space (after compacting, growing if a line fills the whole buffer).
// Returns false once the file is exhausted and nothing was added.
bool MooncakeTraceReader::fillBuffer() {
  if (m_eof) return false;
  if (m_begin > 0) {
    std::memmove(m_buffer.get(), m_buffer.get() + m_begin, m_end - m_begin);
    m_end -= m_begin;
    m_scanFrom -= m_begin;
    m_begin = 0;
  }
  if (m_end == m_capacity) {
    const size_t grown = std::min<size_t>(m_capacity * 2, kMaxTraceLineBytes + kChunkBytes);
    auto buffer = std::make_unique_for_overwrite<char[]>(grown + simdjson::SIMDJSON_PADDING);
    std::memcpy(buffer.get(), m_buffer.get(), m_end);
    m_buffer = std::move(buffer);
    m_capacity = grown;
  }
  const size_t got = std::fread(m_buffer.get() + m_end, 1, m_capacity - m_end, m_file);
  if (got == 0) {
    if (std::ferror(m_file))
      throw InputError(m_path, static_cast<int64_t>(m_lineNumber), "",
                       std::string("read error: ") + std::strerror(errno));
    m_eof = true;
    return false;
  }
  m_end += got;
  return true;
}

// Drops the rest of an over-long line, reading until after its newline (or EOF).
void MooncakeTraceReader::discardRestOfLine() {
  while (true) {
    const char* start = m_buffer.get() + m_scanFrom;
    const void* nl = std::memchr(start, '\n', m_end - m_scanFrom);
    if (nl) {
      const size_t next = static_cast<size_t>(static_cast<const char*>(nl) - m_buffer.get()) + 1;
      m_bytesConsumed += next - m_begin;
      m_begin = m_scanFrom = next;
      return;
    }
    m_bytesConsumed += m_end - m_begin;
    m_begin = m_scanFrom = m_end;
    if (!fillBuffer()) return;
  }
}

// Next raw line without its '\n'. The view stays valid until the next call; at least
// SIMDJSON_PADDING readable bytes follow it.
bool MooncakeTraceReader::nextLine(std::string_view& line) {
  while (true) {
    const char* start = m_buffer.get() + m_scanFrom;
    const void* nl = std::memchr(start, '\n', m_end - m_scanFrom);
    if (nl) {
      const size_t lineEnd = static_cast<size_t>(static_cast<const char*>(nl) - m_buffer.get());
      ++m_lineNumber;
      if (lineEnd - m_begin > kMaxTraceLineBytes) {
        m_scanFrom = lineEnd;
        discardRestOfLine();
        reportBadLine("", "line is longer than 64 MiB");
        continue;
      }
      line = std::string_view(m_buffer.get() + m_begin, lineEnd - m_begin);
      m_bytesConsumed += lineEnd + 1 - m_begin;
      m_begin = m_scanFrom = lineEnd + 1;
      return true;
    }
    m_scanFrom = m_end;
    if (m_end - m_begin > kMaxTraceLineBytes) {
      ++m_lineNumber;
      discardRestOfLine();
      reportBadLine("", "line is longer than 64 MiB");
      continue;
    }
    if (!fillBuffer()) {
      if (m_begin == m_end) return false;
      ++m_lineNumber;  // last line without a newline
      line = std::string_view(m_buffer.get() + m_begin, m_end - m_begin);
      m_bytesConsumed += m_end - m_begin;
      m_begin = m_scanFrom = m_end;
      return true;
    }
  }
}

void MooncakeTraceReader::reportBadLine(const std::string& field, const std::string& message) {
  InputError error(m_path, static_cast<int64_t>(m_lineNumber), field, message);
  if (!m_options.skipBadLines) throw error;
  ++m_skippedLines;
  if (m_firstSkipReasons.size() < kMaxSkipReasons) m_firstSkipReasons.emplace_back(error.what());
}

bool MooncakeTraceReader::next(TraceRequest& out) {
  std::string_view line;
  while (nextLine(line)) {
    if (m_lineNumber == 1 && line.substr(0, 3) == "\xEF\xBB\xBF")
      line.remove_prefix(3);  // UTF-8 byte order mark
    if (isBlank(line)) continue;
    // The line lies inside m_buffer, which has SIMDJSON_PADDING spare bytes past m_capacity.
    Parser& p = *m_parser;
    if (!parsePadded(p.parser, line, out, p.errorField, p.errorMessage)) {
      reportBadLine(p.errorField, p.errorMessage);
      continue;
    }
    if (out.timestampMs < m_lastTimestampMs) {
      reportBadLine("timestamp",
                    "is " + std::to_string(out.timestampMs) + " ms, earlier than the previous request's " +
                        std::to_string(m_lastTimestampMs) + " ms; traces must be sorted by timestamp");
      continue;
    }
    m_lastTimestampMs = out.timestampMs;
    return true;
  }
  return false;
}

std::vector<TraceRequest> readWholeTrace(const std::string& path, TraceReadOptions options) {
  MooncakeTraceReader reader(path, options);
  std::vector<TraceRequest> requests;
  TraceRequest request;
  while (reader.next(request)) requests.push_back(request);
  return requests;
}

}  // namespace kvlab
