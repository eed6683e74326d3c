// SPDX-License-Identifier: MIT
#pragma once
// Which model a live run computes with (`--model`): a computable preset with generated weights, or a Hugging
// Face model directory with safetensors weights (core/model/checkpoint_weights.h: Llama, Mistral, Qwen2,
// Qwen3), whose tokenizer.json then tokenizes the scenario. Internal to core/runner; torch-free header.
#include <string>

#include "core/arch/compute_dtype.h"
#include "core/arch/model_config.h"

namespace kvlab {

class LlamaModel;

struct LiveModelChoice {
  ModelConfig config;         // in the run's dtype (withDtype): K/V accounting follows it
  std::string weightsDir;     // the checkpoint's directory; "" = weights generated from config.seed
  std::string tokenizerPath;  // the directory's tokenizer.json; "" = none there
  // For RunInfo::weights: "checkpoint DIR (bf16 file, computed in fp32)" or "generated (seed N)".
  std::string weightsDescription;
};

// nameOrPath: a preset, a config.json or a model directory. A directory with *.safetensors runs its
// weights; anything else must be a computable preset (computeModelOrThrow). Throws InputError: field
// "model" for an unknown or accounting-only model, the config's own field for an architecture the live
// model does not compute; "dtype" for fp16 on the CPU. Applies allowTf32 like computeModelOrThrow.
LiveModelChoice chooseLiveModel(const std::string& nameOrPath, ComputeDtype dtype, const std::string& device,
                                bool allowTf32);

}  // namespace kvlab
