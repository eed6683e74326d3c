// SPDX-License-Identifier: MIT
// Scenario files: every bundled file loads and generates deterministically with valid boundaries
// and the reuse structure its kind promises; bad files name the right field.
#include <QtTest/QtTest>
#include <map>
#include <set>
#include <unordered_set>

#include "core/util/input_error.h"
#include "core/workload/scenario.h"
#include "core/workload/seeded_random.h"

using namespace kvlab;

namespace {

std::string scenarioPath(const std::string& name) { return resolveScenario(name, KVLAB_SCENARIO_DIR); }

uint64_t fnv1a(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// Fingerprint of everything a run depends on: arrival, session, text, boundaries.
uint64_t fingerprint(const std::vector<ScenarioRequest>& requests) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const auto& r : requests) {
    const std::string header =
        std::to_string(r.index) + "|" + std::to_string(r.arrivalMs) + "|" + r.session + "|";
    h = fnv1a(h, header);
    h = fnv1a(h, r.text);
    for (uint32_t b : r.boundaries) h = fnv1a(h, std::to_string(b) + ",");
  }
  return h;
}

// Token hit rate of an unbounded block cache: a block hits if the same block at the same position
// after the same prefix was seen before (chained hash, as the engine keys blocks).
double idealBlockHitRate(const std::vector<ScenarioRequest>& requests, size_t blockSize) {
  std::unordered_set<uint64_t> seen;
  uint64_t hitTokens = 0;
  uint64_t totalTokens = 0;
  for (const auto& r : requests) {
    uint64_t h = 0xcbf29ce484222325ull;
    totalTokens += r.text.size();
    for (size_t block = 0; (block + 1) * blockSize <= r.text.size(); ++block) {
      h = fnv1a(h, std::string_view(r.text).substr(block * blockSize, blockSize));
      if (!seen.insert(h).second) hitTokens += blockSize;
    }
  }
  return totalTokens ? double(hitTokens) / double(totalTokens) : 0.0;
}

uint64_t totalTokens(const std::vector<ScenarioRequest>& requests) {
  uint64_t total = 0;
  for (const auto& r : requests) total += r.text.size();
  return total;
}

}  // namespace

class TestScenario : public QObject {
  Q_OBJECT

private slots:
  void bundledScenarios_data();
  void bundledScenarios();
  void repeatedPrefixSharesSystemPrompt();
  void agenticStepsExtendEachOther();
  void multiTurnChatHistories();
  void ragDocuments();
  void seedAndStreams();
  void poissonArrivals();
  void randomIsPortable();
  void defaultsForOptionalFields();
  void outputTokens();
  void badFiles_data();
  void badFiles();
  void resolve();
  void loadErrors();

private:
  QTemporaryDir m_dir;
};

void TestScenario::bundledScenarios_data() {
  QTest::addColumn<QString>("name");
  QTest::addColumn<double>("minHitRate");
  QTest::addColumn<quint64>("goldenFingerprint");
  // Golden fingerprints pin the generator: a change alters every run's numbers, so update them
  // deliberately from the "actual" line this test prints.
  QTest::newRow("repeated-prefix") << "repeated-prefix" << 0.90 << quint64(2602225324095898729ull);
  QTest::newRow("agentic") << "agentic" << 0.90 << quint64(2820387562103241014ull);
  QTest::newRow("multi-turn-chat") << "multi-turn-chat" << 0.70 << quint64(1302408042711316842ull);
  QTest::newRow("rag") << "rag" << 0.20 << quint64(11850928433288229410ull);
}

void TestScenario::bundledScenarios() {
  QFETCH(QString, name);
  QFETCH(double, minHitRate);
  QFETCH(quint64, goldenFingerprint);
  QVERIFY(std::find(bundledScenarioNames().begin(), bundledScenarioNames().end(), name.toStdString()) !=
          bundledScenarioNames().end());
  const ScenarioSpec spec = loadScenarioFile(scenarioPath(name.toStdString()));
  QCOMPARE(QString::fromStdString(spec.name), name);
  QCOMPARE(QString::fromStdString(std::string(scenarioKindName(spec.kind))), name);
  QVERIFY(!spec.title.empty());
  QVERIFY(!spec.description.empty());
  QCOMPARE(QString::fromStdString(spec.cache.granularity), QStringLiteral("block"));
  QCOMPARE(spec.cache.blockSize, 16u);
  QCOMPARE(spec.cache.ttlMs, int64_t(0));

  const auto requests = generateRequests(spec);
  QVERIFY(!requests.empty());
  QCOMPARE(fingerprint(generateRequests(spec)), fingerprint(requests));  // deterministic
  int64_t lastArrival = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const ScenarioRequest& r = requests[i];
    QCOMPARE(r.index, int(i));
    QVERIFY(r.arrivalMs >= lastArrival);
    lastArrival = r.arrivalMs;
    QVERIFY(!r.session.empty());
    QVERIFY(!r.text.empty());
    QVERIFY(std::all_of(r.text.begin(), r.text.end(),
                        [](char c) { return c == '\n' || (c >= 0x20 && c < 0x7f); }));
    QVERIFY(!r.boundaries.empty());
    QCOMPARE(size_t(r.boundaries.back()), r.text.size());
    QVERIFY(r.boundaries.front() > 0);
    QVERIFY(std::adjacent_find(r.boundaries.begin(), r.boundaries.end(), std::greater_equal<>()) ==
            r.boundaries.end());
  }
  const uint64_t tokens = totalTokens(requests);
  const double hitRate = idealBlockHitRate(requests, spec.cache.blockSize);
  qInfo("%s: %zu requests, %llu prompt tokens, ideal block hit rate %.3f, fingerprint actual %llu",
        qPrintable(name), requests.size(), static_cast<unsigned long long>(tokens), hitRate,
        static_cast<unsigned long long>(fingerprint(requests)));
  QVERIFY2(tokens <= 150000, "bundled scenarios must stay small enough for the uncached baseline");
  QVERIFY2(hitRate >= minHitRate, qPrintable(QString::number(hitRate)));
  if (goldenFingerprint != 0) QCOMPARE(quint64(fingerprint(requests)), goldenFingerprint);
}

void TestScenario::repeatedPrefixSharesSystemPrompt() {
  const ScenarioSpec spec = loadScenarioFile(scenarioPath("repeated-prefix"));
  const auto requests = generateRequests(spec);
  QCOMPARE(requests.size(), size_t(spec.repeatedPrefix.questions));
  const uint32_t system = spec.repeatedPrefix.systemPromptTokens;
  const std::string_view prefix = std::string_view(requests[0].text).substr(0, system);
  QVERIFY(prefix.starts_with("System: "));
  for (const auto& r : requests) {
    QCOMPARE(r.boundaries.size(), size_t(2));
    QCOMPARE(r.boundaries[0], system);
    QVERIFY(std::string_view(r.text).substr(0, system) == prefix);
    const size_t question = r.text.size() - system;
    QVERIFY(question >= spec.repeatedPrefix.questionTokens.min &&
            question <= spec.repeatedPrefix.questionTokens.max);
  }
  QCOMPARE(QString::fromStdString(requests[2].session), QStringLiteral("question 3"));
  QCOMPARE(requests[2].arrivalMs, int64_t(2 * spec.arrival.intervalMs));
}

void TestScenario::agenticStepsExtendEachOther() {
  const ScenarioSpec spec = loadScenarioFile(scenarioPath("agentic"));
  const auto requests = generateRequests(spec);
  QCOMPARE(requests.size(), size_t(spec.agentic.steps));
  QCOMPARE(requests[0].text.size(), size_t(spec.agentic.systemPromptTokens + spec.agentic.userTaskTokens));
  for (size_t i = 1; i < requests.size(); ++i) {
    const auto& previous = requests[i - 1];
    const auto& r = requests[i];
    QVERIFY(r.text.starts_with(previous.text));
    const size_t growth = r.text.size() - previous.text.size();
    QVERIFY(growth >= spec.agentic.actionTokens.min + spec.agentic.toolOutputTokens.min);
    QVERIFY(growth <= spec.agentic.actionTokens.max + spec.agentic.toolOutputTokens.max);
    // Every earlier step's end is a boundary of this one.
    QCOMPARE(r.boundaries.size(), previous.boundaries.size() + 1);
    QVERIFY(std::equal(previous.boundaries.begin(), previous.boundaries.end(), r.boundaries.begin()));
    QCOMPARE(QString::fromStdString(r.session), QStringLiteral("step %1").arg(i + 1));
  }
}

void TestScenario::multiTurnChatHistories() {
  const ScenarioSpec spec = loadScenarioFile(scenarioPath("multi-turn-chat"));
  const auto requests = generateRequests(spec);
  const auto& p = spec.multiTurnChat;
  QCOMPARE(requests.size(), size_t(p.users) * p.turnsPerUser);
  std::map<std::string, std::vector<const ScenarioRequest*>> bySession;
  for (const auto& r : requests) bySession[r.session].push_back(&r);
  QCOMPARE(bySession.size(), size_t(p.users));
  bool interleaved = false;
  for (const auto& [session, turns] : bySession) {
    QCOMPARE(turns.size(), size_t(p.turnsPerUser));
    for (size_t t = 1; t < turns.size(); ++t) {
      const ScenarioRequest& previous = *turns[t - 1];
      const ScenarioRequest& r = *turns[t];
      QVERIFY(r.text.starts_with(previous.text));  // full history + reply + new message
      QVERIFY(std::binary_search(r.boundaries.begin(), r.boundaries.end(), uint32_t(previous.text.size())));
      const int64_t think = r.arrivalMs - previous.arrivalMs;
      QVERIFY(think >= p.thinkTimeMs.min && think <= p.thinkTimeMs.max);
      if (r.index != previous.index + 1) interleaved = true;
    }
    QCOMPARE(turns[0]->boundaries[0], p.systemPromptTokens);
    QVERIFY(turns[0]->text.substr(0, p.systemPromptTokens) ==
            requests[0].text.substr(0, p.systemPromptTokens));
  }
  QVERIFY(interleaved);
}

void TestScenario::ragDocuments() {
  ScenarioSpec spec = loadScenarioFile(scenarioPath("rag"));
  QCOMPARE(spec.cache.maxSizeBytes, uint64_t(128) << 20);
  const auto& p = spec.rag;
  std::map<std::string, int> documentUses;
  for (const auto& r : generateRequests(spec)) {
    QCOMPARE(r.boundaries.size(), size_t(p.docsPerQuery + 2));
    QCOMPARE(r.boundaries[0], p.systemPromptTokens);
    std::set<std::string> inThisQuery;
    for (uint32_t d = 0; d < p.docsPerQuery; ++d) {
      const std::string doc = r.text.substr(r.boundaries[d], r.boundaries[d + 1] - r.boundaries[d]);
      QVERIFY(doc.starts_with("Document "));
      QVERIFY(doc.size() >= p.documentTokens.min && doc.size() <= p.documentTokens.max);
      QVERIFY(inThisQuery.insert(doc).second);  // distinct within a query
      ++documentUses[doc];
    }
  }
  QVERIFY(documentUses.size() <= p.documents);
  QVERIFY(documentUses.size() > p.docsPerQuery);
  // Zipf: the most used document is used far more often than the uniform share.
  int maxUses = 0;
  for (const auto& [doc, uses] : documentUses) maxUses = std::max(maxUses, uses);
  QVERIFY(maxUses > 3 * int(p.queries * p.docsPerQuery / p.documents));

  spec.rag.sortDocs = true;
  for (const auto& r : generateRequests(spec)) {
    for (uint32_t d = 1; d < p.docsPerQuery; ++d) {
      const auto number = [&](uint32_t i) { return std::stoi(r.text.substr(r.boundaries[i] + 9, 4)); };
      QVERIFY(number(d - 1) < number(d));
    }
  }
  // K == N with a steep Zipf still terminates and uses every document once.
  spec.rag.documents = 5;
  spec.rag.docsPerQuery = 5;
  spec.rag.zipfS = 10;
  for (const auto& r : generateRequests(spec)) QCOMPARE(r.boundaries.size(), size_t(7));
}

void TestScenario::seedAndStreams() {
  ScenarioSpec spec = loadScenarioFile(scenarioPath("repeated-prefix"));
  const auto base = generateRequests(spec);
  spec.repeatedPrefix.questions = 5;
  const auto fewer = generateRequests(spec);
  QCOMPARE(fewer.size(), size_t(5));
  for (size_t i = 0; i < fewer.size(); ++i)
    QCOMPARE(fewer[i].text, base[i].text);  // more questions only append
  spec.seed += 1;
  const auto reseeded = generateRequests(spec);
  QVERIFY(reseeded[0].text != base[0].text);
}

void TestScenario::poissonArrivals() {
  ScenarioSpec spec = loadScenarioFile(scenarioPath("repeated-prefix"));
  spec.arrival.mode = ArrivalMode::Poisson;
  spec.arrival.ratePerS = 10.0;
  spec.repeatedPrefix.questions = 2000;
  spec.repeatedPrefix.systemPromptTokens = 10;
  const auto requests = generateRequests(spec);
  QCOMPARE(requests.front().arrivalMs, int64_t(0));
  const double meanGapMs = double(requests.back().arrivalMs) / double(requests.size() - 1);
  QVERIFY2(meanGapMs > 90 && meanGapMs < 110, qPrintable(QString::number(meanGapMs)));
}

void TestScenario::randomIsPortable() {
  // std::mt19937_64 is specified exactly; our distributions on top of it must not vary either.
  SeededRandom a(42, 7);
  SeededRandom b(42, 7);
  SeededRandom other(42, 8);
  QCOMPARE(a.nextU64(), b.nextU64());
  QVERIFY(a.nextU64() != other.nextU64());
  for (int i = 0; i < 1000; ++i) {
    const uint64_t v = a.uniformInt(3, 9);
    QVERIFY(v >= 3 && v <= 9);
    const double u = a.uniform01();
    QVERIFY(u >= 0.0 && u < 1.0);
  }
  QCOMPARE(a.uniformInt(5, 5), uint64_t(5));
  const auto zipf = SeededRandom::zipfCumulative(4, 0.0);
  QCOMPARE(zipf.back(), 4.0);
  std::array<int, 4> counts{};
  for (int i = 0; i < 4000; ++i) ++counts[a.pickCumulative(zipf)];
  for (int c : counts) QVERIFY(c > 800 && c < 1200);
}

void TestScenario::defaultsForOptionalFields() {
  const ScenarioSpec spec = parseScenarioJson(
      R"({"name": "mini", "title": "Mini", "description": "Defaults.", "kind": "rag"})", "mini.json");
  QCOMPARE(spec.model, std::string("demo"));
  QCOMPARE(spec.seed, uint64_t(1));
  QCOMPARE(spec.cache.maxSizeBytes, uint64_t(1) << 30);
  QVERIFY(spec.arrival.mode == ArrivalMode::Closed);
  QCOMPARE(spec.rag.documents, 40u);
  QVERIFY(!generateRequests(spec).empty());
  const ScenarioSpec numeric = parseScenarioJson(
      R"({"name": "n", "title": "N", "description": "D.", "kind": "agentic", "seed": 18446744073709551615,
            "cache": {"max_size": 1048576, "ttl": "5m"}})",
      "n.json");
  QCOMPARE(numeric.seed, UINT64_MAX);
  QCOMPARE(numeric.cache.maxSizeBytes, uint64_t(1) << 20);
  QCOMPARE(numeric.cache.ttlMs, int64_t(300000));
}

void TestScenario::outputTokens() {
  // Absent: one token per request (the prefill's), and the decode kind's 256.
  const ScenarioSpec plain =
      parseScenarioJson(R"({"name": "p", "title": "P", "description": "D.", "kind": "agentic"})", "p.json");
  for (const ScenarioRequest& r : generateRequests(plain)) QCOMPARE(r.outputTokens, 1u);
  const ScenarioSpec decode = parseScenarioJson(
      R"({"name": "d", "title": "D", "description": "D.", "kind": "decode", "decode": {"prompt_tokens": 50}})",
      "d.json");
  const auto one = generateRequests(decode);
  QCOMPARE(int(one.size()), 1);
  QCOMPARE(one.front().outputTokens, kDefaultDecodeOutputTokens);
  QCOMPARE(one.front().text.size(), size_t(50));
  QCOMPARE(one.front().boundaries, std::vector<uint32_t>{50});
  // A range: drawn per request within it, from its own stream, so the prompts stay those of the file
  // without output_tokens.
  const ScenarioSpec ranged = parseScenarioJson(
      R"({"name": "p", "title": "P", "description": "D.", "kind": "agentic",
          "output_tokens": {"min": 3, "max": 6}})",
      "p.json");
  const auto requests = generateRequests(ranged);
  std::set<uint32_t> seen;
  for (const ScenarioRequest& r : requests) {
    QVERIFY(r.outputTokens >= 3 && r.outputTokens <= 6);
    seen.insert(r.outputTokens);
  }
  QVERIFY(seen.size() > 1);  // 16 draws from 4 values
  QCOMPARE(fingerprint(requests), fingerprint(generateRequests(plain)));
  const ScenarioSpec fixed = parseScenarioJson(
      R"({"name": "p", "title": "P", "description": "D.", "kind": "agentic", "output_tokens": 7})", "p.json");
  for (const ScenarioRequest& r : generateRequests(fixed)) QCOMPARE(r.outputTokens, 7u);
}

void TestScenario::badFiles_data() {
  QTest::addColumn<QString>("json");
  QTest::addColumn<QString>("field");
  QTest::addColumn<QString>("messagePart");
  const QString head = QStringLiteral(R"("name": "x", "title": "X", "description": "D.", )");
  const auto rag = [&](const QString& section) -> QString {
    return "{" + head + R"("kind": "rag", "rag": {)" + section + "}}";
  };
  const auto with = [&](const QString& extra) -> QString {
    return "{" + head + R"("kind": "agentic", )" + extra + "}";
  };
  QTest::newRow("not JSON") << "{name: 1}"
                            << ""
                            << "invalid JSON";
  QTest::newRow("truncated") << "{\"name\": "
                             << ""
                             << "invalid JSON";
  QTest::newRow("top-level array") << "[1]"
                                   << ""
                                   << "top level";
  QTest::newRow("unknown top-level key") << with(R"("sede": 3)") << "sede"
                                         << "unknown key";
  QTest::newRow("missing name") << R"({"title": "X", "description": "D.", "kind": "rag"})"
                                << "name"
                                << "required";
  QTest::newRow("missing kind") << QString("{" + head.chopped(2) + "}") << "kind"
                                << "required";
  QTest::newRow("bad kind") << QString("{" + head + R"("kind": "chat"})") << "kind"
                            << "must be one of";
  QTest::newRow("name with space")
      << R"({"name": "my file", "title": "X", "description": "D.", "kind": "rag"})"
      << "name"
      << "a-z";
  QTest::newRow("title number") << R"({"name": "x", "title": 5, "description": "D.", "kind": "rag"})"
                                << "title"
                                << "string";
  QTest::newRow("empty description") << R"({"name": "x", "title": "X", "description": "", "kind": "rag"})"
                                     << "description"
                                     << "non-empty";
  QTest::newRow("negative seed") << with(R"("seed": -1)") << "seed"
                                 << "-1";
  QTest::newRow("float seed") << with(R"("seed": 1.5)") << "seed"
                              << "1.5";
  QTest::newRow("documents negative") << rag(R"("documents": -3)") << "rag.documents"
                                      << "got -3";
  QTest::newRow("documents zero") << rag(R"("documents": 0)") << "rag.documents"
                                  << "[1, 100000]";
  QTest::newRow("documents 1e30") << rag(R"("documents": 1e30)") << "rag.documents"
                                  << "1e+30";
  QTest::newRow("documents string") << rag(R"("documents": "40")") << "rag.documents"
                                    << "the string '40'";
  QTest::newRow("documents null") << rag(R"("documents": null)") << "rag.documents"
                                  << "null";
  QTest::newRow("docs_per_query above documents")
      << rag(R"("documents": 4, "docs_per_query": 5)") << "rag.docs_per_query"
      << "[1, 4]";
  QTest::newRow("zipf negative") << rag(R"("zipf_s": -1)") << "rag.zipf_s"
                                 << "[0, 10]";
  QTest::newRow("zipf string") << rag(R"("zipf_s": "1.1")") << "rag.zipf_s"
                               << "number";
  QTest::newRow("sort_docs number") << rag(R"("sort_docs": 1)") << "rag.sort_docs"
                                    << "true or false";
  QTest::newRow("range not object") << rag(R"("question_tokens": [20, 60])") << "rag.question_tokens"
                                    << "min";
  QTest::newRow("range max below min")
      << rag(R"("question_tokens": {"min": 60, "max": 20})") << "rag.question_tokens.max"
      << ">= min";
  QTest::newRow("range missing max") << rag(R"("question_tokens": {"min": 60})") << "rag.question_tokens.max"
                                     << "required";
  QTest::newRow("range extra key") << rag(R"("question_tokens": {"min": 1, "max": 2, "avg": 1})")
                                   << "rag.question_tokens.avg"
                                   << "unknown key";
  QTest::newRow("range zero") << rag(R"("document_tokens": {"min": 0, "max": 5})")
                              << "rag.document_tokens.min"
                              << "[1, 1000000]";
  QTest::newRow("unknown rag key") << rag(R"("document": 3)") << "rag.document"
                                   << "unknown key";
  QTest::newRow("section for another kind") << with(R"("rag": {})") << "rag"
                                            << "does not match";
  QTest::newRow("section not object") << with(R"("agentic": 5)") << "agentic"
                                      << "object";
  QTest::newRow("output_tokens zero") << with(R"("output_tokens": 0)") << "output_tokens"
                                      << "[1, 100000]";
  QTest::newRow("output_tokens string") << with(R"("output_tokens": "8")") << "output_tokens"
                                        << "integer";
  QTest::newRow("output_tokens max < min")
      << with(R"("output_tokens": {"min": 9, "max": 3})") << "output_tokens.max"
      << ">= min";
  QTest::newRow("unknown decode key")
      << QString("{" + head + R"("kind": "decode", "decode": {"prompt": 5}})") << "decode.prompt"
      << "unknown key";
  QTest::newRow("steps huge") << with(R"("agentic": {"steps": 100001})") << "agentic.steps"
                              << "[1, 100000]";
  QTest::newRow("too many tokens")
      << with(R"("agentic": {"steps": 100000, "tool_output_tokens": {"min": 1000, "max": 1000}})")
      << "agentic"
      << "prompt tokens";
  QTest::newRow("chat think time negative")
      << QString("{" + head +
                 R"("kind": "multi-turn-chat", "multi-turn-chat": {"think_time_ms": {"min": -1, "max": 5}}})")
      << "multi-turn-chat.think_time_ms.min"
      << "-1";
  QTest::newRow("max_size garbage") << with(R"("cache": {"max_size": "lots"})") << "cache.max_size"
                                    << "expected a size";
  QTest::newRow("max_size 1e30 GiB") << with(R"("cache": {"max_size": "1e30 GiB"})") << "cache.max_size"
                                     << "too large";
  QTest::newRow("max_size zero") << with(R"("cache": {"max_size": "0"})") << "cache.max_size"
                                 << "larger than 0";
  QTest::newRow("max_size negative number") << with(R"("cache": {"max_size": -5})") << "cache.max_size"
                                            << "must be a string";
  QTest::newRow("ttl bad") << with(R"("cache": {"ttl": "soon"})") << "cache.ttl"
                           << "duration";
  QTest::newRow("granularity") << with(R"("cache": {"granularity": "page"})") << "cache.granularity"
                               << "radix";
  QTest::newRow("block_size zero") << with(R"("cache": {"block_size": 0})") << "cache.block_size"
                                   << "[1, 65536]";
  QTest::newRow("policy empty") << with(R"("cache": {"policy": ""})") << "cache.policy"
                                << "non-empty";
  QTest::newRow("policy odd") << with(R"("cache": {"policy": "L R U"})") << "cache.policy"
                              << "policy name";
  QTest::newRow("cache typo") << with(R"("cache": {"maxsize": "1GiB"})") << "cache.maxsize"
                              << "unknown key";
  QTest::newRow("arrival mode") << with(R"("arrival": {"mode": "open"})") << "arrival.mode"
                                << "poisson";
  QTest::newRow("rate zero") << with(R"("arrival": {"mode": "poisson", "rate_per_s": 0})")
                             << "arrival.rate_per_s"
                             << "(0, 1e+06]";
  QTest::newRow("rate huge") << with(R"("arrival": {"mode": "poisson", "rate_per_s": 1e300})")
                             << "arrival.rate_per_s"
                             << "1e+300";
  QTest::newRow("interval negative") << with(R"("arrival": {"interval_ms": -1})") << "arrival.interval_ms"
                                     << "-1";
  QTest::newRow("invalid UTF-8") << QString::fromLatin1("{\"name\": \"\xff\"}") << ""
                                 << "invalid JSON";
}

void TestScenario::badFiles() {
  QFETCH(QString, json);
  QFETCH(QString, field);
  QFETCH(QString, messagePart);
  // Latin-1 so the invalid-UTF-8 row reaches the parser byte for byte.
  const QByteArray bytes = json.toLatin1();
  try {
    parseScenarioJson(std::string_view(bytes.constData(), size_t(bytes.size())), "scenarios/bad.json");
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), field);
    QCOMPARE(QString::fromStdString(e.file), QStringLiteral("scenarios/bad.json"));
    QVERIFY2(QString::fromStdString(e.message).contains(messagePart), e.what());
    const QString prefix = field.isEmpty() ? QStringLiteral("scenarios/bad.json: ")
                                           : QStringLiteral("scenarios/bad.json: field '%1': ").arg(field);
    QVERIFY2(QString::fromUtf8(e.what()).startsWith(prefix), e.what());
  }
}

void TestScenario::resolve() {
  const std::string dir = KVLAB_SCENARIO_DIR;
  QCOMPARE(resolveScenario("rag", dir), dir + "/rag.json");
  QCOMPARE(resolveScenario(dir + "/agentic.json", dir), dir + "/agentic.json");
  try {
    resolveScenario("nope", dir);
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(e.field, std::string("scenario"));
    QVERIFY2(e.message.find("repeated-prefix") != std::string::npos, e.what());  // lists what exists
  }
  QVERIFY_THROWS_EXCEPTION(InputError, resolveScenario("missing/file.json", dir));
  QVERIFY_THROWS_EXCEPTION(InputError, resolveScenario("../rag", dir));
  QVERIFY_THROWS_EXCEPTION(InputError, resolveScenario("", dir));
  // A trace named without a directory is a file here, not a bundled name (`kvlab --scenario t.jsonl`).
  QTemporaryDir here;
  const QString before = QDir::currentPath();
  QVERIFY(QDir::setCurrent(here.path()));
  QFile trace(QStringLiteral("t.jsonl"));
  QVERIFY(trace.open(QIODevice::WriteOnly));
  trace.close();
  QCOMPARE(resolveScenario("t.jsonl", dir), std::string("t.jsonl"));
  try {
    resolveScenario("missing.jsonl", dir);
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QVERIFY2(e.message.find("no such file") != std::string::npos, e.what());
  }
  QVERIFY(QDir::setCurrent(before));
}

void TestScenario::loadErrors() {
  const std::string missing = m_dir.filePath(QStringLiteral("missing.json")).toStdString();
  try {
    loadScenarioFile(missing);
    QFAIL("expected an InputError");
  } catch (const InputError& e) {
    QCOMPARE(e.file, missing);
  }
  QVERIFY_THROWS_EXCEPTION(InputError, loadScenarioFile(m_dir.path().toStdString()));
  const QString big = m_dir.filePath(QStringLiteral("big.json"));
  QFile file(big);
  QVERIFY(file.open(QIODevice::WriteOnly));
  file.write(QByteArray(2 << 20, ' '));
  file.close();
  QVERIFY_THROWS_EXCEPTION(InputError, loadScenarioFile(big.toStdString()));
}

QTEST_GUILESS_MAIN(TestScenario)
#include "tst_scenario.moc"
