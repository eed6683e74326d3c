// SPDX-License-Identifier: MIT
#pragma once
// The weights of a Hugging Face model directory: `model.safetensors`, or the shards listed by
// `model.safetensors.index.json` ({"weight_map": {"TENSOR": "model-00001-of-00002.safetensors", ...}}).
// Every file is memory-mapped (safetensors_file.h); nothing is read until a tensor's bytes are used.
// Torch-free.
#include <memory>
#include <string>
#include <vector>

#include "core/weights/safetensors_file.h"

namespace kvlab {

class SafetensorsCheckpoint {
public:
  // dir: a model directory. Throws InputError when it holds no safetensors, when the index is malformed,
  // names a shard that is missing, or a shard lacks a tensor the index assigns to it.
  explicit SafetensorsCheckpoint(const std::string& dir);

  // True when `dir` holds model.safetensors.index.json or at least one *.safetensors file.
  static bool hasWeights(const std::string& dir);

  // The tensor, or nullptr when the checkpoint has none of that name. The pointer (and its bytes) stay
  // valid while this checkpoint lives; file() keeps the mapping alive past it.
  const SafetensorsTensor* find(const std::string& name) const;
  std::shared_ptr<const SafetensorsFile> fileOf(const std::string& name) const;  // nullptr when absent

  const std::string& dir() const { return m_dir; }
  const std::vector<std::shared_ptr<const SafetensorsFile>>& files() const { return m_files; }
  bool sharded() const { return m_sharded; }

private:
  std::string m_dir;
  bool m_sharded = false;
  std::vector<std::shared_ptr<const SafetensorsFile>> m_files;  // sorted by path
};

}  // namespace kvlab
