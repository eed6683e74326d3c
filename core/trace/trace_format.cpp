// SPDX-License-Identifier: MIT
#include "core/trace/trace_format.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <simdjson.h>

#include "core/trace/bailian_trace_reader.h"
#include "core/trace/kv_cache_tester_trace_reader.h"
#include "core/trace/kvcache_sim_trace_reader.h"
#include "core/trace/length_trace_reader.h"
#include "core/trace/mooncake_trace_reader.h"
#include "core/trace/prompt_trace_reader.h"
#include "core/trace/ragpulse_trace_reader.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {

constexpr std::size_t kHeadBytes = 1u << 20;

template <class Reader>
std::unique_ptr<TraceReader> openAs(const std::string& path, TraceReadOptions options) {
  return std::make_unique<Reader>(path, options);
}

template <LengthTraceReader::Layout kLayout>
std::unique_ptr<TraceReader> openLengthCsv(const std::string& path, TraceReadOptions options) {
  return std::make_unique<LengthTraceReader>(path, kLayout, options);
}

bool sniffMooncake(const TraceSniff& s) { return !s.isDirectory && MooncakeTraceReader::sniff(s); }

// The keys of the first line, when it is one JSON object.
void readKeys(TraceSniff& s) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(s.firstLine).get(doc) != simdjson::SUCCESS) return;
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return;
  s.firstLineIsObject = true;
  for (const simdjson::dom::key_value_pair field : object) {
    s.keys.emplace_back(field.key);
    if (field.key == "hash_ids")
      s.hashIdsType = field.value.is_array() ? "array" : field.value.is_object() ? "object" : "other";
  }
}

TraceSniff sniffInput(const std::string& path) {
  TraceSniff s;
  s.path = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    s.isDirectory = true;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
      if (entry.is_regular_file(ec)) s.entries.push_back(entry.path().filename().string());
    std::sort(s.entries.begin(), s.entries.end());
    return s;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open (no such file or not readable)");
  // 64 KiB at a time until the head holds a first non-blank line (or 1 MiB): a multi-GB trace costs one
  // small read.
  char chunk[64 << 10];
  while (s.head.size() < kHeadBytes && in) {
    in.read(chunk, std::streamsize(sizeof chunk));
    s.head.append(chunk, std::size_t(in.gcount()));
    if (s.head.find_first_not_of(" \t\r\n\xEF\xBB\xBF") != std::string::npos &&
        s.head.find('\n', s.head.find_first_not_of(" \t\r\n\xEF\xBB\xBF")) != std::string::npos)
      break;
  }
  std::string_view rest(s.head);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    s.firstLine.assign(line);
    break;
  }
  readKeys(s);
  return s;
}

// A first line of plain text fields separated by commas: a CSV header no reader knows.
bool looksLikeCsvHeader(std::string_view line) {
  return line.find(',') != std::string_view::npos && line.find('{') == std::string_view::npos &&
         std::all_of(line.begin(), line.end(), [](char c) { return c == '\t' || (c >= 0x20 && c < 0x7f); });
}

// No sniffer claimed it: the lab's own reader takes what could be a broken Mooncake trace (a bad first line
// then gets its line number and field), unless it is a directory or a CSV of columns no reader knows.
bool mooncakeFallback(const TraceSniff& s) { return !s.isDirectory && !looksLikeCsvHeader(s.firstLine); }

}  // namespace

bool TraceSniff::hasKey(std::string_view key) const {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

const std::vector<TraceFormat>& traceFormats() {
  // Sniffing order: the more specific formats first (a line with chat_id or block_size would also pass
  // for Mooncake if Mooncake's sniffer did not exclude them).
  static const std::vector<TraceFormat> kFormats = {
      {"ragpulse",
       "RAGPulse directory: 0_trace.jsonl (segments of chunk ids, string timestamps in s) and side files 1_-5_ "
       "with each chunk's token_length; chunks chained per request, one key per chunk (512-token slots)",
       "0_trace.jsonl", RagpulseTraceReader::sniff, openAs<RagpulseTraceReader>},
      {"kv-cache-tester",
       "WEKA agent-coding traces (callanjfox/kv-cache-tester): one JSON per conversation or a directory of "
       "them; block_size declared (64); ids local to each file; sub-agents flattened into one timeline",
       "*.json", KvCacheTesterTraceReader::sniff, openAs<KvCacheTesterTraceReader>},
      {"qwen-bailian",
       "Alibaba Qwen-Bailian JSON Lines (chat_id, parent_chat_id, timestamp s, type, turn, per-block "
       "hash_ids of 16 tokens, chained here)",
       "*.jsonl", BailianTraceReader::sniff, openAs<BailianTraceReader>},
      {"kvcache-simulator",
       "kvcache-simulator JSON Lines (hash_ids, input_length, block_size on each line, optional block_tokens, "
       "timestamp ms, output_length)",
       "*.jsonl", KvcacheSimTraceReader::sniff, openAs<KvcacheSimTraceReader>},
      {"azure-llm",
       "Azure LLM inference 2023 CSV (TIMESTAMP, ContextTokens, GeneratedTokens): lengths only, no prefix "
       "reuse (simulate and fleet --serving)",
       "*.csv", LengthTraceReader::sniffAzure, openLengthCsv<LengthTraceReader::Layout::Azure>},
      {"burstgpt",
       "BurstGPT CSV (Timestamp s, Model, Request tokens, Response tokens, ...): lengths only, no prefix reuse "
       "(simulate and fleet --serving)",
       "*.csv", LengthTraceReader::sniffBurstGpt, openLengthCsv<LengthTraceReader::Layout::BurstGpt>},
      {"prompts",
       "your own prompts: JSON Lines of OpenAI-style requests (messages, prompt or prompt_token_ids; optional "
       "timestamp s, max_tokens, model); text needs --tokenizer; full blocks of --block-size tokens (16) hashed "
       "in a chain as vLLM does",
       "*.jsonl", PromptTraceReader::sniff, openAs<PromptTraceReader>},
      // Last: it takes JSON-object lines the formats above do not claim. A new JSON Lines format goes above.
      {"mooncake", "Mooncake FAST'25 JSON Lines (timestamp ms, input_length, output_length, prefix-chained "
                   "hash_ids; 512 tokens per id unless --block-size says otherwise)",
       "*.jsonl", sniffMooncake, openAs<MooncakeTraceReader>},
  };
  return kFormats;
}

const TraceFormat* findTraceFormat(std::string_view name) {
  for (const TraceFormat& f : traceFormats())
    if (f.name == name) return &f;
  return nullptr;
}

std::string traceFormatNames() {
  std::string names;
  for (const TraceFormat& f : traceFormats()) names += (names.empty() ? "" : ", ") + f.name;
  return names;
}

const TraceFormat& detectTraceFormat(const std::string& path) {
  const TraceSniff s = sniffInput(path);
  for (const TraceFormat& f : traceFormats())
    if (f.sniff(s)) return f;
  if (mooncakeFallback(s)) return *findTraceFormat("mooncake");
  if (s.isDirectory)
    throw InputError(path, 0, "",
                     "is a directory, and not one of a trace format this lab reads (a RAGPulse directory holds "
                     "0_trace.jsonl, a kv-cache-tester one its *.json conversations); name the format with "
                     "--input-format (" + traceFormatNames() + ")");
  throw InputError(path, 0, "",
                   "cannot tell its trace format from its content (first line " + quoteForError(s.firstLine, 80) +
                       "); name it with --input-format (" + traceFormatNames() + ")");
}

std::unique_ptr<TraceReader> openTraceReader(const std::string& path, const TraceOpenOptions& options) {
  const TraceFormat* format = nullptr;
  if (options.format.empty()) {
    format = &detectTraceFormat(path);
  } else {
    format = findTraceFormat(options.format);
    if (!format)
      throw InputError("", 0, "input-format",
                       "unknown trace format " + quoteForError(options.format) + " (choose from: " +
                           traceFormatNames() + ")");
  }
  return format->open(path, TraceReadOptions{options.skipBadLines, options.prompts});
}

bool looksLikeTrace(const std::string& path) {
  // A *.jsonl is a trace, even one nobody claims or that is missing (scenarios are .json): opening it says
  // what is wrong.
  if (path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0) return true;
  try {
    const TraceSniff s = sniffInput(path);
    return std::any_of(traceFormats().begin(), traceFormats().end(), [&](const TraceFormat& f) { return f.sniff(s); });
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace kvlab
