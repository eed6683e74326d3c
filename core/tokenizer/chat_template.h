// SPDX-License-Identifier: MIT
#pragma once
// Chat templates written out in C++ (no Jinja): how a list of chat messages becomes the one prompt text a
// model sees. Special tokens are written as their text; the tokenizer finds them as added tokens.
//   llama-3  <|begin_of_text|> then per message
//              <|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>       (content trimmed)
//            then <|start_header_id|>assistant<|end_header_id|>\n\n
//            (Meta-Llama-3-8B-Instruct's template)
//   chatml   per message <|im_start|>ROLE\nCONTENT<|im_end|>\n then <|im_start|>assistant\n
//            (Qwen 2/2.5/3 without tools; Qwen 2.5 adds a default system message when there is none, and Qwen 3
//            rewrites earlier assistant turns that hold <think>: neither is done here)
//   raw      the contents concatenated as they are: text that is already templated
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kvlab {

class HfTokenizer;

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool", ...
  std::string content;
};

class ChatTemplate {
public:
  enum class Kind { Raw, Llama3, ChatMl };

  // "llama-3", "chatml", "raw"; nullopt otherwise.
  static std::optional<Kind> fromName(std::string_view name);
  static std::string_view name(Kind kind);
  // The family's template from the tokenizer's added tokens: <|start_header_id|> -> llama-3, <|im_start|> ->
  // chatml, else raw.
  static Kind detect(const HfTokenizer& tokenizer);

  // The prompt text, ending with the assistant's header (the generation prompt).
  static std::string render(Kind kind, std::span<const ChatMessage> messages);
};

}  // namespace kvlab
