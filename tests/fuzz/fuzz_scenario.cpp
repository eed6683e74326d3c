// SPDX-License-Identifier: MIT
// libFuzzer target: a scenario file (parseScenarioJson), then request generation for what validates.
// Invariants: only InputError escapes the parser, its message names the file; a validated spec
// generates requests whose boundaries are ascending and end at the prompt's end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/util/input_error.h"
#include "core/workload/scenario.h"

namespace {
constexpr uint64_t kMaxGeneratedTokens = 2u << 20;  // keep one input fast: generate only small scenarios

uint64_t upperBoundTokens(const kvlab::ScenarioSpec& s) {
  using kvlab::ScenarioKind;
  switch (s.kind) {
    case ScenarioKind::RepeatedPrefix:
      return uint64_t(s.repeatedPrefix.questions) *
             (s.repeatedPrefix.systemPromptTokens + s.repeatedPrefix.questionTokens.max);
    case ScenarioKind::Agentic: {
      const auto& p = s.agentic;
      const uint64_t n = p.steps;
      return n * (p.systemPromptTokens + p.userTaskTokens) +
             (uint64_t(p.actionTokens.max) + p.toolOutputTokens.max) * n * n;
    }
    case ScenarioKind::MultiTurnChat: {
      const auto& p = s.multiTurnChat;
      const uint64_t n = p.turnsPerUser;
      return p.users * (n * (p.systemPromptTokens + p.userMessageTokens.max) +
                        (uint64_t(p.userMessageTokens.max) + p.assistantReplyTokens.max) * n * n);
    }
    case ScenarioKind::Rag:
      return uint64_t(s.rag.queries) *
             (s.rag.systemPromptTokens + uint64_t(s.rag.docsPerQuery) * s.rag.documentTokens.max +
              s.rag.questionTokens.max);
    case ScenarioKind::Decode:
      return s.decode.promptTokens;  // one prompt; its output tokens are decoded, not generated text
  }
  return 0;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  kvlab::ScenarioSpec spec;
  try {
    spec = kvlab::parseScenarioJson(text, "fuzz.json");
  } catch (const kvlab::InputError& e) {
    if (e.file != "fuzz.json" || e.message.empty() || std::string_view(e.what()).find("fuzz.json") != 0)
      std::abort();
    return 0;
  }
  if (spec.cache.maxSizeBytes == 0 || spec.name.empty()) std::abort();
  if (upperBoundTokens(spec) > kMaxGeneratedTokens) return 0;
  const auto requests = kvlab::generateRequests(spec);
  int64_t lastArrival = 0;
  for (const auto& r : requests) {
    if (r.arrivalMs < lastArrival || r.boundaries.empty() || r.boundaries.back() != r.text.size())
      std::abort();
    for (size_t i = 1; i < r.boundaries.size(); ++i) {
      if (r.boundaries[i] < r.boundaries[i - 1]) std::abort();
    }
    lastArrival = r.arrivalMs;
  }
  return 0;
}
