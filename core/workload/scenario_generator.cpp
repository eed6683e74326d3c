// SPDX-License-Identifier: MIT
// generateRequests(): the scenario kinds turned into prompts. Declared in scenario.h.
#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "core/workload/scenario.h"
#include "core/workload/seeded_random.h"

namespace kvlab {

namespace {

// Independent random streams per concern (see SeededRandom): text, lengths, choices, arrivals.
// Output lengths have their own stream, so adding output_tokens to a file leaves its prompts unchanged.
enum Stream : uint64_t {
  kTextStream = 1,
  kLengthStream = 2,
  kChoiceStream = 3,
  kArrivalStream = 4,
  kOutputStream = 5
};

constexpr std::string_view kWords[] = {
    "the",      "cache",   "model",   "token",    "layer",  "attention", "key",    "value",   "prompt",
    "system",   "request", "memory",  "block",    "prefix", "hit",       "miss",   "policy",  "evict",
    "page",     "tree",    "a",       "of",       "to",     "and",       "in",     "is",      "for",
    "on",       "with",    "that",    "this",     "it",     "by",        "from",   "as",      "at",
    "be",       "or",      "an",      "are",      "was",    "will",      "can",    "each",    "every",
    "new",      "old",     "first",   "last",     "next",   "long",      "short",  "small",   "large",
    "fast",     "slow",    "shared",  "same",     "user",   "agent",     "tool",   "search",  "result",
    "document", "query",   "answer",  "question", "reply",  "store",     "load",   "reuse",   "compute",
    "read",     "write",   "send",    "keep",     "drop",   "find",      "check",  "return",  "build",
    "run",      "step",    "turn",    "time",     "size",   "count",     "list",   "table",   "file",
    "report",   "plan",    "task",    "note",     "idea",   "data",      "batch",  "queue",   "limit",
    "budget",   "cost",    "speed",   "order",    "rule",   "case",      "river",  "garden",  "window",
    "paper",    "light",   "stone",   "music",    "city",   "market",    "letter", "morning", "winter",
    "forest",   "bridge",  "kitchen", "story",    "friend", "quickly",   "often",  "never",   "again",
    "later",    "always",  "only",    "also",
};

// Readable ASCII pseudo-English of exactly `tokens` bytes (1 byte = 1 token): `label` first,
// sentences of seeded words, a final '\n' so segments read as lines in the request view.
std::string synthText(SeededRandom& rng, uint32_t tokens, std::string_view label) {
  std::string out;
  out.reserve(tokens + 16);
  if (label.size() < tokens) out += label;
  bool sentenceStart = true;
  uint64_t wordsLeft = rng.uniformInt(6, 14);
  while (out.size() < tokens) {
    std::string word(kWords[rng.uniformInt(0, std::size(kWords) - 1)]);
    if (sentenceStart) word[0] = static_cast<char>(word[0] - 'a' + 'A');
    sentenceStart = false;
    out += word;
    if (--wordsLeft == 0) {
      out += '.';
      sentenceStart = true;
      wordsLeft = rng.uniformInt(6, 14);
    }
    out += ' ';
  }
  out.resize(tokens);
  if (tokens >= 2) out.back() = '\n';
  return out;
}

uint32_t pick(SeededRandom& rng, UIntRange range) {
  return static_cast<uint32_t>(rng.uniformInt(range.min, range.max));
}

// Largest single Poisson gap: 100000 arrivals (the count limit) of it still fit an int64 of ms.
constexpr double kMaxPoissonGapMs = 1e12;

// Arrival times of independent arrivals: 0, then gaps from the arrival process.
class ArrivalClock {
public:
  ArrivalClock(const ScenarioSpec& spec) : m_arrival(spec.arrival), m_rng(spec.seed, kArrivalStream) {}

  int64_t next() {
    const int64_t now = m_nowMs;
    if (m_arrival.mode == ArrivalMode::Closed)
      m_nowMs += m_arrival.intervalMs;
    else  // a tiny rate (1e-300/s) would give a gap past int64: cap one gap at ~31 years
      m_nowMs += std::llround(std::min(m_rng.exponential(1000.0 / m_arrival.ratePerS), kMaxPoissonGapMs));
    return now;
  }

  SeededRandom& rng() { return m_rng; }

private:
  ArrivalSpec m_arrival;
  SeededRandom m_rng;
  int64_t m_nowMs = 0;
};

ScenarioRequest makeRequest(int64_t arrivalMs, std::string session, std::string text,
                            std::vector<uint32_t> boundaries) {
  ScenarioRequest r;
  r.arrivalMs = arrivalMs;
  r.session = std::move(session);
  r.text = std::move(text);
  r.boundaries = std::move(boundaries);
  return r;
}

std::vector<ScenarioRequest> repeatedPrefix(const ScenarioSpec& spec) {
  const RepeatedPrefixParams& p = spec.repeatedPrefix;
  SeededRandom text(spec.seed, kTextStream);
  SeededRandom lengths(spec.seed, kLengthStream);
  ArrivalClock clock(spec);
  const std::string system = synthText(text, p.systemPromptTokens, "System: ");
  std::vector<ScenarioRequest> out;
  for (uint32_t q = 0; q < p.questions; ++q) {
    std::string prompt = system + synthText(text, pick(lengths, p.questionTokens), "Question: ");
    const auto size = static_cast<uint32_t>(prompt.size());
    out.push_back(makeRequest(clock.next(), "question " + std::to_string(q + 1), std::move(prompt),
                              {static_cast<uint32_t>(system.size()), size}));
  }
  return out;
}

std::vector<ScenarioRequest> agentic(const ScenarioSpec& spec) {
  const AgenticParams& p = spec.agentic;
  SeededRandom text(spec.seed, kTextStream);
  SeededRandom lengths(spec.seed, kLengthStream);
  ArrivalClock clock(spec);
  std::string prompt = synthText(text, p.systemPromptTokens, "System: ");
  std::vector<uint32_t> boundaries = {static_cast<uint32_t>(prompt.size())};
  prompt += synthText(text, p.userTaskTokens, "Task: ");
  boundaries.push_back(static_cast<uint32_t>(prompt.size()));
  std::vector<ScenarioRequest> out;
  for (uint32_t step = 0; step < p.steps; ++step) {
    if (step > 0) {
      // The previous step's answer (a tool call) and the tool's result extend the prompt.
      prompt += synthText(text, pick(lengths, p.actionTokens), "Action: ");
      prompt += synthText(text, pick(lengths, p.toolOutputTokens), "Tool result: ");
      boundaries.push_back(static_cast<uint32_t>(prompt.size()));
    }
    out.push_back(makeRequest(clock.next(), "step " + std::to_string(step + 1), prompt, boundaries));
  }
  return out;
}

std::vector<ScenarioRequest> multiTurnChat(const ScenarioSpec& spec) {
  const MultiTurnChatParams& p = spec.multiTurnChat;
  SeededRandom text(spec.seed, kTextStream);
  SeededRandom lengths(spec.seed, kLengthStream);
  ArrivalClock clock(spec);
  const std::string system = synthText(text, p.systemPromptTokens, "System: ");
  std::vector<ScenarioRequest> out;
  for (uint32_t user = 0; user < p.users; ++user) {
    const std::string session = "user " + std::to_string(user + 1);
    std::string history = system;
    std::vector<uint32_t> boundaries = {static_cast<uint32_t>(system.size())};
    int64_t arrivalMs = clock.next();
    for (uint32_t turn = 0; turn < p.turnsPerUser; ++turn) {
      if (turn > 0) arrivalMs += pick(clock.rng(), p.thinkTimeMs);
      history += synthText(text, pick(lengths, p.userMessageTokens), "User: ");
      boundaries.push_back(static_cast<uint32_t>(history.size()));
      out.push_back(makeRequest(arrivalMs, session, history, boundaries));
      history += synthText(text, pick(lengths, p.assistantReplyTokens), "Assistant: ");
      boundaries.push_back(static_cast<uint32_t>(history.size()));
    }
  }
  return out;
}

std::vector<ScenarioRequest> rag(const ScenarioSpec& spec) {
  const RagParams& p = spec.rag;
  SeededRandom text(spec.seed, kTextStream);
  SeededRandom lengths(spec.seed, kLengthStream);
  SeededRandom choice(spec.seed, kChoiceStream);
  ArrivalClock clock(spec);
  const std::string system = synthText(text, p.systemPromptTokens, "System: ");
  std::vector<std::string> documents(p.documents);
  for (uint32_t d = 0; d < p.documents; ++d)
    documents[d] =
        synthText(text, pick(lengths, p.documentTokens), "Document " + std::to_string(d + 1) + ": ");
  const std::vector<double> popularity = SeededRandom::zipfCumulative(p.documents, p.zipfS);
  std::vector<ScenarioRequest> out;
  std::vector<uint32_t> chosen;
  for (uint32_t q = 0; q < p.queries; ++q) {
    // K distinct documents by Zipf popularity; after many collisions (K close to N with a steep
    // Zipf) fill up with the most popular unused ones, still deterministic.
    chosen.clear();
    for (uint32_t attempt = 0; chosen.size() < p.docsPerQuery && attempt < 64 * p.docsPerQuery; ++attempt) {
      const auto d = static_cast<uint32_t>(choice.pickCumulative(popularity));
      if (std::find(chosen.begin(), chosen.end(), d) == chosen.end()) chosen.push_back(d);
    }
    for (uint32_t d = 0; chosen.size() < p.docsPerQuery; ++d) {
      if (std::find(chosen.begin(), chosen.end(), d) == chosen.end()) chosen.push_back(d);
    }
    if (p.sortDocs) std::sort(chosen.begin(), chosen.end());
    std::string prompt = system;
    std::vector<uint32_t> boundaries = {static_cast<uint32_t>(prompt.size())};
    for (uint32_t d : chosen) {
      prompt += documents[d];
      boundaries.push_back(static_cast<uint32_t>(prompt.size()));
    }
    prompt += synthText(text, pick(lengths, p.questionTokens), "Question: ");
    boundaries.push_back(static_cast<uint32_t>(prompt.size()));
    out.push_back(makeRequest(clock.next(), "query " + std::to_string(q + 1), std::move(prompt),
                              std::move(boundaries)));
  }
  return out;
}

// One prompt, decoded for spec.outputTokens tokens.
std::vector<ScenarioRequest> decode(const ScenarioSpec& spec) {
  SeededRandom text(spec.seed, kTextStream);
  std::string prompt = synthText(text, spec.decode.promptTokens, "Prompt: ");
  const auto size = static_cast<uint32_t>(prompt.size());
  std::vector<ScenarioRequest> out;
  out.push_back(makeRequest(0, "prompt", std::move(prompt), {size}));
  return out;
}

}  // namespace

std::vector<ScenarioRequest> generateRequests(const ScenarioSpec& spec) {
  std::vector<ScenarioRequest> out;
  switch (spec.kind) {
    case ScenarioKind::RepeatedPrefix:
      out = repeatedPrefix(spec);
      break;
    case ScenarioKind::Agentic:
      out = agentic(spec);
      break;
    case ScenarioKind::MultiTurnChat:
      out = multiTurnChat(spec);
      break;
    case ScenarioKind::Rag:
      out = rag(spec);
      break;
    case ScenarioKind::Decode:
      out = decode(spec);
      break;
  }
  // In generation order, before sorting by arrival, so a request keeps its length when arrivals change.
  SeededRandom outputs(spec.seed, kOutputStream);
  for (ScenarioRequest& r : out) r.outputTokens = pick(outputs, spec.outputTokens);
  std::stable_sort(out.begin(), out.end(), [](const ScenarioRequest& a, const ScenarioRequest& b) {
    return a.arrivalMs < b.arrivalMs;
  });
  for (size_t i = 0; i < out.size(); ++i) out[i].index = static_cast<int>(i);
  return out;
}

}  // namespace kvlab
