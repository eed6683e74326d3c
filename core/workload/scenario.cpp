// SPDX-License-Identifier: MIT
#include "core/workload/scenario.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/util/file_sha256.h"
#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

namespace {

using nlohmann::json;

constexpr uint64_t kMaxScenarioFileBytes = 1u << 20;
constexpr uint32_t kMaxCount = 100000;           // questions, steps, users, turns, documents, queries
constexpr uint32_t kMaxSegmentTokens = 1000000;  // one prompt segment
constexpr uint32_t kMaxMs = 86400000;            // one day

constexpr uint32_t kMaxOutputTokens = 100000;  // per request

constexpr std::array<std::pair<ScenarioKind, std::string_view>, 5> kKindNames = {{
    {ScenarioKind::RepeatedPrefix, "repeated-prefix"},
    {ScenarioKind::Agentic, "agentic"},
    {ScenarioKind::MultiTurnChat, "multi-turn-chat"},
    {ScenarioKind::Rag, "rag"},
    {ScenarioKind::Decode, "decode"},
}};

std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "the string " + quoteForError(v.get_ref<const std::string&>());
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    default:
      return v.dump();
  }
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// A key as it may appear in a message: JSON escapes can put control characters (or a megabyte) in a key.
std::string printableKey(const std::string& key) {
  const bool plain = key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
                       return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '\'';
                     });
  return plain ? key : quoteForError(key, 64);
}

// Reads typed, range-checked fields from one parsed file; every error names the file and the
// dotted field path.
class SpecReader {
public:
  explicit SpecReader(std::string file) : m_file(std::move(file)) {}

  [[noreturn]] void fail(const std::string& field, std::string message) const {
    throw InputError(m_file, 0, field, std::move(message));
  }

  void requireObject(const json& v, const std::string& path) const {
    if (!v.is_object()) fail(path, "expected an object, got " + describe(v));
  }

  void checkKeys(const json& obj, const std::string& path,
                 std::initializer_list<std::string_view> allowed) const {
    for (const auto& item : obj.items()) {
      if (std::find(allowed.begin(), allowed.end(), item.key()) != allowed.end()) continue;
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(join(path, printableKey(item.key())), "unknown key (allowed here: " + list + ")");
    }
  }

  static const json* find(const json& obj, std::string_view key) {
    const auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }

  uint64_t readUInt(const json& obj, const std::string& path, std::string_view key, uint64_t fallback,
                    uint64_t lo, uint64_t hi) const {
    const json* v = find(obj, key);
    return v ? toUInt(*v, join(path, key), lo, hi) : fallback;
  }

  uint64_t toUInt(const json& v, const std::string& field, uint64_t lo, uint64_t hi) const {
    if (!v.is_number_unsigned() || v.get<uint64_t>() < lo || v.get<uint64_t>() > hi) {
      fail(field, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                      describe(v));
    }
    return v.get<uint64_t>();
  }

  // lo is exclusive when loExclusive (a rate must be > 0).
  double readDouble(const json& obj, const std::string& path, std::string_view key, double fallback,
                    double lo, double hi, bool loExclusive) const {
    const json* v = find(obj, key);
    if (!v) return fallback;
    const double x = v->is_number() ? v->get<double>() : std::nan("");
    const bool aboveLo = loExclusive ? x > lo : x >= lo;
    if (!v->is_number() || !std::isfinite(x) || !aboveLo || x > hi) {
      std::ostringstream range;
      range << (loExclusive ? "(" : "[") << lo << ", " << hi << "]";
      fail(join(path, key), "must be a number in " + range.str() + ", got " + describe(*v));
    }
    return x;
  }

  bool readBool(const json& obj, const std::string& path, std::string_view key, bool fallback) const {
    const json* v = find(obj, key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(join(path, key), "must be true or false, got " + describe(*v));
    return v->get<bool>();
  }

  std::string readString(const json& obj, const std::string& path, std::string_view key,
                         const std::string* fallback, size_t maxLength = 200) const {
    const json* v = find(obj, key);
    const std::string field = join(path, key);
    if (!v) {
      if (!fallback) fail(field, "is required");
      return *fallback;
    }
    if (!v->is_string()) fail(field, "must be a string, got " + describe(*v));
    const auto& s = v->get_ref<const std::string&>();
    if (s.empty() || s.size() > maxLength)
      fail(field, "must be a non-empty string of at most " + std::to_string(maxLength) + " bytes");
    return s;
  }

  // {"min": a, "max": b} with lo <= a <= b <= hi.
  UIntRange readRange(const json& obj, const std::string& path, std::string_view key, UIntRange fallback,
                      uint32_t lo, uint32_t hi) const {
    const json* v = find(obj, key);
    if (!v) return fallback;
    const std::string field = join(path, key);
    if (!v->is_object())
      fail(field, "expected an object like {\"min\": 30, \"max\": 80}, got " + describe(*v));
    checkKeys(*v, field, {"min", "max"});
    for (const char* required : {"min", "max"}) {
      if (!find(*v, required)) fail(join(field, required), "is required");
    }
    UIntRange r;
    r.min = static_cast<uint32_t>(toUInt(v->at("min"), join(field, "min"), lo, hi));
    r.max = static_cast<uint32_t>(toUInt(v->at("max"), join(field, "max"), lo, hi));
    if (r.max < r.min) {
      fail(join(field, "max"),
           "must be >= min (" + std::to_string(r.min) + "), got " + std::to_string(r.max));
    }
    return r;
  }

  // A string value that another parser understands (sizes, durations); its InputError gets our
  // file and field.
  template <typename Parse>
  auto readParsed(const json& obj, const std::string& path, std::string_view key, std::string& text,
                  Parse parse) const {
    const std::string field = join(path, key);
    if (const json* v = find(obj, key)) {
      if (v->is_number_unsigned())
        text = std::to_string(v->get<uint64_t>());  // plain number: bytes / seconds
      else if (v->is_string())
        text = v->get<std::string>();
      else
        fail(field, "must be a string like \"2GiB\" or \"30s\", got " + describe(*v));
    }
    try {
      return parse(text, field);
    } catch (const InputError& e) {
      throw e.withLocation(m_file, 0);
    }
  }

private:
  std::string m_file;
};

bool isSlug(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

void readCache(const SpecReader& r, const json& root, ScenarioCacheSettings& cache) {
  const json* v = SpecReader::find(root, "cache");
  if (!v) return;
  const std::string path = "cache";
  r.requireObject(*v, path);
  r.checkKeys(*v, path, {"granularity", "block_size", "policy", "max_size", "ttl"});
  cache.granularity = r.readString(*v, path, "granularity", &cache.granularity);
  if (cache.granularity != "prompt" && cache.granularity != "block" && cache.granularity != "radix")
    r.fail("cache.granularity",
           "must be \"prompt\", \"block\" or \"radix\", got " + quoteForError(cache.granularity));
  cache.blockSize = static_cast<uint32_t>(r.readUInt(*v, path, "block_size", cache.blockSize, 1, 65536));
  cache.policy = r.readString(*v, path, "policy", &cache.policy, 64);
  if (!isSlug(cache.policy))
    r.fail("cache.policy",
           "must be a policy name like \"lru\" (a-z, 0-9, '-'), got " + quoteForError(cache.policy));
  cache.maxSizeBytes = r.readParsed(*v, path, "max_size", cache.maxSize,
                                    [](std::string_view t, std::string_view f) { return parseSize(t, f); });
  if (cache.maxSizeBytes == 0) r.fail("cache.max_size", "must be larger than 0 bytes");
  cache.ttlMs = r.readParsed(*v, path, "ttl", cache.ttl,
                             [](std::string_view t, std::string_view f) { return parseDurationMs(t, f); });
}

// `output_tokens`: an integer (every request) or {"min": a, "max": b} (uniform per request).
void readOutputTokens(const SpecReader& r, const json& root, ScenarioSpec& s) {
  const json* v = SpecReader::find(root, "output_tokens");
  if (!v) {
    if (s.kind == ScenarioKind::Decode)
      s.outputTokens = {kDefaultDecodeOutputTokens, kDefaultDecodeOutputTokens};
    return;
  }
  if (v->is_object()) {
    s.outputTokens = r.readRange(root, "", "output_tokens", s.outputTokens, 1, kMaxOutputTokens);
    return;
  }
  const auto n = static_cast<uint32_t>(r.toUInt(*v, "output_tokens", 1, kMaxOutputTokens));
  s.outputTokens = {n, n};
}

void readArrival(const SpecReader& r, const json& root, ArrivalSpec& arrival) {
  const json* v = SpecReader::find(root, "arrival");
  if (!v) return;
  const std::string path = "arrival";
  r.requireObject(*v, path);
  r.checkKeys(*v, path, {"mode", "interval_ms", "rate_per_s"});
  const std::string closed = "closed";
  const std::string mode = r.readString(*v, path, "mode", &closed);
  if (mode == "closed")
    arrival.mode = ArrivalMode::Closed;
  else if (mode == "poisson")
    arrival.mode = ArrivalMode::Poisson;
  else
    r.fail("arrival.mode", "must be \"closed\" or \"poisson\", got " + quoteForError(mode));
  arrival.intervalMs =
      static_cast<uint32_t>(r.readUInt(*v, path, "interval_ms", arrival.intervalMs, 0, kMaxMs));
  arrival.ratePerS = r.readDouble(*v, path, "rate_per_s", arrival.ratePerS, 0.0, 1e6, /*loExclusive=*/true);
}

// Total prompt tokens with every range at its max; fails above kMaxScenarioTotalTokens.
void checkTotal(const SpecReader& r, const ScenarioSpec& s, const std::string& section) {
  long double total = 0;
  switch (s.kind) {
    case ScenarioKind::RepeatedPrefix: {
      const auto& p = s.repeatedPrefix;
      total = static_cast<long double>(p.questions) *
              (p.systemPromptTokens + static_cast<long double>(p.questionTokens.max));
      break;
    }
    case ScenarioKind::Agentic: {
      const auto& p = s.agentic;
      const long double n = p.steps;
      const long double growth = static_cast<long double>(p.actionTokens.max) + p.toolOutputTokens.max;
      total =
          n * (static_cast<long double>(p.systemPromptTokens) + p.userTaskTokens) + growth * n * (n - 1) / 2;
      break;
    }
    case ScenarioKind::MultiTurnChat: {
      const auto& p = s.multiTurnChat;
      const long double n = p.turnsPerUser;
      const long double growth =
          static_cast<long double>(p.userMessageTokens.max) + p.assistantReplyTokens.max;
      total = p.users * (n * (static_cast<long double>(p.systemPromptTokens) + p.userMessageTokens.max) +
                         growth * n * (n - 1) / 2);
      break;
    }
    case ScenarioKind::Rag: {
      const auto& p = s.rag;
      total = static_cast<long double>(p.queries) *
              (p.systemPromptTokens + static_cast<long double>(p.docsPerQuery) * p.documentTokens.max +
               p.questionTokens.max);
      break;
    }
    case ScenarioKind::Decode:
      // Decoding without the cache re-reads the whole sequence at every step.
      total = static_cast<long double>(s.decode.promptTokens) * s.outputTokens.max +
              static_cast<long double>(s.outputTokens.max) * s.outputTokens.max / 2;
      break;
  }
  if (total > static_cast<long double>(kMaxScenarioTotalTokens)) {
    r.fail(section, "would generate up to " + std::to_string(static_cast<uint64_t>(std::min(total, 1e19L))) +
                        " prompt tokens in total (limit " + std::to_string(kMaxScenarioTotalTokens) +
                        "); lower the counts or lengths");
  }
}

void readKindSection(const SpecReader& r, const json& root, ScenarioSpec& s) {
  const std::string path(scenarioKindName(s.kind));
  for (const auto& [kind, name] : kKindNames) {
    if (kind != s.kind && SpecReader::find(root, name))
      r.fail(std::string(name), "section does not match kind \"" + path + "\"");
  }
  static const json kEmpty = json::object();
  const json* found = SpecReader::find(root, path);
  const json& v = found ? *found : kEmpty;
  r.requireObject(v, path);
  switch (s.kind) {
    case ScenarioKind::RepeatedPrefix: {
      auto& p = s.repeatedPrefix;
      r.checkKeys(v, path, {"system_prompt_tokens", "questions", "question_tokens"});
      p.systemPromptTokens = static_cast<uint32_t>(
          r.readUInt(v, path, "system_prompt_tokens", p.systemPromptTokens, 1, kMaxSegmentTokens));
      p.questions = static_cast<uint32_t>(r.readUInt(v, path, "questions", p.questions, 1, kMaxCount));
      p.questionTokens = r.readRange(v, path, "question_tokens", p.questionTokens, 1, kMaxSegmentTokens);
      break;
    }
    case ScenarioKind::Agentic: {
      auto& p = s.agentic;
      r.checkKeys(
          v, path,
          {"steps", "system_prompt_tokens", "user_task_tokens", "action_tokens", "tool_output_tokens"});
      p.steps = static_cast<uint32_t>(r.readUInt(v, path, "steps", p.steps, 1, kMaxCount));
      p.systemPromptTokens = static_cast<uint32_t>(
          r.readUInt(v, path, "system_prompt_tokens", p.systemPromptTokens, 1, kMaxSegmentTokens));
      p.userTaskTokens = static_cast<uint32_t>(
          r.readUInt(v, path, "user_task_tokens", p.userTaskTokens, 1, kMaxSegmentTokens));
      p.actionTokens = r.readRange(v, path, "action_tokens", p.actionTokens, 1, kMaxSegmentTokens);
      p.toolOutputTokens =
          r.readRange(v, path, "tool_output_tokens", p.toolOutputTokens, 1, kMaxSegmentTokens);
      break;
    }
    case ScenarioKind::MultiTurnChat: {
      auto& p = s.multiTurnChat;
      r.checkKeys(v, path,
                  {"users", "turns_per_user", "system_prompt_tokens", "user_message_tokens",
                   "assistant_reply_tokens", "think_time_ms"});
      p.users = static_cast<uint32_t>(r.readUInt(v, path, "users", p.users, 1, kMaxCount));
      p.turnsPerUser =
          static_cast<uint32_t>(r.readUInt(v, path, "turns_per_user", p.turnsPerUser, 1, kMaxCount));
      p.systemPromptTokens = static_cast<uint32_t>(
          r.readUInt(v, path, "system_prompt_tokens", p.systemPromptTokens, 1, kMaxSegmentTokens));
      p.userMessageTokens =
          r.readRange(v, path, "user_message_tokens", p.userMessageTokens, 1, kMaxSegmentTokens);
      p.assistantReplyTokens =
          r.readRange(v, path, "assistant_reply_tokens", p.assistantReplyTokens, 1, kMaxSegmentTokens);
      p.thinkTimeMs = r.readRange(v, path, "think_time_ms", p.thinkTimeMs, 0, kMaxMs);
      break;
    }
    case ScenarioKind::Rag: {
      auto& p = s.rag;
      r.checkKeys(v, path,
                  {"system_prompt_tokens", "documents", "document_tokens", "docs_per_query", "zipf_s",
                   "sort_docs", "queries", "question_tokens"});
      p.systemPromptTokens = static_cast<uint32_t>(
          r.readUInt(v, path, "system_prompt_tokens", p.systemPromptTokens, 1, kMaxSegmentTokens));
      p.documents = static_cast<uint32_t>(r.readUInt(v, path, "documents", p.documents, 1, kMaxCount));
      p.documentTokens = r.readRange(v, path, "document_tokens", p.documentTokens, 1, kMaxSegmentTokens);
      p.docsPerQuery =
          static_cast<uint32_t>(r.readUInt(v, path, "docs_per_query", p.docsPerQuery, 1, p.documents));
      p.zipfS = r.readDouble(v, path, "zipf_s", p.zipfS, 0.0, 10.0, /*loExclusive=*/false);
      p.sortDocs = r.readBool(v, path, "sort_docs", p.sortDocs);
      p.queries = static_cast<uint32_t>(r.readUInt(v, path, "queries", p.queries, 1, kMaxCount));
      p.questionTokens = r.readRange(v, path, "question_tokens", p.questionTokens, 1, kMaxSegmentTokens);
      break;
    }
    case ScenarioKind::Decode: {
      auto& p = s.decode;
      r.checkKeys(v, path, {"prompt_tokens"});
      p.promptTokens =
          static_cast<uint32_t>(r.readUInt(v, path, "prompt_tokens", p.promptTokens, 1, kMaxSegmentTokens));
      break;
    }
  }
  checkTotal(r, s, path);
}

}  // namespace

std::string_view scenarioKindName(ScenarioKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

ScenarioSpec parseScenarioJson(std::string_view text, const std::string& fileNameForErrors) {
  const SpecReader r(fileNameForErrors);
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // parse_error, and out_of_range.406 for a number too large for a double (400 digits of '4').
    // "[json.exception.parse_error.101] parse error at line 3, column 7: syntax error ..." -> drop the tag.
    std::string message = e.what();
    if (const size_t tag = message.find("] "); tag != std::string::npos) message.erase(0, tag + 2);
    // "last read: '...'" echoes input bytes: escape what is not printable ASCII (invalid UTF-8 included).
    std::string printable;
    for (const unsigned char c : message) {
      if (c >= 0x20 && c < 0x7f) {
        printable += static_cast<char>(c);
      } else {
        const std::string quoted = quoteForError(std::string_view(reinterpret_cast<const char*>(&c), 1));
        printable += quoted.substr(1, quoted.size() - 2);
      }
    }
    message = printable.size() > 300 ? printable.substr(0, 300) + "..." : printable;
    r.fail("", "invalid JSON: " + message);
  }
  if (!root.is_object()) r.fail("", "expected a JSON object at the top level, got " + describe(root));
  r.checkKeys(root, "",
              {"name", "title", "description", "kind", "model", "seed", "output_tokens", "cache", "arrival",
               "repeated-prefix", "agentic", "multi-turn-chat", "rag", "decode"});

  ScenarioSpec s;
  s.name = r.readString(root, "", "name", nullptr, 64);
  if (!isSlug(s.name)) r.fail("name", "must use only a-z, 0-9 and '-', got " + quoteForError(s.name));
  s.title = r.readString(root, "", "title", nullptr, 120);
  s.description = r.readString(root, "", "description", nullptr, 1000);
  const std::string kind = r.readString(root, "", "kind", nullptr, 64);
  const auto it =
      std::find_if(kKindNames.begin(), kKindNames.end(), [&](const auto& k) { return k.second == kind; });
  if (it == kKindNames.end())
    r.fail("kind", "must be one of repeated-prefix, agentic, multi-turn-chat, rag, decode; got " +
                       quoteForError(kind));
  s.kind = it->first;
  s.model = r.readString(root, "", "model", &s.model, 64);
  s.seed = r.readUInt(root, "", "seed", s.seed, 0, UINT64_MAX);
  readOutputTokens(r, root, s);
  readCache(r, root, s.cache);
  readArrival(r, root, s.arrival);
  readKindSection(r, root, s);
  return s;
}

ScenarioSpec loadScenarioFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, 0, "", "is a directory, not a scenario file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open the scenario file");
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxScenarioFileBytes)
      throw InputError(path, 0, "", "is larger than 1 MiB; not a scenario file");
  }
  ScenarioSpec spec = parseScenarioJson(text, path);
  spec.fileSha256 = sha256Hex(text);
  return spec;
}

const std::vector<std::string>& bundledScenarioNames() {
  static const std::vector<std::string> kNames = {"repeated-prefix", "agentic", "multi-turn-chat", "rag",
                                                  "decode"};
  return kNames;
}

std::string resolveScenario(std::string_view nameOrPath, const std::string& scenarioDir) {
  namespace fs = std::filesystem;
  const std::string given(nameOrPath);
  const auto endsWith = [&given](std::string_view suffix) {
    return given.size() > suffix.size() &&
           given.compare(given.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  const bool isPath = given.find('/') != std::string::npos || given.find('\\') != std::string::npos ||
                      endsWith(".json") || endsWith(".jsonl");
  std::error_code ec;
  if (isPath) {
    if (!fs::is_regular_file(given, ec))
      throw InputError("", 0, "scenario", "no such file " + quoteForError(given, 200));
    return given;
  }
  const fs::path candidate = fs::path(scenarioDir) / (given + ".json");
  if (!given.empty() && isSlug(given) && fs::is_regular_file(candidate, ec)) return candidate.string();
  std::vector<std::string> available;
  for (const auto& entry : fs::directory_iterator(scenarioDir, ec)) {
    if (entry.path().extension() == ".json") available.push_back(entry.path().stem().string());
  }
  std::sort(available.begin(), available.end());
  std::string list;
  for (const auto& name : available) list += (list.empty() ? "" : ", ") + name;
  throw InputError("", 0, "scenario",
                   "unknown scenario " + quoteForError(given) + " (in " + scenarioDir + ": " +
                       (list.empty() ? "none" : list) + ")");
}

}  // namespace kvlab
