// SPDX-License-Identifier: MIT
#pragma once
// One `.safetensors` file, memory-mapped read-only: nothing is copied when it opens; a tensor's bytes are
// read from the mapping when (and only when) a caller touches them.
//
// Format (https://github.com/huggingface/safetensors, "Format"): an 8-byte little-endian unsigned header
// length N, N bytes of JSON {"NAME": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {...}}, then the data; offsets count from the first byte after the header, tensors are
// row-major and little-endian. Torch-free: core/model/checkpoint_weights.h wraps the bytes as tensors.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kvlab {

enum class SafetensorsDtype : unsigned char { F32, F16, BF16, F64, I64, I32, I16, I8, U8, Bool, F8E4M3, F8E5M2 };
const char* toString(SafetensorsDtype dtype);  // as the header spells it: "BF16"
std::size_t elementBytes(SafetensorsDtype dtype);

// One tensor of a mapped file. `data` stays valid while the SafetensorsFile that made it lives (holding a
// std::shared_ptr<const SafetensorsFile> keeps it).
struct SafetensorsTensor {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::F32;
  std::vector<std::int64_t> shape;  // row-major; [] = a scalar
  const std::byte* data = nullptr;  // into the mapping
  std::size_t bytes = 0;            // = product(shape) * elementBytes(dtype)
};

class SafetensorsFile {
public:
  // Maps `path` and validates the header: every dtype known, every shape's byte count equal to its
  // data_offsets range, every range inside the file. Throws InputError naming the file and the tensor
  // ("model.layers.0.self_attn.q_proj.weight") for anything malformed.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return m_path; }
  const SafetensorsTensor* find(const std::string& name) const;  // nullptr when absent
  const std::map<std::string, SafetensorsTensor>& tensors() const { return m_tensors; }
  const std::map<std::string, std::string>& metadata() const { return m_metadata; }  // "__metadata__"
  std::size_t fileBytes() const { return m_size; }

private:
  SafetensorsFile() = default;
  std::string m_path;
  void* m_map = nullptr;  // the whole file, PROT_READ, MAP_PRIVATE
  std::size_t m_size = 0;
  std::map<std::string, SafetensorsTensor> m_tensors;
  std::map<std::string, std::string> m_metadata;
};

}  // namespace kvlab
