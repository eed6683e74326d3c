// SPDX-License-Identifier: MIT
#include "core/trace/kvcache_sim_trace_reader.h"

#include <cmath>
#include <limits>

#include "core/trace/json_fields.h"
#include "core/trace/trace_format.h"

namespace kvlab {

namespace {

namespace dom = simdjson::dom;
using trace_json::jsonError;
using trace_json::readUnsigned;
using trace_json::shown;

// An array of unsigned integers below maxValue (and >= minValue) into out.
bool readArray(dom::element value, std::uint64_t minValue, std::uint64_t maxValue, std::vector<std::uint64_t>& out,
               std::string& message) {
  dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    message = "expected an array of unsigned integers, got " + shown(value);
    return false;
  }
  out.clear();
  for (const dom::element element : array) {
    std::uint64_t n = 0;
    if (element.get_uint64().get(n) != simdjson::SUCCESS || n < minValue || n > maxValue) {
      message = "expected an array of integers in [" + std::to_string(minValue) + ", " + std::to_string(maxValue) +
                "]; element " + std::to_string(out.size()) + " is " + shown(element);
      return false;
    }
    out.push_back(n);
  }
  return true;
}

}  // namespace

struct KvcacheSimTraceReader::Parser {
  dom::parser parser;
  std::vector<std::uint64_t> ids, tokens;
  std::string field, message;
};

bool KvcacheSimTraceReader::sniff(const TraceSniff& s) {
  return !s.isDirectory && s.firstLineIsObject && s.hasKey("hash_ids") && s.hasKey("block_size") &&
         !s.hasKey("chat_id");
}

KvcacheSimTraceReader::KvcacheSimTraceReader(const std::string& path, TraceReadOptions options)
    : TraceReader(path, "kvcache-simulator", options), m_lines(path), m_parser(std::make_unique<Parser>()) {
  m_info.blockSizeDeclared = true;
  m_info.blockSizeSource = "field 'block_size' of its first line";
  m_info.sourceIdsChained = false;
  TraceRequest first;
  if (readNext(first)) m_pending = std::move(first);
}

KvcacheSimTraceReader::~KvcacheSimTraceReader() = default;

bool KvcacheSimTraceReader::parse(std::string_view line, TraceRequest& out, std::uint64_t& blockSize,
                                  bool& hasTokens, std::string& field, std::string& message) {
  field.clear();
  dom::element doc;
  if (const auto error = m_parser->parser.parse(line.data(), line.size(), /*realloc_if_needed=*/false).get(doc)) {
    message = jsonError(error);
    return false;
  }
  dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    message = "expected one JSON object per line, got " + shown(doc);
    return false;
  }
  dom::element value;
  std::uint64_t number = 0;
  const auto required = [&](const char* key) {
    field = key;
    if (object.at_key(key).get(value) == simdjson::SUCCESS) return true;
    message = "is missing";
    return false;
  };
  if (!required("block_size")) return false;
  if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(), "an integer >= 1 (tokens per id)", blockSize,
                    message))
    return false;
  if (blockSize == 0) {
    message = "must be an integer >= 1 (tokens per id), got 0";
    return false;
  }
  if (!required("input_length")) return false;
  if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(), "a non-negative integer below 2^32 (tokens)",
                    number, message))
    return false;
  out.inputLength = std::uint32_t(number);
  out.outputLength = 0;
  field = "output_length";
  if (object.at_key("output_length").get(value) == simdjson::SUCCESS) {
    if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(), "a non-negative integer below 2^32 (tokens)",
                      number, message))
      return false;
    out.outputLength = std::uint32_t(number);
  }
  field = "timestamp";
  out.timestampMs = m_lastTimestampMs;  // no timestamp: arrives with the previous line
  if (object.at_key("timestamp").get(value) == simdjson::SUCCESS) {
    double ms = 0;
    if (!value.is_number() || value.get_double().get(ms) != simdjson::SUCCESS || !std::isfinite(ms) || ms < 0 ||
        ms > 9.2e18) {
      message = "must be a number of ms >= 0, got " + shown(value);
      return false;
    }
    out.timestampMs = std::int64_t(std::llround(ms));
  }
  if (!required("hash_ids")) return false;
  if (!readArray(value, 0, std::numeric_limits<std::uint64_t>::max(), m_parser->ids, message)) return false;
  field = "block_tokens";
  hasTokens = object.at_key("block_tokens").get(value) == simdjson::SUCCESS;
  m_parser->tokens.clear();
  if (hasTokens) {
    if (!readArray(value, 1, std::numeric_limits<std::uint32_t>::max(), m_parser->tokens, message)) return false;
    if (m_parser->tokens.size() != m_parser->ids.size()) {
      message = "has " + std::to_string(m_parser->tokens.size()) + " counts for " +
                std::to_string(m_parser->ids.size()) + " hash_ids (one per id)";
      return false;
    }
  }
  field.clear();
  return true;
}

bool KvcacheSimTraceReader::readNext(TraceRequest& out) {
  std::string_view line;
  Parser& p = *m_parser;
  while (true) {
    if (!nextContentLine(m_lines, m_info.path, line)) return false;
    std::uint64_t blockSize = 0;
    bool hasTokens = false;
    if (!parse(line, out, blockSize, hasTokens, p.field, p.message)) {
      reportBadLine(m_info.path, m_lines.lineNumber(), p.field, p.message);
      continue;
    }
    if (!m_haveFirst) {
      m_haveFirst = true;
      m_info.blockSize = std::uint32_t(blockSize);
      m_info.perBlockTokens = hasTokens;
    } else if (blockSize != m_info.blockSize) {
      reportBadLine(m_info.path, m_lines.lineNumber(), "block_size",
                    "is " + std::to_string(blockSize) + ", but the trace's first line declares " +
                        std::to_string(m_info.blockSize) + " (one block size per trace)");
      continue;
    } else if (hasTokens != m_info.perBlockTokens) {
      reportBadLine(m_info.path, m_lines.lineNumber(), "block_tokens",
                    hasTokens ? "is given, but not on the trace's first line (every line or none)"
                              : "is missing, but the trace's first line gives it (every line or none)");
      continue;
    }
    if (!acceptInTimeOrder(out.timestampMs, m_lastTimestampMs, m_lines.lineNumber())) continue;
    m_chainer.chain(p.ids, 0, out.hashIds);
    out.blockTokens.assign(p.tokens.begin(), p.tokens.end());
    out.chunkIds.clear();
    out.segments.clear();
    out.requestId = out.parentId = -1;
    out.session = out.model = out.requestType = kNoLabel;
    out.turn = 0;
    return true;
  }
}

bool KvcacheSimTraceReader::next(TraceRequest& out) {
  if (m_pending) {
    out = std::move(*m_pending);
    m_pending.reset();
    return true;
  }
  return readNext(out);
}

}  // namespace kvlab
