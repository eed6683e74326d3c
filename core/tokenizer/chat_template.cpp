// SPDX-License-Identifier: MIT
#include "core/tokenizer/chat_template.h"

#include "core/tokenizer/hf_tokenizer.h"

namespace kvlab {

namespace {

// Jinja's trim (Python's str.strip) on ASCII whitespace.
std::string_view trimmed(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<ChatTemplate::Kind> ChatTemplate::fromName(std::string_view name) {
  if (name == "llama-3") return Kind::Llama3;
  if (name == "chatml") return Kind::ChatMl;
  if (name == "raw") return Kind::Raw;
  return std::nullopt;
}

std::string_view ChatTemplate::name(Kind kind) {
  switch (kind) {
    case Kind::Llama3: return "llama-3";
    case Kind::ChatMl: return "chatml";
    case Kind::Raw: return "raw";
  }
  return "raw";
}

ChatTemplate::Kind ChatTemplate::detect(const HfTokenizer& tokenizer) {
  if (tokenizer.addedTokenId("<|start_header_id|>")) return Kind::Llama3;
  if (tokenizer.addedTokenId("<|im_start|>")) return Kind::ChatMl;
  return Kind::Raw;
}

std::string ChatTemplate::render(Kind kind, std::span<const ChatMessage> messages) {
  std::string out;
  switch (kind) {
    case Kind::Llama3:
      out = "<|begin_of_text|>";
      for (const ChatMessage& m : messages) {
        out += "<|start_header_id|>";
        out += m.role;
        out += "<|end_header_id|>\n\n";
        out += trimmed(m.content);
        out += "<|eot_id|>";
      }
      out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case Kind::ChatMl:
      for (const ChatMessage& m : messages) {
        out += "<|im_start|>";
        out += m.role;
        out += '\n';
        out += m.content;
        out += "<|im_end|>\n";
      }
      out += "<|im_start|>assistant\n";
      break;
    case Kind::Raw:
      for (const ChatMessage& m : messages) out += m.content;
      break;
  }
  return out;
}

}  // namespace kvlab
