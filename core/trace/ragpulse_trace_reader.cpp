// SPDX-License-Identifier: MIT
#include "core/trace/ragpulse_trace_reader.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <filesystem>
#include <limits>

#include "core/trace/block_chainer.h"
#include "core/trace/json_fields.h"
#include "core/trace/line_reader.h"
#include "core/trace/trace_format.h"

namespace kvlab {

namespace {

namespace dom = simdjson::dom;
namespace fs = std::filesystem;
using trace_json::jsonError;
using trace_json::readSecondsAsMs;
using trace_json::readUnsigned;
using trace_json::shown;

constexpr const char* kTraceFile = "0_trace.jsonl";
constexpr std::uint32_t kChunkSlotTokens = 512;  // the largest chunk; one key per chunk

struct Chunk {
  std::uint32_t tokens = 0;
};

// A side file "<1..5>_<kind>.jsonl": the one "<something>_id" key and token_length of each line.
bool isSideFile(const std::string& name) {
  return name.size() > 8 && name[0] >= '1' && name[0] <= '5' && name[1] == '_' &&
         name.compare(name.size() - 6, 6, ".jsonl") == 0;
}

}  // namespace

const std::vector<std::string>& RagpulseTraceReader::segmentOrder() {
  static const std::vector<std::string> kOrder = {"sys_prompt", "passages_ids", "history", "web_search",
                                                  "user_input"};
  return kOrder;
}

bool RagpulseTraceReader::sniff(const TraceSniff& s) {
  if (s.isDirectory) return std::find(s.entries.begin(), s.entries.end(), kTraceFile) != s.entries.end();
  return s.firstLineIsObject && s.hashIdsType == "object";
}

RagpulseTraceReader::RagpulseTraceReader(const std::string& path, TraceReadOptions options)
    : TraceReader(path, "ragpulse", options) {
  std::error_code ec;
  const fs::path dir = fs::is_directory(path, ec) ? fs::path(path) : fs::path(path).parent_path();
  m_info.blockSize = kChunkSlotTokens;
  m_info.blockSizeDeclared = true;
  m_info.blockSizeSource = "the format: one key per chunk of at most 512 tokens";
  m_info.sourceIdsChained = false;
  m_info.perBlockTokens = true;
  m_info.hasChunkIds = true;
  for (const std::string& name : segmentOrder()) m_info.segments.intern(name);

  dom::parser parser;
  // Side files: chunk id -> token length.
  absl::flat_hash_map<std::uint64_t, Chunk> chunks;
  std::vector<std::string> sideFiles;
  for (const auto& entry : fs::directory_iterator(dir.empty() ? fs::path(".") : dir, ec))
    if (entry.is_regular_file(ec) && isSideFile(entry.path().filename().string()))
      sideFiles.push_back(entry.path().string());
  std::sort(sideFiles.begin(), sideFiles.end());
  if (sideFiles.empty())
    throw InputError((dir / kTraceFile).string(), 0, "",
                     "has no side files (1_sys_prompt.jsonl ... 5_web_search.jsonl) beside it: the chunks' "
                     "token lengths are in them");
  for (const std::string& file : sideFiles) {
    LineReader lines(file);
    m_bytes += lines.fileSize();
    std::string_view line;
    while (nextContentLine(lines, file, line)) {
      dom::element doc;
      dom::object object;
      if (const auto error = parser.parse(line.data(), line.size(), false).get(doc)) {
        reportBadLine(file, lines.lineNumber(), "", jsonError(error));
        continue;
      }
      if (doc.get_object().get(object) != simdjson::SUCCESS) {
        reportBadLine(file, lines.lineNumber(), "", "expected one JSON object per line, got " + shown(doc));
        continue;
      }
      std::string idField, message;
      std::uint64_t id = 0, tokens = 0;
      bool haveId = false, haveTokens = false, ok = true;
      for (const dom::key_value_pair field : object) {
        if (field.key == "token_length") {
          haveTokens = true;
          if (!readUnsigned(field.value, kChunkSlotTokens, "an integer in [1, 512] (tokens)", tokens, message) ||
              tokens == 0) {
            if (message.empty()) message = "must be an integer in [1, 512] (tokens), got 0";
            reportBadLine(file, lines.lineNumber(), "token_length", message);
            ok = false;
            break;
          }
        } else if (field.key.size() > 3 && field.key.substr(field.key.size() - 3) == "_id") {
          haveId = true;
          idField.assign(field.key);
          if (!readUnsigned(field.value, std::numeric_limits<std::uint64_t>::max(), "an unsigned integer", id,
                            message)) {
            reportBadLine(file, lines.lineNumber(), idField, message);
            ok = false;
            break;
          }
        }
      }
      if (!ok) continue;
      if (!haveId || !haveTokens) {
        reportBadLine(file, lines.lineNumber(), haveId ? "token_length" : "<kind>_id", "is missing");
        continue;
      }
      const auto [it, fresh] = chunks.try_emplace(id, Chunk{std::uint32_t(tokens)});
      if (!fresh && it->second.tokens != tokens) {
        reportBadLine(file, lines.lineNumber(), idField,
                      "chunk " + std::to_string(id) + " appears again with another token_length (" +
                          std::to_string(tokens) + " vs " + std::to_string(it->second.tokens) + ")");
        continue;
      }
    }
  }

  // The requests, in file order, then sorted by arrival.
  const std::string traceFile = (dir / kTraceFile).string();
  LineReader lines(traceFile);
  m_bytes += lines.fileSize();
  BlockChainer chainer;
  std::vector<std::uint64_t> raw;
  std::string_view line;
  while (nextContentLine(lines, traceFile, line)) {
    const std::uint64_t lineNo = lines.lineNumber();
    dom::element doc;
    dom::object object;
    if (const auto error = parser.parse(line.data(), line.size(), false).get(doc)) {
      reportBadLine(traceFile, lineNo, "", jsonError(error));
      continue;
    }
    if (doc.get_object().get(object) != simdjson::SUCCESS) {
      reportBadLine(traceFile, lineNo, "", "expected one JSON object per line, got " + shown(doc));
      continue;
    }
    TraceRequest r;
    std::string field, message;
    dom::element value;
    std::uint64_t number = 0;
    const auto bad = [&] { reportBadLine(traceFile, lineNo, field, message); };
    field = "timestamp";
    if (object.at_key("timestamp").get(value) != simdjson::SUCCESS) {
      message = "is missing";
      bad();
      continue;
    }
    if (!readSecondsAsMs(value, /*allowString=*/true, r.timestampMs, message)) {
      bad();
      continue;
    }
    bool ok = true;
    for (const auto& [key, target] :
         {std::pair{"input_length", &r.inputLength}, std::pair{"output_length", &r.outputLength}}) {
      field = key;
      if (object.at_key(key).get(value) != simdjson::SUCCESS) {
        message = "is missing";
        ok = false;
        break;
      }
      if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(),
                        "a non-negative integer below 2^32 (tokens)", number, message)) {
        ok = false;
        break;
      }
      *target = std::uint32_t(number);
    }
    if (!ok) {
      bad();
      continue;
    }
    if (object.at_key("session_id").get(value) == simdjson::SUCCESS) {
      std::string_view session;
      if (value.get_string().get(session) != simdjson::SUCCESS) {
        field = "session_id";
        message = "must be a string, got " + shown(value);
        bad();
        continue;
      }
      r.session = m_info.sessions.intern(session);
    }
    field = "hash_ids";
    dom::object segments;
    if (object.at_key("hash_ids").get(value) != simdjson::SUCCESS) {
      message = "is missing";
      bad();
      continue;
    }
    if (value.get_object().get(segments) != simdjson::SUCCESS) {
      message = "expected an object of segments (sys_prompt, passages_ids, history, web_search, user_input), got " +
                shown(value);
      bad();
      continue;
    }
    for (const dom::key_value_pair seg : segments) {
      const auto& order = segmentOrder();
      if (std::find(order.begin(), order.end(), seg.key) == order.end()) {
        field = "hash_ids." + std::string(seg.key);
        message = "is not a RAGPulse segment (sys_prompt, passages_ids, history, web_search, user_input)";
        ok = false;
        break;
      }
    }
    raw.clear();
    for (std::uint8_t s = 0; ok && s < segmentOrder().size(); ++s) {
      field = "hash_ids." + segmentOrder()[s];
      if (segments.at_key(segmentOrder()[s]).get(value) != simdjson::SUCCESS) continue;  // absent: empty
      dom::array ids;
      if (value.get_array().get(ids) != simdjson::SUCCESS) {
        message = "expected an array of chunk ids, got " + shown(value);
        ok = false;
        break;
      }
      std::size_t k = 0;  // index within the segment
      for (const dom::element element : ids) {
        std::uint64_t id = 0;
        const auto chunk = element.get_uint64().get(id) == simdjson::SUCCESS ? chunks.find(id) : chunks.end();
        if (chunk == chunks.end()) {
          message = "element " + std::to_string(k) + " (" + shown(element) +
                    (element.is_uint64() ? ") has no token_length in the side files" : ") is not a chunk id");
          ok = false;
          break;
        }
        ++k;
        raw.push_back(id);
        r.blockTokens.push_back(chunk->second.tokens);
        r.segments.push_back(s);
      }
    }
    if (!ok) {
      bad();
      continue;
    }
    chainer.chain(raw, 0, r.hashIds);
    r.chunkIds = raw;
    m_requests.push_back(std::move(r));
  }
  std::stable_sort(m_requests.begin(), m_requests.end(),
                   [](const TraceRequest& a, const TraceRequest& b) { return a.timestampMs < b.timestampMs; });
}

bool RagpulseTraceReader::next(TraceRequest& out) {
  if (m_next >= m_requests.size()) return false;
  out = std::move(m_requests[m_next++]);
  return true;
}

}  // namespace kvlab
