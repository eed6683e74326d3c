// SPDX-License-Identifier: MIT
#include "core/arch/model_loader.h"

#include <filesystem>

#include "core/arch/hf_config_reader.h"
#include "core/arch/model_presets.h"
#include "core/util/input_error.h"

namespace kvlab {

ModelConfig loadModel(const std::string& nameOrPath, const std::string& field) {
  if (const ModelConfig* preset = findModelPreset(nameOrPath)) return *preset;
  std::error_code ec;
  if (!nameOrPath.empty() && std::filesystem::exists(nameOrPath, ec)) return readHfConfig(nameOrPath);
  std::string names;
  for (const std::string& n : modelPresetNames()) names += (names.empty() ? "" : ", ") + n;
  throw InputError("", 0, field,
                   "unknown model " + quoteForError(nameOrPath) + ": give a preset (" + names +
                       "), a config.json or a model directory");
}

}  // namespace kvlab
