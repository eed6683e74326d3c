// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Workload scenarios: one JSON schema (documented field by field in scenarios/README.md), one loader,
// one deterministic generator. The GUI, the CLI and the tests all run the same files.
// Parsing and validation live in scenario.cpp, request generation in scenario_generator.cpp.
// Token = byte: generated prompts are ASCII and the model tokenizes UTF-8 bytes.

namespace kvlab {

enum class ScenarioKind {
  RepeatedPrefix,  // one long system prompt, many short independent questions
  Agentic,         // one agent loop: each step's prompt extends the previous one
  MultiTurnChat,   // several users, each turn re-sends that user's whole history
  Rag,             // system prompt + K of N shared documents (Zipf popularity) + question
  Decode,          // one prompt decoded token by token, with and without the per-sequence K/V cache
};

// "repeated-prefix", "agentic", "multi-turn-chat", "rag", "decode": the schema's `kind` values.
std::string_view scenarioKindName(ScenarioKind kind);

struct UIntRange {
  uint32_t min = 0;  // inclusive
  uint32_t max = 0;  // inclusive, >= min
};

// Cache settings the scenario suggests; the GUI/CLI may override every one.
struct ScenarioCacheSettings {
  std::string granularity = "block";   // "prompt" | "block" | "radix"
  uint32_t blockSize = 16;             // tokens per block (block and radix granularity), [1, 65536]
  std::string policy = "lru";          // eviction policy registry name; checked by the policy registry
  std::string maxSize = "1GiB";        // as written in the file (for display)
  uint64_t maxSizeBytes = 1ull << 30;  // parseSize(maxSize), > 0
  std::string ttl = "0";               // as written in the file
  int64_t ttlMs = 0;                   // parseDurationMs(ttl); 0 = entries never expire
};

enum class ArrivalMode {
  Closed,   // one client, one request at a time: arrivals `intervalMs` apart on the simulated clock
  Poisson,  // open loop: exponential gaps with mean 1000 / ratePerS ms
};

// How arrivalMs is assigned to independent arrivals: each question (repeated-prefix), each step
// (agentic), each user's first turn (multi-turn-chat; later turns add think time), each query (rag).
struct ArrivalSpec {
  ArrivalMode mode = ArrivalMode::Closed;
  uint32_t intervalMs = 1000;  // closed: gap between consecutive arrivals, [0, 86400000]
  double ratePerS = 1.0;       // poisson: mean arrivals per second, (0, 1e6]
};

struct RepeatedPrefixParams {
  uint32_t systemPromptTokens = 1500;  // shared by every request
  uint32_t questions = 30;             // requests
  UIntRange questionTokens{30, 80};    // per question, uniform
};

struct AgenticParams {
  uint32_t steps = 16;                  // requests, one per agent step
  uint32_t systemPromptTokens = 1400;   // system prompt + tool schemas
  uint32_t userTaskTokens = 100;        // the user's task, after the system prompt
  UIntRange actionTokens{8, 20};        // assistant's tool call appended after each step
  UIntRange toolOutputTokens{60, 140};  // tool result appended after each action
};

struct MultiTurnChatParams {
  uint32_t users = 6;                       // concurrent conversations
  uint32_t turnsPerUser = 8;                // requests per user
  uint32_t systemPromptTokens = 400;        // shared by all users
  UIntRange userMessageTokens{20, 80};      // per turn
  UIntRange assistantReplyTokens{80, 200};  // appended to the history after each turn
  UIntRange thinkTimeMs{2000, 8000};        // gap between a user's consecutive turns
};

struct RagParams {
  uint32_t systemPromptTokens = 200;   // shared by every query
  uint32_t documents = 40;             // corpus size N
  UIntRange documentTokens{300, 600};  // per document, fixed per document
  uint32_t docsPerQuery = 3;           // K distinct documents per query, <= documents
  double zipfS = 1.1;                  // popularity exponent, [0, 10]; 0 = uniform; doc 0 most popular
  bool sortDocs = false;               // false: retrieval order (most relevant first); true: by doc id
  uint32_t queries = 40;               // requests
  UIntRange questionTokens{20, 60};    // per query, after the documents
};

struct DecodeParams {
  uint32_t promptTokens = 200;  // the one prompt; its output length is the scenario's output_tokens
};

// Output tokens per request when a scenario does not say: 1 (the first token, from the prefill); the
// decode kind's default is kDefaultDecodeOutputTokens.
inline constexpr uint32_t kDefaultDecodeOutputTokens = 256;

struct ScenarioSpec {
  std::string name;         // file stem, [a-z0-9-]+ (e.g. "repeated-prefix")
  std::string title;        // one line for menus
  std::string description;  // 1-3 teaching sentences
  ScenarioKind kind = ScenarioKind::RepeatedPrefix;
  std::string model = "demo";  // model preset name; checked by the model layer
  uint64_t seed = 1;
  // Tokens each request generates, the first included (it comes from the prefill's logits); drawn
  // uniformly per request. {1, 1}: prefill only.
  UIntRange outputTokens{1, 1};
  ScenarioCacheSettings cache;
  ArrivalSpec arrival;
  // Only the member matching `kind` is used; the others keep their defaults.
  RepeatedPrefixParams repeatedPrefix;
  AgenticParams agentic;
  MultiTurnChatParams multiTurnChat;
  RagParams rag;
  DecodeParams decode;
  // Lower-case hex SHA-256 of the file's bytes exactly as loadScenarioFile read them; empty when the
  // spec came from parseScenarioJson directly.
  std::string fileSha256;
};

// Upper bound on the prompt tokens a scenario may generate in total (validation rejects more).
inline constexpr uint64_t kMaxScenarioTotalTokens = 64ull << 20;

// Parses and validates a scenario. Throws InputError(fileNameForErrors, 0 or line, "dotted.field",
// message) on invalid JSON, wrong types, out-of-range values, unknown keys (at every level), or a
// kind-specific section that does not match `kind`.
ScenarioSpec parseScenarioJson(std::string_view text, const std::string& fileNameForErrors);

// Reads `path` (at most 1 MiB) and parses it; errors name `path`. Sets fileSha256.
ScenarioSpec loadScenarioFile(const std::string& path);

// Names of the scenarios shipped in scenarios/, in menu order.
const std::vector<std::string>& bundledScenarioNames();

// A bare name ("rag", no '/' and no ".json" or ".jsonl") resolves to scenarioDir/<name>.json; anything else
// (a trace "t.jsonl" in the current directory included) is a path and is returned as given. Throws InputError(field "scenario") if the file does not exist,
// listing the *.json names in scenarioDir.
std::string resolveScenario(std::string_view nameOrPath, const std::string& scenarioDir);

struct ScenarioRequest {
  int index = 0;          // position in the returned vector (arrival order)
  int64_t arrivalMs = 0;  // on the scenario's simulated clock, starts at 0, non-decreasing
  std::string session;    // who sent it, for display: "question 3", "step 5", "user 2", "query 7"
  std::string text;       // the full prompt, ASCII (1 byte = 1 token)
  // Ascending byte offsets where a reusable segment ends: the end of the system prompt, the end of
  // every earlier request of the same session that this prompt extends (agentic, multi-turn-chat)
  // and of each assistant reply, the end of each document (rag). Last == text.size().
  std::vector<uint32_t> boundaries;
  uint32_t outputTokens = 1;  // tokens to generate, the first included (>= 1); from spec.outputTokens
};

// Deterministic for a given spec (own distribution code over std::mt19937_64, so every standard
// library produces the same requests). Separate random streams for text, lengths, choices and
// arrivals: changing the question count does not change the system prompt. Sorted by arrivalMs
// (ties keep generation order). Throws nothing for a validated spec.
std::vector<ScenarioRequest> generateRequests(const ScenarioSpec& spec);

}  // namespace kvlab
