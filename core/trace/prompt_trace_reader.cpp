// SPDX-License-Identifier: MIT
#include "core/trace/prompt_trace_reader.h"

#include <limits>
#include <vector>

#include "core/cache/key_hasher.h"
#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/hf_tokenizer.h"
#include "core/tokenizer/tokenizer_json.h"
#include "core/trace/json_fields.h"
#include "core/trace/trace_format.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {

namespace dom = simdjson::dom;
using trace_json::jsonError;
using trace_json::readSecondsAsMs;
using trace_json::readUnsigned;
using trace_json::shown;

constexpr const char* kPromptKeys[] = {"messages", "prompt", "prompt_token_ids"};

std::string indexed(const std::string& field, std::size_t i) { return field + "[" + std::to_string(i) + "]"; }

}  // namespace

struct PromptTraceReader::Parser {
  dom::parser parser;
  dom::object object;
  std::vector<std::int32_t> tokens;
  std::vector<ChatMessage> messages;
  std::string text;
  std::string field, message;
};

bool PromptTraceReader::sniff(const TraceSniff& s) {
  if (s.isDirectory || !s.firstLineIsObject || s.hasKey("hash_ids")) return false;
  for (const char* key : kPromptKeys)
    if (s.hasKey(key)) return true;
  return false;
}

PromptTraceReader::PromptTraceReader(const std::string& path, TraceReadOptions options)
    : TraceReader(path, "prompts", options), m_lines(path), m_parser(std::make_unique<Parser>()) {
  const PromptTextOptions& prompts = m_options.prompts;
  m_info.blockSize = prompts.blockSize ? prompts.blockSize : kDefaultBlockSize;
  m_info.blockSizeDeclared = true;  // the reader cut the tokens at it: no other size can replay these keys
  m_info.blockSizeSource = prompts.blockSize ? "--block-size (the prompts reader cut the tokens at it)"
                                             : "the prompts format's default of 16 (the reader cuts the tokens at one size: give a single --block-size)";
  m_info.sourceIdsChained = true;
  const std::optional<ChatTemplate::Kind> named =
      prompts.chatTemplate == "auto" || prompts.chatTemplate.empty() ? std::nullopt
                                                                     : ChatTemplate::fromName(prompts.chatTemplate);
  if (!named && !(prompts.chatTemplate == "auto" || prompts.chatTemplate.empty()))
    throw InputError("", 0, "chat-template",
                     "unknown chat template " + quoteForError(prompts.chatTemplate) +
                         " (choose from: llama-3, chatml, raw, auto)");
  if (!prompts.tokenizerPath.empty()) {
    m_tokenizer = loadHfTokenizer(prompts.tokenizerPath);
    const ChatTemplate::Kind kind = named ? *named : ChatTemplate::detect(*m_tokenizer);
    m_template = int(kind);
    m_info.tokenization = "tokenizer " + prompts.tokenizerPath + ", chat template " +
                          std::string(ChatTemplate::name(kind)) + (named ? "" : " (detected)");
  } else {
    m_info.tokenization = "token ids as given (no --tokenizer)";
  }
}

PromptTraceReader::~PromptTraceReader() = default;

// The messages array into p.text through the chat template. Sets p.field/p.message on failure.
bool PromptTraceReader::renderMessages(std::string& text) {
  Parser& p = *m_parser;
  dom::element value;
  p.field = "messages";
  value = p.object.at_key("messages").value_unsafe();
  dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS || array.size() == 0) {
    p.message = "expected a non-empty array of {\"role\": ..., \"content\": ...} objects, got " + shown(value);
    return false;
  }
  p.messages.resize(array.size());
  std::size_t i = 0;
  for (const dom::element entry : array) {
    const std::string base = indexed("messages", i);
    ChatMessage& m = p.messages[i++];
    dom::object message;
    p.field = base;
    if (entry.get_object().get(message) != simdjson::SUCCESS) {
      p.message = "expected an object with role and content, got " + shown(entry);
      return false;
    }
    std::string_view text;
    p.field = base + ".role";
    if (message.at_key("role").get(value) != simdjson::SUCCESS) {
      p.message = "is missing";
      return false;
    }
    if (value.get_string().get(text) != simdjson::SUCCESS || text.empty()) {
      p.message = "must be a non-empty string (system, user, assistant, ...), got " + shown(value);
      return false;
    }
    m.role.assign(text);
    p.field = base + ".content";
    if (message.at_key("content").get(value) != simdjson::SUCCESS) {
      p.message = "is missing";
      return false;
    }
    m.content.clear();
    if (value.is_null()) continue;  // an assistant turn of tool calls only
    if (value.get_string().get(text) == simdjson::SUCCESS) {
      m.content.assign(text);
      continue;
    }
    dom::array parts;
    if (value.get_array().get(parts) != simdjson::SUCCESS) {
      p.message = "must be a string, null or a list of {\"type\": \"text\", \"text\": ...} parts, got " + shown(value);
      return false;
    }
    std::size_t j = 0;
    for (const dom::element part : parts) {
      const std::string partField = indexed(base + ".content", j);
      dom::element type, partText;
      p.field = partField + ".type";
      if (part.at_key("type").get(type) != simdjson::SUCCESS || type.get_string().get(text) != simdjson::SUCCESS ||
          text != "text") {
        p.message = "only text parts are read (\"type\": \"text\"), got " + shown(part);
        return false;
      }
      p.field = partField + ".text";
      if (part.at_key("text").get(partText) != simdjson::SUCCESS ||
          partText.get_string().get(text) != simdjson::SUCCESS) {
        p.message = "must be a string";
        return false;
      }
      if (j++) m.content += '\n';
      m.content.append(text);
    }
  }
  text = ChatTemplate::render(ChatTemplate::Kind(m_template), p.messages);
  return true;
}

bool PromptTraceReader::parse(std::string_view line, TraceRequest& out) {
  Parser& p = *m_parser;
  p.field.clear();
  dom::element doc;
  if (const auto error = p.parser.parse(line.data(), line.size(), /*realloc_if_needed=*/false).get(doc)) {
    p.message = jsonError(error);
    return false;
  }
  if (doc.get_object().get(p.object) != simdjson::SUCCESS) {
    p.message = "expected one JSON object per line, got " + shown(doc);
    return false;
  }
  const char* source = nullptr;
  dom::element value;
  for (const char* key : kPromptKeys) {
    if (p.object.at_key(key).get(value) != simdjson::SUCCESS) continue;
    if (source) {
      p.field = key;
      p.message = std::string("is given with ") + source + ": one of messages, prompt, prompt_token_ids per line";
      return false;
    }
    source = key;
  }
  if (!source) {
    p.message = "has none of messages, prompt, prompt_token_ids (one of them per line)";
    return false;
  }

  p.field = "timestamp";
  out.timestampMs = m_first ? 0 : m_lastTimestampMs + kIntervalMs;
  if (p.object.at_key("timestamp").get(value) == simdjson::SUCCESS &&
      !readSecondsAsMs(value, /*allowString=*/false, out.timestampMs, p.message))
    return false;
  out.outputLength = kDefaultOutputTokens;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    p.field = key;
    std::uint64_t n = 0;
    if (p.object.at_key(key).get(value) != simdjson::SUCCESS) continue;
    if (!readUnsigned(value, std::numeric_limits<std::uint32_t>::max(), "a non-negative integer below 2^32 (tokens)",
                      n, p.message))
      return false;
    out.outputLength = std::uint32_t(n);
    break;
  }
  p.field = "model";
  out.model = kNoLabel;
  if (p.object.at_key("model").get(value) == simdjson::SUCCESS) {
    std::string_view model;
    if (value.get_string().get(model) != simdjson::SUCCESS) {
      p.message = "must be a string, got " + shown(value);
      return false;
    }
    out.model = m_info.models.intern(model);
  }

  p.field = source;
  p.tokens.clear();
  if (source == kPromptKeys[2]) {  // prompt_token_ids
    value = p.object.at_key(source).value_unsafe();
    dom::array ids;
    if (value.get_array().get(ids) != simdjson::SUCCESS) {
      p.message = "expected an array of token ids (integers >= 0), got " + shown(value);
      return false;
    }
    for (const dom::element id : ids) {
      std::uint64_t n = 0;
      if (id.get_uint64().get(n) != simdjson::SUCCESS || n > std::uint64_t(std::numeric_limits<std::int32_t>::max())) {
        p.field = indexed(source, p.tokens.size());
        p.message = "must be a token id in [0, 2^31), got " + shown(id);
        return false;
      }
      p.tokens.push_back(std::int32_t(n));
    }
  } else {
    if (!m_tokenizer) {
      p.message = "is text: give --tokenizer PATH (a Hugging Face tokenizer.json) to tokenize it (token ids in "
                  "prompt_token_ids need none)";
      return false;
    }
    if (source == kPromptKeys[0]) {
      if (!renderMessages(p.text)) return false;
    } else {
      value = p.object.at_key(source).value_unsafe();
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) {
        p.message = "must be a string, got " + shown(value);
        return false;
      }
      p.text.assign(text);
    }
    p.field = source;
    try {
      // A chat template writes its special tokens; a completion prompt gets the post-processor's (BOS).
      p.tokens = m_tokenizer->encode(p.text, /*addSpecialTokens=*/source == kPromptKeys[1]);
    } catch (const InputError& e) {
      p.message = "cannot be tokenized: " + e.message;
      return false;
    }
  }
  if (p.tokens.size() > std::numeric_limits<std::uint32_t>::max()) {
    p.message = "has more than 2^32 tokens";
    return false;
  }
  out.inputLength = std::uint32_t(p.tokens.size());

  // Full blocks only, each keyed by the chain of everything before it (see the header).
  const std::size_t b = m_info.blockSize;
  out.hashIds.clear();
  CacheKey parent{};
  for (std::size_t start = 0; start + b <= p.tokens.size(); start += b) {
    parent = chainedBlockKey(BlockHash::Xxh3, parent, std::span<const std::int32_t>(p.tokens).subspan(start, b));
    out.hashIds.push_back(m_keys.try_emplace(parent, m_keys.size()).first->second);
  }
  p.field.clear();
  return true;
}

bool PromptTraceReader::next(TraceRequest& out) {
  std::string_view line;
  while (true) {
    if (!nextContentLine(m_lines, m_info.path, line)) return false;
    if (!parse(line, out)) {
      reportBadLine(m_info.path, m_lines.lineNumber(), m_parser->field, m_parser->message);
      continue;
    }
    if (!m_first && out.timestampMs < m_lastTimestampMs) {
      reportBadLine(m_info.path, m_lines.lineNumber(), "timestamp",
                    "is " + std::to_string(out.timestampMs) + " ms, earlier than the previous request's " +
                        std::to_string(m_lastTimestampMs) + " ms; requests must be in arrival order");
      continue;
    }
    m_first = false;
    m_lastTimestampMs = out.timestampMs;
    out.blockTokens.clear();
    out.chunkIds.clear();
    out.segments.clear();
    out.requestId = out.parentId = -1;
    out.session = out.requestType = kNoLabel;
    out.turn = 0;
    return true;
  }
}

}  // namespace kvlab
