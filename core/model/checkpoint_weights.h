// SPDX-License-Identifier: MIT
#pragma once
// A Hugging Face checkpoint's weights for LlamaModel: Llama, Mistral, Qwen2 and Qwen3 decoders read from
// memory-mapped safetensors (core/weights/safetensors_checkpoint.h), checked against the config's shapes.
// Each accessor wraps the mapped bytes with at::from_blob and returns a fresh fp32 CPU copy (bf16/fp16 are
// widened once, per tensor, while the model is built), transposed to LlamaReferenceWeights' (in, out)
// layout. Nothing of the file is copied before a tensor is asked for.
// Internal to core/model and core/runner (it exposes tensors).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/arch/model_config.h"
#include "core/model/llama_model.h"
#include "core/weights/safetensors_checkpoint.h"

namespace kvlab {

class CheckpointWeights {
public:
  // config: what the directory's config.json says (readHfConfig). Throws InputError (file = dir) for an
  // unsupported architecture (checkSupported) or a directory without safetensors.
  CheckpointWeights(ModelConfig config, const std::string& dir);

  // Throws InputError naming the field when LlamaModel cannot compute this config from real weights:
  // model_type not llama/mistral/qwen2/qwen3, MoE, MLA, windowed or linear layers, an o_proj bias,
  // attention gates or sinks, unsupported RoPE scaling.
  static void checkSupported(const ModelConfig& config);
  static std::vector<std::string> supportedModelTypes();

  // All fp32 CPU, fresh (the caller may modify them). Missing tensors and shape or dtype mismatches throw
  // InputError naming the file and the tensor ("model.layers.3.mlp.up_proj.weight").
  at::Tensor embed() const;      // (V, d)  model.embed_tokens.weight
  at::Tensor finalNorm() const;  // (d)     model.norm.weight
  bool hasLmHead() const;        // lm_head.weight is in the checkpoint
  at::Tensor lmHead() const;     // (d, V)  lm_head.weight transposed; tied without one: embed transposed
  LlamaReferenceWeights::Layer layer(int index) const;  // model.layers.N.*

  const ModelConfig& config() const { return m_config; }
  const SafetensorsCheckpoint& checkpoint() const { return m_checkpoint; }

private:
  // The tensor `name` as fp32 (rows, ...) exactly `shape`; throws InputError otherwise.
  at::Tensor load(const std::string& name, const std::vector<int64_t>& shape) const;

  ModelConfig m_config;
  SafetensorsCheckpoint m_checkpoint;
};

}  // namespace kvlab
