// SPDX-License-Identifier: MIT
#include "core/arch/hf_config_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/util/input_error.h"

namespace kvlab {

namespace {

using json = nlohmann::json;

// Limits that keep every product below 2^63 and reject nonsense early.
constexpr std::int64_t kMaxWidth = 1 << 20;  // hidden sizes, head dims, FFN widths, vocabulary (x 4)
constexpr std::int64_t kMaxCount = 1 << 16;  // layers, heads, experts
constexpr std::int64_t kMaxWindow = std::int64_t(1) << 31;

std::string describe(const json& v) {
  if (v.is_null()) return "null";
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

// Typed reads from one (possibly nested) object of one file; every error names the file and the field.
class Fields {
public:
  Fields(const json& obj, std::string file, std::string prefix)
      : m_obj(obj), m_file(std::move(file)), m_prefix(std::move(prefix)) {}

  [[noreturn]] void fail(std::string_view key, const std::string& message) const {
    throw InputError(m_file, 0, m_prefix + std::string(key), message);
  }
  const json* find(std::string_view key) const {
    const auto it = m_obj.find(key);
    return it == m_obj.end() || it->is_null() ? nullptr : &*it;
  }
  bool has(std::string_view key) const { return find(key) != nullptr; }

  std::int64_t integer(std::string_view key, std::int64_t lo, std::int64_t hi) const {
    const json* v = find(key);
    if (!v) fail(key, "is missing (required for this model_type)");
    return toInt(*v, key, lo, hi);
  }
  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t lo, std::int64_t hi) const {
    const json* v = find(key);
    return v ? toInt(*v, key, lo, hi) : fallback;
  }
  double number(std::string_view key, double fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number() || !(v->get<double>() > 0))
      fail(key, "expected a positive number, got " + describe(*v));
    return v->get<double>();
  }
  bool boolean(std::string_view key, bool fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, "expected true or false, got " + describe(*v));
    return v->get<bool>();
  }
  std::string string(std::string_view key, const std::string& fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_string()) fail(key, "expected a string, got " + describe(*v));
    return v->get<std::string>();
  }
  std::vector<std::int64_t> integers(std::string_view key, std::int64_t lo, std::int64_t hi) const {
    std::vector<std::int64_t> out;
    const json* v = find(key);
    if (!v) return out;
    if (!v->is_array()) fail(key, "expected an array of integers, got " + describe(*v));
    for (std::size_t i = 0; i < v->size(); ++i)
      out.push_back(toInt((*v)[i], std::string(key) + "[" + std::to_string(i) + "]", lo, hi));
    return out;
  }
  std::vector<std::string> strings(std::string_view key) const {
    std::vector<std::string> out;
    const json* v = find(key);
    if (!v) return out;
    if (!v->is_array()) fail(key, "expected an array of strings, got " + describe(*v));
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string())
        fail(std::string(key) + "[" + std::to_string(i) + "]", "expected a string, got " + describe((*v)[i]));
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }
  const std::string& file() const { return m_file; }
  const std::string& prefix() const { return m_prefix; }
  const json& object() const { return m_obj; }

private:
  std::int64_t toInt(const json& v, std::string_view key, std::int64_t lo, std::int64_t hi) const {
    std::int64_t n = 0;
    if (v.is_number_integer()) {
      n = v.get<std::int64_t>();
    } else if (v.is_number_float() && v.get<double>() == double(std::int64_t(v.get<double>()))) {
      n = std::int64_t(v.get<double>());  // 4096.0 from a config written by a script
    } else {
      fail(key, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                    describe(v));
    }
    if (n < lo || n > hi)
      fail(key, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                    describe(v));
    return n;
  }

  const json& m_obj;
  std::string m_file;
  std::string m_prefix;
};

// What a family's transformers configuration class defaults to where a config leaves fields out.
struct FamilyDefaults {
  std::int64_t headDim = 0;  // 0: hidden_size / num_attention_heads
  bool tied = false;
  std::int64_t vocab = 0;  // 0: required
};

// One architecture family: how it lays out its layers (windows, experts) and its extra pieces.
struct Family {
  std::string_view modelType;
  FamilyDefaults defaults;
  std::function<void(const Fields&, ModelConfig&)> read;
};

void setWindows(const Fields& f, ModelConfig& m, const std::function<bool(int)>& sliding) {
  const std::int64_t window = f.integer("sliding_window", 1, kMaxWindow);
  for (int i = 0; i < m.layers; ++i)
    if (sliding(i)) {
      m.layerKinds[std::size_t(i)].attention = LayerAttention::SlidingWindow;
      m.layerKinds[std::size_t(i)].window = std::uint32_t(window);
    }
}

// `layer_types` (newer configs): one entry per layer. Returns false when absent.
bool readLayerTypes(const Fields& f, ModelConfig& m) {
  const std::vector<std::string> types = f.strings("layer_types");
  if (types.empty()) return false;
  if (types.size() != std::size_t(m.layers))
    f.fail("layer_types", "has " + std::to_string(types.size()) + " entries for " + std::to_string(m.layers) +
                              " layers (num_hidden_layers)");
  std::int64_t window = 0;
  for (std::size_t i = 0; i < types.size(); ++i) {
    LayerKind& k = m.layerKinds[i];
    if (types[i] == "full_attention") {
      k.attention = LayerAttention::Full;
    } else if (types[i] == "sliding_attention") {
      if (window == 0) window = f.integer("sliding_window", 1, kMaxWindow);
      k.attention = LayerAttention::SlidingWindow;
      k.window = std::uint32_t(window);
    } else if (types[i] == "linear_attention") {
      k.attention = LayerAttention::LinearState;
    } else {
      f.fail("layer_types[" + std::to_string(i) + "]",
             "unsupported layer type " + quoteForError(types[i]) +
                 " (supported: full_attention, sliding_attention, linear_attention)");
    }
  }
  return true;
}

// Qwen2 / Qwen3: a window only with use_sliding_window, on layers >= max_window_layers.
void qwenWindows(const Fields& f, ModelConfig& m) {
  if (readLayerTypes(f, m) || !f.boolean("use_sliding_window", false)) return;
  const std::int64_t from = f.integer("max_window_layers", m.layers, 0, kMaxCount);
  setWindows(f, m, [from](int i) { return i >= from; });
}

// Qwen3 MoE / Qwen3-Next: experts on layers not in mlp_only_layers whose (i + 1) % decoder_sparse_step == 0.
void qwenExperts(const Fields& f, ModelConfig& m) {
  m.moe.experts = int(f.integer("num_experts", 0, 0, kMaxCount));
  if (m.moe.experts == 0) return;
  m.moe.expertsPerToken = int(f.integer("num_experts_per_tok", 1, m.moe.experts));
  m.moe.expertFfn = int(f.integer("moe_intermediate_size", 1, kMaxWidth));
  const std::int64_t step = f.integer("decoder_sparse_step", 1, 1, kMaxCount);
  const std::vector<std::int64_t> denseLayers = f.integers("mlp_only_layers", 0, m.layers - 1);
  for (int i = 0; i < m.layers; ++i)
    m.layerKinds[std::size_t(i)].moe =
        std::find(denseLayers.begin(), denseLayers.end(), i) == denseLayers.end() && (i + 1) % step == 0;
}

// Mistral / Mixtral / Llama: sliding_window, when set, on every layer.
void everyLayerWindow(const Fields& f, ModelConfig& m) {
  if (readLayerTypes(f, m) || !f.has("sliding_window")) return;
  setWindows(f, m, [](int) { return true; });
}

void readLlama(const Fields& f, ModelConfig& m) {
  everyLayerWindow(f, m);
  if (f.boolean("attention_bias", false)) m.attentionBias = AttentionBias::QkvO;
}

void readMixtral(const Fields& f, ModelConfig& m) {
  everyLayerWindow(f, m);
  m.moe.experts = int(f.integer("num_local_experts", 1, kMaxCount));
  m.moe.expertsPerToken = int(f.integer("num_experts_per_tok", 1, m.moe.experts));
  m.moe.expertFfn = m.ffnHidden;
  for (LayerKind& k : m.layerKinds) k.moe = true;
}

void readQwen2(const Fields& f, ModelConfig& m) {
  qwenWindows(f, m);
  m.attentionBias = AttentionBias::Qkv;
}

void readQwen3(const Fields& f, ModelConfig& m) {
  qwenWindows(f, m);
  m.qkNorm = true;
}

void readQwen3Moe(const Fields& f, ModelConfig& m) {
  readQwen3(f, m);
  qwenExperts(f, m);
}

void readQwen3Next(const Fields& f, ModelConfig& m) {
  if (!readLayerTypes(f, m)) {
    const std::int64_t interval = f.integer("full_attention_interval", 4, 1, kMaxCount);
    for (int i = 0; i < m.layers; ++i)
      if ((i + 1) % interval != 0) m.layerKinds[std::size_t(i)].attention = LayerAttention::LinearState;
  }
  m.qkNorm = true;
  m.attentionGate = true;
  m.linear.keyHeads = int(f.integer("linear_num_key_heads", 16, 1, kMaxCount));
  m.linear.valueHeads = int(f.integer("linear_num_value_heads", 32, 1, kMaxCount));
  m.linear.keyHeadDim = int(f.integer("linear_key_head_dim", 128, 1, kMaxWidth));
  m.linear.valueHeadDim = int(f.integer("linear_value_head_dim", 128, 1, kMaxWidth));
  m.linear.convKernel = int(f.integer("linear_conv_kernel_dim", 4, 1, 64));
  qwenExperts(f, m);
  m.moe.sharedFfn = int(f.integer("shared_expert_intermediate_size", 0, 0, kMaxWidth));
  m.moe.sharedGate = m.moe.sharedFfn > 0;
}

// DeepSeek V2/V3 and Kimi K2 (DeepSeek V3's architecture): MLA on every layer; routed experts from layer
// first_k_dense_replace on, every moe_layer_freq-th layer; n_shared_experts always-on experts.
void readDeepseek(const Fields& f, ModelConfig& m) {
  MlaShape& a = m.mla;
  a.qLoraRank = int(f.integer("q_lora_rank", 0, 0, kMaxWidth));
  a.kvLoraRank = int(f.integer("kv_lora_rank", 1, kMaxWidth));
  a.qkNopeHeadDim = int(f.integer("qk_nope_head_dim", 1, kMaxWidth));
  a.qkRopeHeadDim = int(f.integer("qk_rope_head_dim", 0, kMaxWidth));
  a.vHeadDim = int(f.integer("v_head_dim", 1, kMaxWidth));
  for (LayerKind& k : m.layerKinds) k.attention = LayerAttention::Mla;
  m.headDim = a.qkNopeHeadDim + a.qkRopeHeadDim;  // a query/key head, for display
  m.kvHeads = m.heads;                            // every head has its own K/V, decompressed from the latent
  m.moe.experts = int(f.integer("n_routed_experts", 0, 0, kMaxCount));
  if (m.moe.experts == 0) return;
  m.moe.expertsPerToken = int(f.integer("num_experts_per_tok", 1, m.moe.experts));
  m.moe.expertFfn = int(f.integer("moe_intermediate_size", 1, kMaxWidth));
  m.moe.sharedFfn = int(f.integer("n_shared_experts", 0, 0, kMaxCount)) * m.moe.expertFfn;
  // noaux_tc routing (V3, Kimi K2) learns one score-correction bias per expert.
  m.moe.routerBias = f.string("topk_method", "") == "noaux_tc";
  const std::int64_t firstMoe = f.integer("first_k_dense_replace", 0, 0, kMaxCount);
  const std::int64_t every = f.integer("moe_layer_freq", 1, 1, kMaxCount);
  for (int i = 0; i < m.layers; ++i) m.layerKinds[std::size_t(i)].moe = i >= firstMoe && i % every == 0;
}

void readGptOss(const Fields& f, ModelConfig& m) {
  if (!readLayerTypes(f, m)) setWindows(f, m, [](int i) { return (i + 1) % 2 != 0; });  // sliding first
  m.attentionBias = AttentionBias::QkvO;
  m.attentionSinks = true;
  const char* expertsKey =
      f.has("num_experts") && !f.has("num_local_experts") ? "num_experts" : "num_local_experts";
  m.moe.experts = int(f.integer(expertsKey, 1, kMaxCount));
  const char* perTokenKey = f.has("experts_per_token") && !f.has("num_experts_per_tok")
                                ? "experts_per_token"
                                : "num_experts_per_tok";
  m.moe.expertsPerToken = int(f.integer(perTokenKey, 1, m.moe.experts));
  m.moe.expertFfn = m.ffnHidden;
  m.moe.routerBias = true;
  m.moe.expertBias = true;
  for (LayerKind& k : m.layerKinds) k.moe = true;
}

void readGemma3(const Fields& f, ModelConfig& m) {
  if (!readLayerTypes(f, m)) {
    const std::int64_t pattern = f.integer("sliding_window_pattern", 6, 1, kMaxCount);  // 5 local : 1 global
    if (!f.has("sliding_window")) {
      // Gemma3TextConfig's default window.
      for (int i = 0; i < m.layers; ++i)
        if ((i + 1) % pattern != 0)
          m.layerKinds[std::size_t(i)] = {LayerAttention::SlidingWindow, 4096, false};
    } else {
      setWindows(f, m, [pattern](int i) { return (i + 1) % pattern != 0; });
    }
  }
  m.qkNorm = true;
  m.normsPerLayer = 4;  // input, post-attention, pre- and post-feed-forward
}

const std::vector<Family>& families() {
  static const std::vector<Family> table = {
      {"llama", {}, readLlama},
      {"mistral", {}, readLlama},
      {"mixtral", {}, readMixtral},
      {"qwen2", {}, readQwen2},
      {"qwen3", {}, readQwen3},
      {"qwen3_moe", {}, readQwen3Moe},
      {"qwen3_next", {256, false, 151936}, readQwen3Next},
      {"deepseek_v2", {}, readDeepseek},
      {"deepseek_v3", {}, readDeepseek},
      {"kimi_k2", {}, readDeepseek},
      {"gpt_oss", {64, false, 201088}, readGptOss},
      {"gemma3_text", {256, true, 262208}, readGemma3},
  };
  return table;
}

// Weights' dtype (from `f`) and quantization (from `holder`'s quantization_config, if any).
void readWeights(const Fields& f, const Fields& holder, ModelConfig& m) {
  const std::string dtypeKey = f.has("torch_dtype") ? "torch_dtype" : "dtype";
  const std::string dtype = f.string(dtypeKey, "bfloat16");  // absent: served as bf16
  if (dtype == "bfloat16") {
    m = withDtype(m, ComputeDtype::Bf16);
  } else if (dtype == "float16") {
    m = withDtype(m, ComputeDtype::Fp16);
  } else if (dtype == "float32") {
    m = withDtype(m, ComputeDtype::Fp32);
  } else {
    f.fail(dtypeKey, "unsupported dtype " + quoteForError(dtype) + " (bfloat16, float16 or float32)");
  }
  const json* quantization = holder.find("quantization_config");
  if (!quantization) return;
  if (!quantization->is_object()) holder.fail("quantization_config", "expected an object");
  const Fields q(*quantization, holder.file(), holder.prefix() + "quantization_config.");
  const std::string method = q.string("quant_method", "");
  if (method == "fp8") {
    m.linearWeightBits = 8;  // block-wise fp8 projections; scales (1 per 128 x 128 block) not counted
  } else if (method == "mxfp4") {
    m.expertWeightBits = 4.25;  // MXFP4 experts: 4-bit elements, one 8-bit scale per 32
  } else if (method == "awq" || method == "gptq") {
    const char* key = q.has("w_bit") ? "w_bit" : "bits";
    m.linearWeightBits = double(q.integer(key, 1, 16));
  } else if (method == "bitsandbytes") {
    m.linearWeightBits = q.boolean("load_in_4bit", false) ? 4.0 : 8.0;
  } else if (method == "compressed-tensors") {
    const json* groups = q.find("config_groups");
    if (!groups || !groups->is_object() || groups->empty())
      q.fail("config_groups", "expected an object of quantization groups");
    const json& first = groups->begin().value();
    const json* weights = first.is_object() && first.contains("weights") ? &first["weights"] : nullptr;
    if (!weights || !weights->is_object())
      q.fail("config_groups." + groups->begin().key() + ".weights", "expected an object");
    const Fields w(*weights, f.file(), q.prefix() + "config_groups." + groups->begin().key() + ".weights.");
    m.linearWeightBits = double(w.integer("num_bits", 1, 16));
  } else {
    q.fail("quant_method", "unsupported quantization " + quoteForError(method) +
                               " (fp8, mxfp4, awq, gptq, bitsandbytes, compressed-tensors)");
  }
}

std::size_t lineOfByte(std::string_view text, std::size_t byte) {
  return std::size_t(std::count(text.begin(), text.begin() + std::min(byte, text.size()), '\n')) + 1;
}

}  // namespace

std::vector<std::string> supportedModelTypes() {
  std::vector<std::string> names;
  for (const Family& f : families()) names.emplace_back(f.modelType);
  names.emplace_back("gemma3");  // a multimodal wrapper of gemma3_text
  return names;
}

ModelConfig parseHfConfig(std::string_view text, const std::string& file, const std::string& name) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw InputError(file, std::int64_t(lineOfByte(text, e.byte)), "", "not valid JSON");
  }
  if (!root.is_object()) throw InputError(file, 0, "", "expected a JSON object (a config.json)");
  const Fields top(root, file, "");
  // Multimodal configs describe the language model in text_config; dtype, quantization and tying may sit
  // on either level.
  const json* textConfig = top.find("text_config");
  if (textConfig && !textConfig->is_object()) top.fail("text_config", "expected an object");
  const json& textRoot = textConfig ? *textConfig : root;
  const Fields f(textRoot, file, textConfig ? "text_config." : "");
  std::string modelType = f.string("model_type", top.string("model_type", ""));
  if (modelType == "gemma3") modelType = "gemma3_text";
  const auto& table = families();
  const auto family =
      std::find_if(table.begin(), table.end(), [&](const Family& fam) { return fam.modelType == modelType; });
  if (family == table.end()) {
    std::string list;
    for (const std::string& t : supportedModelTypes()) list += (list.empty() ? "" : ", ") + t;
    f.fail("model_type", (modelType.empty() ? std::string("is missing")
                                            : "unsupported architecture " + quoteForError(modelType)) +
                             " (supported: " + list + ")");
  }

  ModelConfig m;
  m.family = std::string(family->modelType);
  m.name = name;
  m.source = file;
  m.layers = int(f.integer("num_hidden_layers", 1, kMaxCount));
  m.dModel = int(f.integer("hidden_size", 1, kMaxWidth));
  m.heads = int(f.integer("num_attention_heads", 1, kMaxCount));
  m.kvHeads = int(f.integer("num_key_value_heads", m.heads, 1, m.heads));
  if (m.heads % m.kvHeads != 0)
    f.fail("num_key_value_heads", "must divide num_attention_heads (" + std::to_string(m.heads) + "), got " +
                                      std::to_string(m.kvHeads));
  const std::int64_t defaultHeadDim =
      family->defaults.headDim ? family->defaults.headDim : m.dModel / m.heads;
  m.headDim = int(f.integer("head_dim", defaultHeadDim, 1, kMaxWidth));
  m.ffnHidden = int(f.integer("intermediate_size", 0, 0, kMaxWidth));
  m.vocab = family->defaults.vocab ? int(f.integer("vocab_size", family->defaults.vocab, 1, 4 * kMaxWidth))
                                   : int(f.integer("vocab_size", 1, 4 * kMaxWidth));
  const json* ropeParameters = f.find("rope_parameters");
  m.ropeTheta = ropeParameters && ropeParameters->is_object() && ropeParameters->contains("rope_theta")
                    ? Fields(*ropeParameters, file, f.prefix() + "rope_parameters.").number("rope_theta", 1e4)
                    : f.number("rope_theta", 10000.0);
  m.rmsEps = f.number("rms_norm_eps", 1e-5);
  m.tiedEmbeddings =
      f.boolean("tie_word_embeddings", top.boolean("tie_word_embeddings", family->defaults.tied));
  m.layerKinds.assign(std::size_t(m.layers), LayerKind{});
  family->read(f, m);
  const bool anyDense =
      std::any_of(m.layerKinds.begin(), m.layerKinds.end(), [](const LayerKind& k) { return !k.moe; });
  if (anyDense && m.ffnHidden == 0) f.fail("intermediate_size", "is missing (required for the dense layers)");
  readWeights(f.has("torch_dtype") || f.has("dtype") ? f : top, f.has("quantization_config") ? f : top, m);

  if (const json* lab = top.find("kvlab")) {
    if (!lab->is_object()) top.fail("kvlab", "expected an object");
    const Fields k(*lab, file, "kvlab.");
    m.name = k.string("name", m.name);
    m.source = k.string("source", m.source);
    m.computable = k.boolean("computable", false);
    m.seed = std::uint64_t(k.integer("seed", 0, 0, std::int64_t(1) << 62));
    if (m.computable) m.layerKinds.clear();  // a plain Llama block: LlamaModel builds it
  }
  return m;
}

ModelConfig readHfConfig(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path file = path;
  std::string name = fs::path(path).filename().string();
  if (fs::is_directory(file, ec)) {
    file /= "config.json";
    const fs::path dir = fs::path(path).lexically_normal();
    name = (dir.has_filename() ? dir : dir.parent_path()).filename().string();
    if (!fs::exists(file, ec))
      throw InputError(path, 0, "",
                       "is a directory without a config.json (a Hugging Face model directory has one)");
  } else if (file.filename() == "config.json") {
    const fs::path parent = fs::absolute(file, ec).parent_path();
    if (parent.has_filename()) name = parent.filename().string();
  } else {
    name = file.stem().string();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string(), 0, "", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (std::size_t(64) << 20))
    throw InputError(file.string(), 0, "", "is larger than 64 MiB");
  return parseHfConfig(text.str(), file.string(), name);
}

}  // namespace kvlab
