// SPDX-License-Identifier: MIT
#include "core/arch/model_presets.h"

#include <algorithm>

#include "core/arch/hf_config_reader.h"
#include "core/arch/model_preset_data.h"

namespace kvlab {

const std::vector<ModelConfig>& modelPresets() {
  static const std::vector<ModelConfig> presets = [] {
    std::vector<ModelConfig> all;
    for (const ModelPresetFile& f : modelPresetFiles())
      all.push_back(parseHfConfig(f.json, "models/" + std::string(f.name) + ".json", f.name));
    return all;
  }();
  return presets;
}

const ModelConfig* findModelPreset(std::string_view name) {
  const auto& presets = modelPresets();
  const auto it =
      std::find_if(presets.begin(), presets.end(), [name](const ModelConfig& c) { return c.name == name; });
  return it == presets.end() ? nullptr : &*it;
}

std::vector<std::string> modelPresetNames() {
  std::vector<std::string> names;
  for (const ModelConfig& m : modelPresets()) names.push_back(m.name);
  return names;
}

}  // namespace kvlab
