// SPDX-License-Identifier: MIT
#pragma once
// Reader for your own prompts: JSON Lines of OpenAI-style requests, one per line, field order free, extra
// fields ignored. Each line holds exactly one of
//   "messages": [{"role": "system", "content": "..."}, ...]   a chat request (content: a string, null, or a
//                                                             list of {"type": "text", "text": "..."} parts,
//                                                             joined with "\n" as vLLM does)
//   "prompt": "..."                                           a completion request's text
//   "prompt_token_ids": [128000, 9906, ...]                   token ids (no tokenizer needed)
// and optionally "timestamp" (seconds, a number >= 0), "max_tokens" (or "max_completion_tokens": the output
// length) and "model" (kept as the request's model label).
//
// Text becomes tokens through PromptTextOptions (trace_reader.h): messages are rendered with the chat template
// (llama-3, chatml, raw, or auto: the family the tokenizer's added tokens name; core/tokenizer/chat_template.h)
// and encoded without adding special tokens (the template writes them); a prompt string is encoded with the
// tokenizer's post-processor (its BOS, as a completions server adds it).
//
// Blocks, as vLLM's prefix cache cuts them: full blocks of B tokens (B = --block-size, default 16, vLLM's
// default), each keyed by a hash chained on its parent's (core/cache/key_hasher.h: XXH3-128 of the parent key
// and the block's token ids, the first block's parent the zero key - vLLM's hash_block_tokens with a fixed
// NONE_HASH; the bytes differ from vLLM's, equal prefixes give equal keys all the same). The 128-bit keys are
// renumbered densely in first-seen order (the replayers' flat tables are fastest with that); two requests
// share a key exactly when they share every token up to the end of that block (a collision of XXH3-128 is
// not expected in practice). A partial last block gets NO key: vLLM never caches one, so its tokens are never
// hits (the trace model's "tokens past the last id"), the input length still counts every prompt token.
//
// Arrival: "timestamp" in seconds (as given, rounded to ms; non-decreasing); a line without one arrives
// kIntervalMs after the previous request (the first at 0). Output length: max_tokens, else
// kDefaultOutputTokens.
#include <absl/container/flat_hash_map.h>

#include <memory>
#include <optional>
#include <string>

#include "core/cache/cache_types.h"
#include "core/trace/line_reader.h"
#include "core/trace/trace_reader.h"

namespace kvlab {

struct TraceSniff;
class HfTokenizer;

class PromptTraceReader final : public TraceReader {
public:
  static constexpr std::uint32_t kDefaultBlockSize = 16;       // vLLM's default block size
  static constexpr std::int64_t kIntervalMs = 1000;            // a line without a timestamp: 1 s after the last
  static constexpr std::uint32_t kDefaultOutputTokens = 256;  // a line without max_tokens

  // Loads the tokenizer when options.prompts names one. Throws InputError naming the tokenizer file and its
  // field, or the field 'chat-template' for an unknown template name, or (path, 0, "") when the trace cannot
  // be opened.
  explicit PromptTraceReader(const std::string& path, TraceReadOptions options = {});
  ~PromptTraceReader() override;

  bool next(TraceRequest& out) override;
  std::uint64_t bytesRead() const override { return m_lines.bytesRead(); }
  std::uint64_t fileSize() const override { return m_lines.fileSize(); }

  // A first line that is a JSON object with messages, prompt or prompt_token_ids (and no hash_ids).
  static bool sniff(const TraceSniff& sniff);

private:
  struct Parser;
  bool parse(std::string_view line, TraceRequest& out);
  bool renderMessages(std::string& text);

  LineReader m_lines;
  std::unique_ptr<Parser> m_parser;
  std::unique_ptr<HfTokenizer> m_tokenizer;
  int m_template = 0;  // ChatTemplate::Kind
  absl::flat_hash_map<CacheKey, std::uint64_t> m_keys;  // chained block hash -> dense key
  std::int64_t m_lastTimestampMs = 0;
  bool m_first = true;
};

}  // namespace kvlab
