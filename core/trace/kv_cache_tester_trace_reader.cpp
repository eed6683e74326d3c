// SPDX-License-Identifier: MIT
#include "core/trace/kv_cache_tester_trace_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/trace/json_fields.h"
#include "core/trace/trace_format.h"

namespace kvlab {

namespace {

namespace dom = simdjson::dom;
namespace fs = std::filesystem;
using trace_json::jsonError;
using trace_json::readSecondsAsMs;
using trace_json::readUnsigned;
using trace_json::shown;

bool isJsonFile(const std::string& name) { return name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0; }

// The first bytes of a document look like a kv-cache-tester trace.
bool headLooksLikeTrace(std::string_view head) {
  const std::size_t start = head.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || head[start] != '{') return false;
  return head.find("\"requests\"") != std::string_view::npos &&
         (head.find("\"hash_id_scope\"") != std::string_view::npos ||
          head.find("\"block_size\"") != std::string_view::npos);
}

}  // namespace

struct KvCacheTesterTraceReader::Context {
  std::int64_t baseMs = 0;       // the context's t = 0 on the timeline
  std::uint32_t ns = 0;          // id namespace
  bool perContextIds = false;    // each sub-agent gets a namespace of its own
  std::uint32_t session = kNoLabel;
  std::string sessionName;
  std::uint32_t requestType = kNoLabel;
  std::int64_t previous = -1;    // the request the next one continues
};

bool KvCacheTesterTraceReader::sniff(const TraceSniff& s) {
  if (!s.isDirectory) return headLooksLikeTrace(s.head);
  for (const std::string& name : s.entries) {
    if (!isJsonFile(name)) continue;
    std::ifstream in(fs::path(s.path) / name, std::ios::binary);
    std::string head(64 << 10, '\0');
    in.read(head.data(), std::streamsize(head.size()));
    head.resize(std::size_t(in.gcount()));
    return headLooksLikeTrace(head);  // the first JSON file decides
  }
  return false;
}

KvCacheTesterTraceReader::KvCacheTesterTraceReader(const std::string& path, TraceReadOptions options)
    : TraceReader(path, "kv-cache-tester", options) {
  m_info.blockSizeDeclared = true;
  m_info.sourceIdsChained = false;
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_regular_file(ec) && isJsonFile(entry.path().filename().string()))
        files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw InputError(path, 0, "", "holds no *.json trace files");
  } else {
    files.push_back(path);
  }
  for (const std::string& file : files) readFile(file);
  std::stable_sort(m_requests.begin(), m_requests.end(),
                   [](const TraceRequest& a, const TraceRequest& b) { return a.timestampMs < b.timestampMs; });
}

void KvCacheTesterTraceReader::readFile(const std::string& file) {
  dom::parser parser;
  dom::element doc;
  std::error_code ec;
  m_bytes += fs::file_size(file, ec);
  if (const auto error = parser.load(file).get(doc)) {
    if (error == simdjson::IO_ERROR) throw InputError(file, 0, "", "cannot open (no such file or not readable)");
    reportBadLine(file, 0, "", jsonError(error));
    return;
  }
  dom::object top;
  if (doc.get_object().get(top) != simdjson::SUCCESS) {
    reportBadLine(file, 0, "", "expected one JSON object (a kv-cache-tester trace), got " + shown(doc));
    return;
  }
  dom::element value;
  std::uint64_t blockSize = 0;
  std::string message;
  if (top.at_key("block_size").get(value) != simdjson::SUCCESS) {
    reportBadLine(file, 0, "block_size", "is missing");
    return;
  }
  if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(), "an integer >= 1 (tokens per id)", blockSize,
                    message) ||
      blockSize == 0) {
    reportBadLine(file, 0, "block_size", message.empty() ? "must be an integer >= 1 (tokens per id), got 0" : message);
    return;
  }
  if (!m_haveBlockSize) {
    m_haveBlockSize = true;
    m_info.blockSize = std::uint32_t(blockSize);
    m_info.blockSizeSource = "field 'block_size' of " + fs::path(file).filename().string();
    m_blockSizeFile = file;
  } else if (blockSize != m_info.blockSize) {
    reportBadLine(file, 0, "block_size",
                  "is " + std::to_string(blockSize) + ", but " + m_blockSizeFile + " declares " +
                      std::to_string(m_info.blockSize) + " (one block size per trace directory)");
    return;
  }
  std::string_view scope = "per_context";
  if (top.at_key("hash_id_scope").get(value) == simdjson::SUCCESS && value.get_string().get(scope) != simdjson::SUCCESS) {
    reportBadLine(file, 0, "hash_id_scope", "must be a string (local, global), got " + shown(value));
    return;
  }
  dom::array requests;
  if (top.at_key("requests").get(value) != simdjson::SUCCESS) {
    reportBadLine(file, 0, "requests", "is missing");
    return;
  }
  if (value.get_array().get(requests) != simdjson::SUCCESS) {
    reportBadLine(file, 0, "requests", "expected an array of requests, got " + shown(value));
    return;
  }
  Context context;
  context.ns = scope == "global" ? 0 : m_nextNamespace++;
  context.perContextIds = scope != "global" && scope != "local";
  context.sessionName = fs::path(file).stem().string();
  context.session = m_info.sessions.intern(context.sessionName);
  context.requestType = m_info.requestTypes.intern("main");
  walk(file, requests, "requests", context);
}

void KvCacheTesterTraceReader::walk(const std::string& file, const dom::array& requests, const std::string& path,
                                    Context& context) {
  std::size_t index = 0, subagents = 0;
  std::vector<std::uint64_t> ids;
  for (const dom::element entry : requests) {
    const std::string at = path + "[" + std::to_string(index++) + "]";
    std::string field, message;
    const auto bad = [&] { reportBadLine(file, 0, at + (field.empty() ? "" : "." + field), message); };
    dom::object object;
    if (entry.get_object().get(object) != simdjson::SUCCESS) {
      message = "expected a request object, got " + shown(entry);
      bad();
      continue;
    }
    dom::element value;
    field = "t";
    std::int64_t tMs = 0;
    if (object.at_key("t").get(value) != simdjson::SUCCESS) {
      message = "is missing";
      bad();
      continue;
    }
    if (!readSecondsAsMs(value, /*allowString=*/false, tMs, message)) {
      bad();
      continue;
    }
    std::string_view type;
    if (object.at_key("type").get(value) == simdjson::SUCCESS && value.get_string().get(type) != simdjson::SUCCESS) {
      field = "type";
      message = "must be a string, got " + shown(value);
      bad();
      continue;
    }
    if (type == "subagent") {
      dom::array nested;
      field = "requests";
      if (object.at_key("requests").get(value) != simdjson::SUCCESS || value.get_array().get(nested) != simdjson::SUCCESS) {
        message = "a subagent entry needs an array of requests";
        bad();
        continue;
      }
      std::string_view agentId, agentType = "subagent";
      ++subagents;
      std::string name = "SA" + std::to_string(subagents);
      if (object.at_key("agent_id").get(value) == simdjson::SUCCESS && value.get_string().get(agentId) == simdjson::SUCCESS &&
          !agentId.empty())
        name.assign(agentId);
      std::string_view givenType;
      if (object.at_key("subagent_type").get(value) == simdjson::SUCCESS &&
          value.get_string().get(givenType) == simdjson::SUCCESS && !givenType.empty())
        agentType = givenType;
      Context child;
      child.baseMs = context.baseMs + tMs;
      child.ns = context.perContextIds ? m_nextNamespace++ : context.ns;
      child.perContextIds = context.perContextIds;
      child.sessionName = context.sessionName + "/" + name;
      child.session = m_info.sessions.intern(child.sessionName);
      child.requestType = m_info.requestTypes.intern("subagent:" + std::string(agentType));
      child.previous = context.previous;
      walk(file, nested, at + ".requests", child);
      continue;
    }
    TraceRequest r;
    r.timestampMs = context.baseMs + tMs;
    bool ok = true;
    for (const auto& [key, target] : {std::pair{"in", &r.inputLength}, std::pair{"out", &r.outputLength}}) {
      field = key;
      std::uint64_t number = 0;
      if (object.at_key(key).get(value) != simdjson::SUCCESS) {
        message = "is missing";
        ok = false;
        break;
      }
      if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(), "a non-negative integer below 2^32 (tokens)",
                        number, message)) {
        ok = false;
        break;
      }
      *target = std::uint32_t(number);
    }
    if (!ok) {
      bad();
      continue;
    }
    field = "hash_ids";
    dom::array array;
    if (object.at_key("hash_ids").get(value) != simdjson::SUCCESS) {
      message = "is missing";
      bad();
      continue;
    }
    if (value.get_array().get(array) != simdjson::SUCCESS) {
      message = "expected an array of unsigned integers, got " + shown(value);
      bad();
      continue;
    }
    ids.clear();
    for (const dom::element element : array) {
      std::uint64_t id = 0;
      if (element.get_uint64().get(id) != simdjson::SUCCESS) {
        message = "expected an array of unsigned integers; element " + std::to_string(ids.size()) + " is " +
                  shown(element);
        ok = false;
        break;
      }
      ids.push_back(id);
    }
    if (!ok) {
      bad();
      continue;
    }
    std::string_view model;
    if (object.at_key("model").get(value) == simdjson::SUCCESS) {
      if (value.get_string().get(model) != simdjson::SUCCESS) {
        field = "model";
        message = "must be a string, got " + shown(value);
        bad();
        continue;
      }
      r.model = m_info.models.intern(model);
    }
    m_chainer.chain(ids, context.ns, r.hashIds);
    r.requestId = m_nextRequestId++;
    r.parentId = context.previous;
    context.previous = r.requestId;
    r.session = context.session;
    r.requestType = context.requestType;
    m_requests.push_back(std::move(r));
  }
}

bool KvCacheTesterTraceReader::next(TraceRequest& out) {
  if (m_next >= m_requests.size()) return false;
  out = std::move(m_requests[m_next++]);
  return true;
}

}  // namespace kvlab
