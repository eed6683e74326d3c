// SPDX-License-Identifier: MIT
#pragma once
// Reads a model description (ModelConfig) from a Hugging Face config.json: the fields the published
// configs carry, with the defaults of the family's transformers configuration class where a config leaves a
// field out (Gemma 3's vocab_size and head_dim, gpt-oss's alternating windows, Qwen3-Next's full-attention
// interval). Multimodal configs (Gemma 3, Kimi K2.5) are read from their `text_config`.
//
// Per layer it derives the attention kind and window (`layer_types`, else the family's pattern:
// `sliding_window` on every layer (Mistral, Mixtral), on layers >= `max_window_layers` when
// `use_sliding_window` (Qwen2/3), `sliding_window_pattern` (Gemma 3), odd/even (gpt-oss),
// `full_attention_interval` (Qwen3-Next)) and whether its MLP is routed experts (`decoder_sparse_step` and
// `mlp_only_layers` (Qwen3 MoE), `first_k_dense_replace` and `moe_layer_freq` (DeepSeek, Kimi K2)).
// Weights: `torch_dtype` (or `dtype`), and `quantization_config` (fp8, mxfp4, awq/gptq bits,
// compressed-tensors num_bits, bitsandbytes).
//
// An optional "kvlab" object carries what a config.json does not: {"name", "source", "computable",
// "seed"} (the presets in models/ use it).
//
// Bad input throws InputError naming the file and the field ("text_config.num_hidden_layers"); an
// architecture it does not know is refused naming `model_type` and the supported ones.
#include <string>
#include <string_view>
#include <vector>

#include "core/arch/model_config.h"

namespace kvlab {

// path: a config.json, or a directory holding one (a model directory). The model's name is the kvlab
// object's "name", else the directory's name.
ModelConfig readHfConfig(const std::string& path);

// From the text of a config.json; `file` names it in errors and in ModelConfig::source, `name` is the
// model's name unless the kvlab object gives one.
ModelConfig parseHfConfig(std::string_view json, const std::string& file, const std::string& name);

// The model_type values readHfConfig understands.
std::vector<std::string> supportedModelTypes();

}  // namespace kvlab
