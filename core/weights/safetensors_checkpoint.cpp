// SPDX-License-Identifier: MIT
#include "core/weights/safetensors_checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/util/input_error.h"

namespace kvlab {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexName = "model.safetensors.index.json";

std::vector<fs::path> safetensorsIn(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && e.path().extension() == ".safetensors") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

bool SafetensorsCheckpoint::hasWeights(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  return fs::exists(fs::path(dir) / kIndexName, ec) || !safetensorsIn(dir).empty();
}

SafetensorsCheckpoint::SafetensorsCheckpoint(const std::string& dir) : m_dir(dir) {
  const fs::path root(dir);
  const fs::path index = root / kIndexName;
  std::error_code ec;
  if (fs::exists(index, ec)) {
    m_sharded = true;
    std::ifstream in(index, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error&) {
      throw InputError(index.string(), 0, "", "not valid JSON");
    }
    const auto map = j.is_object() ? j.find("weight_map") : j.end();
    if (!j.is_object() || map == j.end() || !map->is_object())
      throw InputError(index.string(), 0, "weight_map", "is missing (expected {\"TENSOR\": \"SHARD\", ...})");
    std::map<std::string, std::vector<std::string>> tensorsOfShard;
    for (const auto& [tensor, shard] : map->items()) {
      if (!shard.is_string()) throw InputError(index.string(), 0, "weight_map." + tensor, "expected a file name");
      const std::string name = shard.get<std::string>();
      if (name.find('/') != std::string::npos || name == "..")
        throw InputError(index.string(), 0, "weight_map." + tensor, "shard " + quoteForError(name) +
                                                                        " must be a file name in the directory");
      tensorsOfShard[name].push_back(tensor);
    }
    for (const auto& [shard, tensors] : tensorsOfShard) {
      const fs::path file = root / shard;
      if (!fs::exists(file, ec))
        throw InputError(index.string(), 0, "weight_map." + tensors.front(),
                         "names shard " + quoteForError(shard) + ", which is not in " + dir);
      std::shared_ptr<const SafetensorsFile> f = SafetensorsFile::open(file.string());
      for (const std::string& t : tensors)
        if (!f->find(t))
          throw InputError(file.string(), 0, t, "the index assigns this tensor to this shard but it is not in it");
      m_files.push_back(std::move(f));
    }
  } else {
    for (const fs::path& file : safetensorsIn(root)) m_files.push_back(SafetensorsFile::open(file.string()));
  }
  if (m_files.empty())
    throw InputError(dir, 0, "", "holds no *.safetensors weights (nor " + std::string(kIndexName) + ")");
}

std::shared_ptr<const SafetensorsFile> SafetensorsCheckpoint::fileOf(const std::string& name) const {
  for (const auto& f : m_files)
    if (f->find(name)) return f;
  return nullptr;
}

const SafetensorsTensor* SafetensorsCheckpoint::find(const std::string& name) const {
  for (const auto& f : m_files)
    if (const SafetensorsTensor* t = f->find(name)) return t;
  return nullptr;
}

}  // namespace kvlab
