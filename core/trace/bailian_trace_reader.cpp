// SPDX-License-Identifier: MIT
#include "core/trace/bailian_trace_reader.h"

#include <limits>

#include "core/trace/json_fields.h"
#include "core/trace/trace_format.h"

namespace kvlab {

namespace {

namespace dom = simdjson::dom;
using trace_json::jsonError;
using trace_json::readSecondsAsMs;
using trace_json::readUnsigned;
using trace_json::shown;

constexpr std::uint32_t kBlockTokens = 16;  // tokens per id in every published Qwen-Bailian trace

// A signed id (chat_id, parent_chat_id: -1 = none).
bool readId(dom::element value, std::int64_t& out, std::string& message) {
  if (value.get_int64().get(out) != simdjson::SUCCESS || out < -1) {
    message = "must be an integer >= -1, got " + shown(value);
    return false;
  }
  return true;
}

}  // namespace

struct BailianTraceReader::Parser {
  dom::parser parser;
  std::vector<std::uint64_t> rawIds;
  std::string field, message;
};

bool BailianTraceReader::sniff(const TraceSniff& s) {
  return !s.isDirectory && s.firstLineIsObject && s.hasKey("chat_id") && s.hasKey("hash_ids");
}

BailianTraceReader::BailianTraceReader(const std::string& path, TraceReadOptions options)
    : TraceReader(path, "qwen-bailian", options), m_lines(path), m_parser(std::make_unique<Parser>()) {
  m_info.blockSize = kBlockTokens;
  m_info.blockSizeDeclared = true;
  m_info.blockSizeSource = "the format: 16 tokens per hash id";
  m_info.sourceIdsChained = false;
  m_info.hasChunkIds = true;
}

BailianTraceReader::~BailianTraceReader() = default;

bool BailianTraceReader::parse(std::string_view line, TraceRequest& out, std::string& field,
                               std::string& message) {
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
  const auto get = [&](const char* key, bool required, dom::element& value) {
    if (object.at_key(key).get(value) == simdjson::SUCCESS) return true;
    if (required) {
      field = key;
      message = "is missing";
    }
    return false;
  };
  dom::element value;
  std::uint64_t number = 0;
  if (!get("chat_id", true, value)) return false;
  field = "chat_id";
  if (!readId(value, out.requestId, message)) return false;
  out.parentId = -1;
  if (get("parent_chat_id", false, value)) {
    field = "parent_chat_id";
    if (!readId(value, out.parentId, message)) return false;
  }
  if (!get("timestamp", true, value)) return false;
  field = "timestamp";
  if (!readSecondsAsMs(value, /*allowString=*/false, out.timestampMs, message)) return false;
  for (const auto& [key, target] : {std::pair{"input_length", &out.inputLength}, std::pair{"output_length", &out.outputLength}}) {
    if (!get(key, true, value)) return false;
    field = key;
    if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(), "a non-negative integer below 2^32 (tokens)",
                      number, message))
      return false;
    *target = std::uint32_t(number);
  }
  out.turn = 0;
  if (get("turn", false, value)) {
    field = "turn";
    if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(), "a non-negative integer", number, message))
      return false;
    out.turn = std::uint32_t(number);
  }
  out.requestType = kNoLabel;
  if (get("type", false, value)) {
    field = "type";
    std::string_view type;
    if (value.get_string().get(type) != simdjson::SUCCESS) {
      message = "must be a string (text, search, image, file), got " + shown(value);
      return false;
    }
    out.requestType = m_info.requestTypes.intern(type);
  }
  if (!get("hash_ids", true, value)) return false;
  field = "hash_ids";
  dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    message = "expected an array of unsigned integers, got " + shown(value);
    return false;
  }
  std::vector<std::uint64_t>& raw = m_parser->rawIds;
  raw.clear();
  for (const dom::element element : array) {
    std::uint64_t id = 0;
    if (element.get_uint64().get(id) != simdjson::SUCCESS) {
      message = "expected an array of unsigned integers; element " + std::to_string(raw.size()) + " is " +
                shown(element);
      return false;
    }
    raw.push_back(id);
  }
  field.clear();
  return true;
}

bool BailianTraceReader::next(TraceRequest& out) {
  std::string_view line;
  Parser& p = *m_parser;
  while (true) {
    if (!nextContentLine(m_lines, m_info.path, line)) return false;
    if (!parse(line, out, p.field, p.message)) {
      reportBadLine(m_info.path, m_lines.lineNumber(), p.field, p.message);
      continue;
    }
    if (!acceptInTimeOrder(out.timestampMs, m_lastTimestampMs, m_lines.lineNumber())) continue;
    // The session: the root of the parent chain.
    std::int64_t root = out.requestId;
    if (out.parentId >= 0) {
      const auto it = m_rootOf.find(out.parentId);
      root = it != m_rootOf.end() ? it->second : out.parentId;
    }
    m_rootOf[out.requestId] = root;
    out.session = m_info.sessions.intern(std::to_string(root));
    out.chunkIds = p.rawIds;
    m_chainer.chain(p.rawIds, 0, out.hashIds);
    out.blockTokens.clear();
    out.segments.clear();
    out.model = kNoLabel;
    return true;
  }
}

}  // namespace kvlab
