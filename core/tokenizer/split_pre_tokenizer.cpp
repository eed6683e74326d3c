// SPDX-License-Identifier: MIT
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/tokenizer/split_pre_tokenizer.h"

#include <pcre2.h>

#include <stdexcept>

namespace kvlab {

namespace {

// The JIT's own stack (its default is 32 KiB of the machine stack), grown up to 4 MiB, one per thread: long
// runs of the same class (a megabyte of spaces matched by \s+(?!\S)) backtrack deeply.
struct JitStack {
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  JitStack() {
    context = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
    if (context && stack) pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~JitStack() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
  }
  JitStack(const JitStack&) = delete;
  JitStack& operator=(const JitStack&) = delete;
};

pcre2_match_context* threadMatchContext() {
  thread_local JitStack jit;
  return jit.context;
}

std::size_t utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) return 2;
  if ((lead & 0xf0) == 0xe0) return 3;
  return 4;
}

}  // namespace

struct SplitPreTokenizer::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;  // JIT-compiled: matched through pcre2_jit_match, skipping pcre2_match's per-call checks
  ~Compiled() { pcre2_code_free(code); }
};

SplitPreTokenizer::SplitPreTokenizer(std::string pattern, PatternKind kind, Behavior behavior, bool invert)
    : m_compiled(std::make_unique<Compiled>()), m_behavior(behavior), m_invert(invert) {
  int error = 0;
  PCRE2_SIZE errorOffset = 0;
  // (PCRE2_LITERAL admits no UCP: a literal has no classes to widen.)
  const uint32_t options = PCRE2_UTF | (kind == PatternKind::Literal ? PCRE2_LITERAL : PCRE2_UCP);
  m_compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error,
                                   &errorOffset, nullptr);
  if (!m_compiled->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw std::invalid_argument("the regex does not compile at offset " + std::to_string(errorOffset) + ": " +
                                reinterpret_cast<const char*>(message));
  }
  // JIT where the platform has it; the interpreter otherwise (same results).
  m_compiled->jit = pcre2_jit_compile(m_compiled->code, PCRE2_JIT_COMPLETE) == 0;
}

SplitPreTokenizer::~SplitPreTokenizer() = default;

std::optional<SplitPreTokenizer::Behavior> SplitPreTokenizer::behaviorFromName(std::string_view name) {
  if (name == "Removed") return Behavior::Removed;
  if (name == "Isolated") return Behavior::Isolated;
  if (name == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (name == "MergedWithNext") return Behavior::MergedWithNext;
  if (name == "Contiguous") return Behavior::Contiguous;
  return std::nullopt;
}

std::vector<std::pair<std::size_t, std::size_t>> SplitPreTokenizer::delimiters(std::string_view text) const {
  std::vector<std::pair<std::size_t, std::size_t>> matches;
  const std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create(1, nullptr), &pcre2_match_data_free);
  if (!data) throw std::bad_alloc();
  pcre2_match_context* context = threadMatchContext();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t start = 0;
  while (start < text.size()) {
    // Valid UTF-8 is checked once per encode (HfTokenizer), not on every call.
    const int rc = m_compiled->jit ? pcre2_jit_match(m_compiled->code, subject, text.size(), start, 0, data.get(),
                                                     context)
                                   : pcre2_match(m_compiled->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK,
                                                 data.get(), context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof message);
      throw std::runtime_error(std::string("regex match failed: ") + reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
    if (ov[1] == ov[0]) {  // an empty match delimits nothing: move on one character
      start = ov[0] + utf8Length(static_cast<unsigned char>(text[ov[0]]));
      continue;
    }
    matches.emplace_back(ov[0], ov[1]);
    start = ov[1];
  }
  if (!m_invert) return matches;
  std::vector<std::pair<std::size_t, std::size_t>> inverted;
  std::size_t cursor = 0;
  for (const auto& [b, e] : matches) {
    if (b > cursor) inverted.emplace_back(cursor, b);
    cursor = e;
  }
  if (cursor < text.size()) inverted.emplace_back(cursor, text.size());
  return inverted;
}

void SplitPreTokenizer::split(std::vector<std::string_view>& pieces, PieceArena& arena) const {
  (void)arena;
  std::vector<std::string_view> out;
  out.reserve(pieces.size() * 4);
  for (const std::string_view piece : pieces) {
    std::vector<std::pair<std::size_t, std::size_t>> found = delimiters(piece);
    if (m_behavior == Behavior::Contiguous) {  // adjacent delimiters act as one
      std::vector<std::pair<std::size_t, std::size_t>> merged;
      for (const auto& d : found) {
        if (!merged.empty() && merged.back().second == d.first) merged.back().second = d.second;
        else merged.push_back(d);
      }
      found.swap(merged);
    }
    const auto emit = [&](std::size_t b, std::size_t e) {
      if (e > b) out.push_back(piece.substr(b, e - b));
    };
    std::size_t cursor = 0;
    for (const auto& [b, e] : found) {
      switch (m_behavior) {
        case Behavior::Removed:
          emit(cursor, b);
          break;
        case Behavior::Isolated:
        case Behavior::Contiguous:
          emit(cursor, b);
          emit(b, e);
          break;
        case Behavior::MergedWithPrevious:
          emit(cursor, e);
          break;
        case Behavior::MergedWithNext:
          emit(cursor, b);
          cursor = b;
          continue;  // the delimiter starts the next piece
      }
      cursor = e;
    }
    emit(cursor, piece.size());
  }
  pieces.swap(out);
}

}  // namespace kvlab
