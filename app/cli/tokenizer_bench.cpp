// SPDX-License-Identifier: MIT
#include "tokenizer_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/tokenizer_json.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Best time of repeated runs of `f` until minSeconds have passed (at least 3 runs): single passes are at the
// mercy of the scheduler.
template <typename F>
double bestOf(double minSeconds, F&& f) {
  double best = 1e300, total = 0;
  for (int run = 0; run < 3 || total < minSeconds; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const double dt = secondsSince(t0);
    best = std::min(best, dt);
    total += dt;
  }
  return best;
}

}  // namespace

nlohmann::ordered_json runTokenizerBench(const std::string& tokenizerPath, const std::string& textFile,
                                         double minSeconds, bool table) {
  std::ifstream in(textFile, std::ios::binary);
  if (!in) throw InputError(textFile, 0, "", "cannot read the text file to tokenize");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  auto t0 = std::chrono::steady_clock::now();
  const std::unique_ptr<HfTokenizer> tokenizer = loadHfTokenizer(tokenizerPath);
  const double loadS = secondsSince(t0);

  // The first pass fills the BPE word cache, as any long run of real text does; the timed passes follow.
  std::vector<std::int32_t> ids;
  try {
    ids = tokenizer->encode(text);
  } catch (const InputError& e) {
    throw InputError(textFile, 0, e.field, e.message);
  }
  t0 = std::chrono::steady_clock::now();
  const double encodeS = bestOf(minSeconds, [&] { ids = tokenizer->encode(text); });
  std::string decoded;
  const double decodeS = bestOf(minSeconds / 4, [&] { decoded = tokenizer->decode(ids); });
  const double mb = double(text.size()) / 1e6;
  const std::string_view chat = ChatTemplate::name(ChatTemplate::detect(*tokenizer));
  nlohmann::ordered_json out;
  {
    out["tokenizer"] = tokenizerPath;
    out["text_file"] = textFile;
    out["bytes"] = text.size();
    out["tokens"] = ids.size();
    out["vocab_size"] = tokenizer->vocabSize();
    out["chat_template"] = chat;
    out["load_s"] = loadS;
    out["encode_s"] = encodeS;
    out["encode_mb_per_s"] = mb / encodeS;
    out["encode_tokens_per_s"] = double(ids.size()) / encodeS;
    out["decode_mb_per_s"] = mb / decodeS;
    out["round_trip_exact"] = decoded == text;
  }
  if (table) {
    std::printf("tokenizer bench: %s (vocab %d, chat template %.*s), loaded in %.3f s\n", tokenizerPath.c_str(),
                tokenizer->vocabSize(), int(chat.size()), chat.data(), loadS);
    std::printf("  text    %s: %zu bytes -> %zu tokens (%.2f bytes per token)\n", textFile.c_str(), text.size(),
                ids.size(), ids.empty() ? 0.0 : double(text.size()) / double(ids.size()));
    std::printf("  encode  %8.4f s  %7.2f MB/s  %6.2f M tokens/s  (single thread, best pass)\n", encodeS,
                mb / encodeS, double(ids.size()) / encodeS / 1e6);
    std::printf("  decode  %8.4f s  %7.2f MB/s  round trip %s\n", decodeS, mb / decodeS,
                decoded == text ? "exact" : "differs (the normalizer changed the text)");
  }
  return out;
}

}  // namespace kvlab
