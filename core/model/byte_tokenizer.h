// SPDX-License-Identifier: MIT
#pragma once
// UTF-8 bytes <-> token ids. Token id = byte value (0..255), so vocab = 256 and every byte string
// round-trips exactly. Torch-free.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

class ByteTokenizer {
public:
  static constexpr int kVocabSize = 256;

  // One token per byte, in order.
  static std::vector<int32_t> encode(std::string_view text);

  // Inverse of encode. Throws std::out_of_range for an id outside 0..255.
  static std::string decode(std::span<const int32_t> tokens);
};

}  // namespace kvlab
