// SPDX-License-Identifier: MIT
#include "core/model/checkpoint_weights.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <memory>

#include "core/util/input_error.h"

namespace kvlab {

namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

std::vector<std::string> CheckpointWeights::supportedModelTypes() { return {"llama", "mistral", "qwen2", "qwen3"}; }

void CheckpointWeights::checkSupported(const ModelConfig& c) {
  const std::string file = c.source;
  const auto refuse = [&](const std::string& field, const std::string& why) {
    throw InputError(file, 0, field, why + ": the live model computes Llama, Mistral, Qwen2 and Qwen3 decoders");
  };
  const std::vector<std::string> types = supportedModelTypes();
  if (std::find(types.begin(), types.end(), c.family) == types.end())
    refuse("model_type", "unsupported architecture " + quoteForError(c.family));
  for (const LayerKind& k : c.layerKinds) {
    if (k.moe) refuse("num_experts", "routed-expert (MoE) layers");
    if (k.attention == LayerAttention::SlidingWindow)
      refuse("sliding_window", "sliding-window layers (the live model attends to every earlier token)");
    if (k.attention != LayerAttention::Full) refuse("layer_types", "layers other than full attention");
  }
  if (c.attentionBias == AttentionBias::QkvO) refuse("attention_bias", "an o_proj bias");
  if (c.attentionGate || c.attentionSinks) refuse("model_type", "attention gates or sinks");
  if (c.rope.type == RopeType::Other)
    refuse("rope_scaling.rope_type", "RoPE scaling " + quoteForError(c.rope.typeName) +
                                         " (supported: default, linear, llama3, yarn)");
  if (c.headDim % 2 != 0 || c.heads % c.kvHeads != 0 || c.ffnHidden <= 0)
    refuse("head_dim", "inconsistent shapes");
}

CheckpointWeights::CheckpointWeights(ModelConfig config, const std::string& dir)
    : m_config(std::move(config)), m_checkpoint((checkSupported(m_config), dir)) {}

at::Tensor CheckpointWeights::load(const std::string& name, const std::vector<int64_t>& shape) const {
  const SafetensorsTensor* t = m_checkpoint.find(name);
  if (!t)
    throw InputError(m_checkpoint.dir(), 0, name,
                     "tensor missing from the checkpoint (expected " + shapeText(shape) + ")");
  const std::string file = m_checkpoint.fileOf(name)->path();
  if (t->shape != shape)
    throw InputError(file, 0, name,
                     "shape " + shapeText(t->shape) + " does not match the config's " + shapeText(shape));
  at::ScalarType type = at::kFloat;
  switch (t->dtype) {
    case SafetensorsDtype::F32:
      type = at::kFloat;
      break;
    case SafetensorsDtype::BF16:
      type = at::kBFloat16;
      break;
    case SafetensorsDtype::F16:
      type = at::kHalf;
      break;
    default:
      throw InputError(file, 0, name,
                       std::string("dtype ") + toString(t->dtype) + " is not supported (F32, BF16 or F16)");
  }
  c10::InferenceMode inferenceGuard;
  // The mapping is read-only: the wrapped tensor is only read, then copied (widened) into fp32. The
  // deleter keeps the file mapped for as long as the wrapper lives.
  std::shared_ptr<const SafetensorsFile> keep = m_checkpoint.fileOf(name);
  const at::Tensor mapped =
      at::from_blob(const_cast<std::byte*>(t->data), shape, [keep](void*) mutable { keep.reset(); },
                    at::TensorOptions().dtype(type));
  return mapped.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
}

at::Tensor CheckpointWeights::embed() const {
  return load("model.embed_tokens.weight", {m_config.vocab, m_config.dModel});
}

at::Tensor CheckpointWeights::finalNorm() const { return load("model.norm.weight", {m_config.dModel}); }

bool CheckpointWeights::hasLmHead() const { return m_checkpoint.find("lm_head.weight") != nullptr; }

at::Tensor CheckpointWeights::lmHead() const {
  if (!hasLmHead() && m_config.tiedEmbeddings) return embed().t();
  return load("lm_head.weight", {m_config.vocab, m_config.dModel}).t();
}

LlamaReferenceWeights::Layer CheckpointWeights::layer(int index) const {
  const ModelConfig& c = m_config;
  const int64_t d = c.dModel, qDim = int64_t(c.heads) * c.headDim, kvDim = int64_t(c.kvHeads) * c.headDim,
                ffn = c.ffnHidden;
  const std::string p = "model.layers." + std::to_string(index) + ".";
  LlamaReferenceWeights::Layer w;
  // Hugging Face's nn.Linear stores (out, in); the model multiplies x @ W with W (in, out).
  w.attnNorm = load(p + "input_layernorm.weight", {d});
  w.wq = load(p + "self_attn.q_proj.weight", {qDim, d}).t();
  w.wk = load(p + "self_attn.k_proj.weight", {kvDim, d}).t();
  w.wv = load(p + "self_attn.v_proj.weight", {kvDim, d}).t();
  w.wo = load(p + "self_attn.o_proj.weight", {d, qDim}).t();
  if (c.attentionBias == AttentionBias::Qkv) {
    w.qBias = load(p + "self_attn.q_proj.bias", {qDim});
    w.kBias = load(p + "self_attn.k_proj.bias", {kvDim});
    w.vBias = load(p + "self_attn.v_proj.bias", {kvDim});
  }
  if (c.qkNorm) {
    w.qNorm = load(p + "self_attn.q_norm.weight", {c.headDim});
    w.kNorm = load(p + "self_attn.k_norm.weight", {c.headDim});
  }
  w.mlpNorm = load(p + "post_attention_layernorm.weight", {d});
  w.wGate = load(p + "mlp.gate_proj.weight", {ffn, d}).t();
  w.wUp = load(p + "mlp.up_proj.weight", {ffn, d}).t();
  w.wDown = load(p + "mlp.down_proj.weight", {d, ffn}).t();
  return w;
}

}  // namespace kvlab
