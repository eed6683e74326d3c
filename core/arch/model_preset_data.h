// SPDX-License-Identifier: MIT
#pragma once
// The preset files models/<name>.json, compiled in by cmake/KvlabModelPresets.cmake (the generated source
// defines modelPresetFiles()), in the order of KVLAB_MODEL_PRESETS (core/CMakeLists.txt).
#include <span>

namespace kvlab {

struct ModelPresetFile {
  const char* name;  // the file's stem: the preset's name
  const char* json;  // the file's text: a config.json with a "kvlab" object (name, source)
};

std::span<const ModelPresetFile> modelPresetFiles();

}  // namespace kvlab
