// SPDX-License-Identifier: MIT
#include "core/weights/safetensors_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/util/input_error.h"

namespace kvlab {

namespace {

using json = nlohmann::json;

// A header larger than this is not a checkpoint (the reference implementation refuses above 100 MB).
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

struct DtypeName {
  std::string_view name;
  SafetensorsDtype dtype;
  std::size_t bytes;
};
constexpr std::array<DtypeName, 12> kDtypes{{
    {"F32", SafetensorsDtype::F32, 4},
    {"F16", SafetensorsDtype::F16, 2},
    {"BF16", SafetensorsDtype::BF16, 2},
    {"F64", SafetensorsDtype::F64, 8},
    {"I64", SafetensorsDtype::I64, 8},
    {"I32", SafetensorsDtype::I32, 4},
    {"I16", SafetensorsDtype::I16, 2},
    {"I8", SafetensorsDtype::I8, 1},
    {"U8", SafetensorsDtype::U8, 1},
    {"BOOL", SafetensorsDtype::Bool, 1},
    {"F8_E4M3", SafetensorsDtype::F8E4M3, 1},
    {"F8_E5M2", SafetensorsDtype::F8E5M2, 1},
}};

const DtypeName& entry(SafetensorsDtype dtype) {
  for (const DtypeName& d : kDtypes)
    if (d.dtype == dtype) return d;
  return kDtypes.front();
}

// Closes the descriptor on every path out of open().
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

const char* toString(SafetensorsDtype dtype) { return entry(dtype).name.data(); }
std::size_t elementBytes(SafetensorsDtype dtype) { return entry(dtype).bytes; }

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  FileDescriptor file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) throw InputError(path, 0, "", std::string("cannot be opened: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw InputError(path, 0, "", "is not a regular file");
  const auto size = std::size_t(st.st_size);
  if (size < 8) throw InputError(path, 0, "", "is too short for a safetensors file (no 8-byte header length)");

  std::shared_ptr<SafetensorsFile> self(new SafetensorsFile());
  self->m_path = path;
  self->m_size = size;
  self->m_map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (self->m_map == MAP_FAILED) {
    self->m_map = nullptr;
    throw InputError(path, 0, "", std::string("cannot be memory-mapped: ") + std::strerror(errno));
  }
  const auto* bytes = static_cast<const std::byte*>(self->m_map);
  std::uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i) headerBytes = (headerBytes << 8) | std::uint64_t(bytes[i]);  // little-endian
  if (headerBytes > kMaxHeaderBytes || headerBytes > size - 8)
    throw InputError(path, 0, "", "header length " + std::to_string(headerBytes) + " does not fit the file (" +
                                      std::to_string(size) + " bytes): not a safetensors file");
  const auto* headerText = reinterpret_cast<const char*>(bytes + 8);
  json header;
  try {
    header = json::parse(headerText, headerText + headerBytes);
  } catch (const json::parse_error&) {
    throw InputError(path, 0, "", "the safetensors header is not valid JSON");
  }
  if (!header.is_object()) throw InputError(path, 0, "", "the safetensors header is not a JSON object");
  const std::byte* data = bytes + 8 + headerBytes;
  const std::size_t dataBytes = size - 8 - std::size_t(headerBytes);

  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (value.is_object())
        for (const auto& [key, v] : value.items())
          if (v.is_string()) self->m_metadata[key] = v.get<std::string>();
      continue;
    }
    // A copy: clang 14 (the fuzz build) cannot capture a structured binding in a lambda.
    const std::string tensorName = name;
    const auto fail = [&](const std::string& message) { throw InputError(path, 0, tensorName, message); };
    if (!value.is_object()) fail("expected an object with dtype, shape and data_offsets");
    SafetensorsTensor t;
    t.name = name;
    const auto dtypeIt = value.find("dtype");
    if (dtypeIt == value.end() || !dtypeIt->is_string()) fail("dtype is missing");
    const std::string dtypeName = dtypeIt->get<std::string>();
    const DtypeName* known = nullptr;
    for (const DtypeName& d : kDtypes)
      if (d.name == dtypeName) known = &d;
    if (!known) fail("unsupported dtype " + quoteForError(dtypeName));
    t.dtype = known->dtype;
    const auto shapeIt = value.find("shape");
    if (shapeIt == value.end() || !shapeIt->is_array()) fail("shape is missing");
    std::uint64_t elements = 1;
    for (const json& dim : *shapeIt) {
      if (!dim.is_number_unsigned()) fail("shape must hold non-negative integers");
      const std::uint64_t n = dim.get<std::uint64_t>();
      if (n != 0 && elements > std::numeric_limits<std::uint64_t>::max() / 16 / n) fail("shape is too large");
      elements *= n;
      t.shape.push_back(std::int64_t(n));
    }
    const auto offsetsIt = value.find("data_offsets");
    if (offsetsIt == value.end() || !offsetsIt->is_array() || offsetsIt->size() != 2 ||
        !(*offsetsIt)[0].is_number_unsigned() || !(*offsetsIt)[1].is_number_unsigned())
      fail("data_offsets must be [begin, end]");
    const std::uint64_t begin = (*offsetsIt)[0].get<std::uint64_t>();
    const std::uint64_t end = (*offsetsIt)[1].get<std::uint64_t>();
    if (begin > end || end > dataBytes)
      fail("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + ") lie outside the " +
           std::to_string(dataBytes) + " data bytes (truncated file?)");
    t.bytes = std::size_t(end - begin);
    if (elements * known->bytes != t.bytes)
      fail("shape needs " + std::to_string(elements * known->bytes) + " bytes of " + dtypeName + " but data_offsets give " +
           std::to_string(t.bytes));
    t.data = data + begin;
    self->m_tensors.emplace(name, std::move(t));
  }
  return self;
}

SafetensorsFile::~SafetensorsFile() {
  if (m_map) ::munmap(m_map, m_size);
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& name) const {
  const auto it = m_tensors.find(name);
  return it == m_tensors.end() ? nullptr : &it->second;
}

}  // namespace kvlab
