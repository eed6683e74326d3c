// SPDX-License-Identifier: MIT
#pragma once
// `--model` everywhere: a preset name, a Hugging Face config.json, or a model directory holding one.
#include <string>

#include "core/arch/model_config.h"

namespace kvlab {

// A preset by name (model_presets.h), else the config.json at `nameOrPath` (a file or a directory;
// hf_config_reader.h). Throws InputError: field `field` for a name that is neither (listing the presets),
// or the reader's error naming the config file and its field.
ModelConfig loadModel(const std::string& nameOrPath, const std::string& field = "model");

}  // namespace kvlab
