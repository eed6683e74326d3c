// SPDX-License-Identifier: MIT
#pragma once
// The preset models: published config.json fields in models/<name>.json (each naming its source), read
// through the same reader as a user's config.json (hf_config_reader.h), so a preset and its published
// config give the same figures. Computable presets (demo, small, gpu-1b) come first.
#include <string>
#include <string_view>
#include <vector>

#include "core/arch/model_config.h"

namespace kvlab {

// All presets, in models/ order. The reference stays valid for the program's lifetime. Thread-safe.
const std::vector<ModelConfig>& modelPresets();

// nullptr if no preset has that name.
const ModelConfig* findModelPreset(std::string_view name);

// Every preset's name, in order.
std::vector<std::string> modelPresetNames();

}  // namespace kvlab
