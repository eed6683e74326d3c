// SPDX-License-Identifier: MIT
#include "core/tokenizer/tokenizer_json.h"

#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/tokenizer/byte_level_alphabet.h"
#include "core/tokenizer/byte_level_pre_tokenizer.h"
#include "core/tokenizer/split_pre_tokenizer.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {

namespace dom = simdjson::dom;

// Where an error is: the file, and the dotted path of the field being read.
class Reader {
public:
  explicit Reader(std::string file) : m_file(std::move(file)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& message) const {
    throw InputError(m_file, 0, field, message);
  }
  const std::string& file() const { return m_file; }

  // obj[key], or nullopt when the key is absent or null.
  std::optional<dom::element> optional(dom::element obj, const std::string& field, std::string_view key) const {
    if (obj.type() != dom::element_type::OBJECT) fail(field, "expected an object");
    dom::element value;
    if (obj[key].get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
    return value;
  }
  dom::element required(dom::element obj, const std::string& field, std::string_view key) const {
    const std::optional<dom::element> value = optional(obj, field, key);
    if (!value) fail(join(field, key), "missing");
    return *value;
  }
  std::string_view string(dom::element value, const std::string& field) const {
    std::string_view out;
    if (value.get(out) != simdjson::SUCCESS) fail(field, "expected a string");
    return out;
  }
  bool boolean(dom::element obj, const std::string& field, std::string_view key, bool fallback) const {
    const std::optional<dom::element> value = optional(obj, field, key);
    if (!value) return fallback;
    bool out = false;
    if (value->get(out) != simdjson::SUCCESS) fail(join(field, key), "expected true or false");
    return out;
  }
  std::int32_t id(dom::element value, const std::string& field) const {
    std::uint64_t out = 0;
    if (value.get(out) != simdjson::SUCCESS || out > 0x7fffffffu) fail(field, "expected a token id (0..2^31-1)");
    return std::int32_t(out);
  }
  std::string_view type(dom::element obj, const std::string& field) const {
    return string(required(obj, field, "type"), join(field, "type"));
  }
  static std::string join(const std::string& field, std::string_view key) {
    return field.empty() ? std::string(key) : field + "." + std::string(key);
  }
  static std::string index(const std::string& field, std::size_t i) {
    return field + "[" + std::to_string(i) + "]";
  }
  [[noreturn]] void unsupported(const std::string& field, std::string_view value, std::string_view what) const {
    fail(field, "\"" + std::string(value) + "\" is not supported (" + std::string(what) + ")");
  }

private:
  std::string m_file;
};

// A vocabulary entry's raw bytes: its byte-level alphabet text decoded, or (an entry outside the alphabet,
// as tokenizers' ByteLevel decoder does) its UTF-8 as it is.
std::string rawBytes(std::string_view text) {
  std::optional<std::string> bytes = ByteLevelAlphabet::toBytes(text);
  return bytes ? std::move(*bytes) : std::string(text);
}

std::unique_ptr<BpeModel> readModel(const Reader& r, dom::element root) {
  const std::string f = "model";
  const dom::element model = r.required(root, "", "model");
  if (const std::string_view type = r.type(model, f); type != "BPE")
    r.unsupported("model.type", type, "byte-level BPE only");
  if (const auto dropout = r.optional(model, f, "dropout")) {
    double p = 0;
    if (dropout->get(p) != simdjson::SUCCESS || p != 0.0)
      r.fail("model.dropout", "BPE dropout is not supported (it makes encoding random)");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (const auto value = r.optional(model, f, key); value && !r.string(*value, f + "." + key).empty())
      r.fail(f + "." + key, "a subword prefix or suffix is not supported (byte-level BPE uses none)");
  if (r.boolean(model, f, "byte_fallback", false))
    r.fail("model.byte_fallback", "byte_fallback is not supported (SentencePiece-style BPE; byte-level only)");
  BpeModel::Options options;
  options.ignoreMerges = r.boolean(model, f, "ignore_merges", false);

  dom::object vocabObject;
  if (r.required(model, f, "vocab").get(vocabObject) != simdjson::SUCCESS)
    r.fail("model.vocab", "expected an object of token -> id");
  std::vector<std::pair<std::string, std::int32_t>> vocab;
  vocab.reserve(vocabObject.size());
  for (const dom::key_value_pair kv : vocabObject) {
    const std::string field = "model.vocab." + std::string(kv.key);
    vocab.emplace_back(rawBytes(kv.key), r.id(kv.value, field));
  }

  dom::array mergeArray;
  if (r.required(model, f, "merges").get(mergeArray) != simdjson::SUCCESS)
    r.fail("model.merges", "expected an array");
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(mergeArray.size());
  std::size_t i = 0;
  for (const dom::element m : mergeArray) {
    const std::string field = Reader::index("model.merges", i++);
    std::string_view left, right;
    if (m.type() == dom::element_type::STRING) {  // tokenizers < 0.20: "left right"
      const std::string_view both = r.string(m, field);
      const std::size_t space = both.find(' ');
      if (space == std::string_view::npos || both.find(' ', space + 1) != std::string_view::npos)
        r.fail(field, "expected two tokens separated by one space, got " + quoteForError(both));
      left = both.substr(0, space), right = both.substr(space + 1);
    } else {  // tokenizers >= 0.20: ["left", "right"]
      dom::array pair;
      if (m.get(pair) != simdjson::SUCCESS || pair.size() != 2) r.fail(field, "expected [\"left\", \"right\"]");
      left = r.string(pair.at(0).value_unsafe(), field), right = r.string(pair.at(1).value_unsafe(), field);
    }
    merges.emplace_back(rawBytes(left), rawBytes(right));
  }
  try {
    return std::make_unique<BpeModel>(std::move(vocab), merges, options);
  } catch (const InputError& e) {
    throw e.withLocation(r.file(), 0);
  }
}

void readNormalizer(const Reader& r, dom::element n, const std::string& field, std::vector<UnicodeNormalizer>& out) {
  const std::string_view type = r.type(n, field);
  if (type == "Sequence") {
    dom::array list;
    if (r.required(n, field, "normalizers").get(list) != simdjson::SUCCESS)
      r.fail(field + ".normalizers", "expected an array");
    std::size_t i = 0;
    for (const dom::element child : list) readNormalizer(r, child, Reader::index(field + ".normalizers", i++), out);
  } else if (type == "NFC") {
    out.emplace_back(UnicodeNormalizer::Form::Nfc);
  } else if (type == "NFD") {
    out.emplace_back(UnicodeNormalizer::Form::Nfd);
  } else if (type == "NFKC") {
    out.emplace_back(UnicodeNormalizer::Form::Nfkc);
  } else if (type == "NFKD") {
    out.emplace_back(UnicodeNormalizer::Form::Nfkd);
  } else {
    r.unsupported(field + ".type", type, "normalizers: NFC, NFD, NFKC, NFKD, Sequence");
  }
}

// Returns whether a ByteLevel stage was read.
bool readPreTokenizer(const Reader& r, dom::element p, const std::string& field,
                      std::vector<std::unique_ptr<PreTokenizer>>& out) {
  const std::string_view type = r.type(p, field);
  if (type == "Sequence") {
    dom::array list;
    if (r.required(p, field, "pretokenizers").get(list) != simdjson::SUCCESS)
      r.fail(field + ".pretokenizers", "expected an array");
    bool byteLevel = false;
    std::size_t i = 0;
    for (const dom::element child : list)
      byteLevel = readPreTokenizer(r, child, Reader::index(field + ".pretokenizers", i++), out) || byteLevel;
    return byteLevel;
  }
  if (type == "ByteLevel") {
    out.push_back(std::make_unique<ByteLevelPreTokenizer>(r.boolean(p, field, "add_prefix_space", false),
                                                          r.boolean(p, field, "use_regex", true)));
    return true;
  }
  if (type == "Split") {
    const dom::element pattern = r.required(p, field, "pattern");
    SplitPreTokenizer::PatternKind kind = SplitPreTokenizer::PatternKind::Regex;
    std::string patternField = field + ".pattern.Regex";
    std::optional<dom::element> text = r.optional(pattern, field + ".pattern", "Regex");
    if (!text) {
      kind = SplitPreTokenizer::PatternKind::Literal;
      patternField = field + ".pattern.String";
      text = r.optional(pattern, field + ".pattern", "String");
    }
    if (!text) r.fail(field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    const std::string_view behaviorName = r.string(r.required(p, field, "behavior"), field + ".behavior");
    const std::optional<SplitPreTokenizer::Behavior> behavior = SplitPreTokenizer::behaviorFromName(behaviorName);
    if (!behavior)
      r.unsupported(field + ".behavior", behaviorName,
                    "Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
    try {
      out.push_back(std::make_unique<SplitPreTokenizer>(std::string(r.string(*text, patternField)), kind, *behavior,
                                                        r.boolean(p, field, "invert", false)));
    } catch (const std::invalid_argument& e) {
      r.fail(patternField, e.what());
    }
    return false;
  }
  r.unsupported(field + ".type", type, "pre-tokenizers: Split, ByteLevel, Sequence");
}

void readPostProcessor(const Reader& r, dom::element p, const std::string& field, const AddedTokens& added,
                       std::vector<std::int32_t>& prefix, std::vector<std::int32_t>& suffix) {
  const std::string_view type = r.type(p, field);
  if (type == "ByteLevel") return;  // offsets only
  if (type == "Sequence") {
    dom::array list;
    if (r.required(p, field, "processors").get(list) != simdjson::SUCCESS)
      r.fail(field + ".processors", "expected an array");
    std::size_t i = 0;
    for (const dom::element child : list)
      readPostProcessor(r, child, Reader::index(field + ".processors", i++), added, prefix, suffix);
    return;
  }
  if (type != "TemplateProcessing")
    r.unsupported(field + ".type", type, "post-processors: TemplateProcessing, ByteLevel, Sequence");
  dom::array single;
  if (r.required(p, field, "single").get(single) != simdjson::SUCCESS) r.fail(field + ".single", "expected an array");
  const std::optional<dom::element> specials = r.optional(p, field, "special_tokens");
  // A later processor of a Sequence wraps what the earlier ones made: its parts go outside theirs.
  std::vector<std::int32_t> before, after;
  bool seenSequence = false;
  std::size_t i = 0;
  for (const dom::element piece : single) {
    const std::string pieceField = Reader::index(field + ".single", i++);
    if (r.optional(piece, pieceField, "Sequence")) {
      if (seenSequence) r.fail(pieceField, "the single-sequence template names its sequence twice");
      seenSequence = true;
      continue;
    }
    const std::optional<dom::element> special = r.optional(piece, pieceField, "SpecialToken");
    if (!special) r.fail(pieceField, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    const std::string_view name = r.string(r.required(*special, pieceField + ".SpecialToken", "id"),
                                           pieceField + ".SpecialToken.id");
    std::vector<std::int32_t> ids;
    // special_tokens: {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": [...]}}
    if (specials) {
      if (const std::optional<dom::element> entry = r.optional(*specials, field + ".special_tokens", name)) {
        dom::array idList;
        const std::string idsField = field + ".special_tokens." + std::string(name) + ".ids";
        if (r.required(*entry, field + ".special_tokens." + std::string(name), "ids").get(idList) !=
            simdjson::SUCCESS)
          r.fail(idsField, "expected an array of ids");
        for (const dom::element id : idList) ids.push_back(r.id(id, idsField));
      }
    }
    if (ids.empty()) {
      const std::optional<std::int32_t> id =
          added.byContent(name) ? std::optional(added.byContent(name)->id) : std::nullopt;
      if (!id) r.fail(pieceField + ".SpecialToken.id", "unknown special token " + quoteForError(name));
      ids.push_back(*id);
    }
    (seenSequence ? after : before).insert((seenSequence ? after : before).end(), ids.begin(), ids.end());
  }
  if (!seenSequence) r.fail(field + ".single", "the template has no {\"Sequence\": {\"id\": \"A\"}}");
  prefix.insert(prefix.begin(), before.begin(), before.end());
  suffix.insert(suffix.end(), after.begin(), after.end());
}

void checkDecoder(const Reader& r, dom::element d, const std::string& field) {
  const std::string_view type = r.type(d, field);
  if (type == "ByteLevel") return;
  if (type == "Sequence") {
    dom::array list;
    if (r.required(d, field, "decoders").get(list) != simdjson::SUCCESS) r.fail(field + ".decoders", "expected an array");
    std::size_t i = 0;
    for (const dom::element child : list) checkDecoder(r, child, Reader::index(field + ".decoders", i++));
    return;
  }
  r.unsupported(field + ".type", type, "decoders: ByteLevel");
}

AddedTokens readAddedTokens(const Reader& r, dom::element root) {
  std::vector<AddedToken> tokens;
  const std::optional<dom::element> list = r.optional(root, "", "added_tokens");
  if (!list) return AddedTokens{};
  dom::array array;
  if (list->get(array) != simdjson::SUCCESS) r.fail("added_tokens", "expected an array");
  std::size_t i = 0;
  for (const dom::element t : array) {
    const std::string field = Reader::index("added_tokens", i++);
    AddedToken token;
    token.id = r.id(r.required(t, field, "id"), field + ".id");
    token.content = std::string(r.string(r.required(t, field, "content"), field + ".content"));
    token.special = r.boolean(t, field, "special", false);
    token.lstrip = r.boolean(t, field, "lstrip", false);
    token.rstrip = r.boolean(t, field, "rstrip", false);
    if (r.boolean(t, field, "single_word", false))
      r.fail(field + ".single_word", "single_word added tokens are not supported");
    tokens.push_back(std::move(token));
  }
  return AddedTokens(std::move(tokens));
}

std::unique_ptr<HfTokenizer> build(const Reader& r, dom::element root) {
  if (root.type() != dom::element_type::OBJECT) r.fail("", "expected a JSON object (a tokenizer.json)");
  HfTokenizer::Stages stages;
  stages.addedTokens = readAddedTokens(r, root);
  if (const auto n = r.optional(root, "", "normalizer")) readNormalizer(r, *n, "normalizer", stages.normalizers);
  const std::optional<dom::element> pre = r.optional(root, "", "pre_tokenizer");
  if (!pre || !readPreTokenizer(r, *pre, "pre_tokenizer", stages.preTokenizers))
    r.fail("pre_tokenizer", "no ByteLevel stage: only byte-level BPE tokenizers are supported");
  stages.model = readModel(r, root);
  if (const auto p = r.optional(root, "", "post_processor")) {
    std::vector<std::int32_t> prefix, suffix;
    readPostProcessor(r, *p, "post_processor", stages.addedTokens, prefix, suffix);
    stages.postProcessor = TemplatePostProcessor(std::move(prefix), std::move(suffix));
  }
  if (const auto d = r.optional(root, "", "decoder")) checkDecoder(r, *d, "decoder");
  return std::make_unique<HfTokenizer>(r.file(), std::move(stages));
}

std::string jsonError(simdjson::error_code error) {
  return std::string("invalid JSON (") + simdjson::error_message(error) + ")";
}

}  // namespace

std::unique_ptr<HfTokenizer> parseHfTokenizer(std::string_view json, const std::string& fileForErrors) {
  const Reader r(fileForErrors);
  dom::parser parser;
  const simdjson::padded_string padded(json);
  dom::element root;
  if (const auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) r.fail("", jsonError(error));
  return build(r, root);
}

std::unique_ptr<HfTokenizer> loadHfTokenizer(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot read the file (a tokenizer.json is expected)");
  std::ostringstream text;
  text << in.rdbuf();
  return parseHfTokenizer(text.str(), path);
}

}  // namespace kvlab
