// SPDX-License-Identifier: MIT
#include "core/tiers/cluster_slot.h"

namespace kvlab {

uint16_t crc16Xmodem(std::string_view bytes) {
  uint16_t crc = 0;
  for (const char c : bytes) {
    crc ^= static_cast<uint16_t>(static_cast<uint8_t>(c) << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc =
          (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

std::string_view clusterHashTag(std::string_view key) {
  const size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  const size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;  // no '}' or "{}": whole key
  return key.substr(open + 1, close - open - 1);
}

uint16_t clusterKeySlot(std::string_view key) { return crc16Xmodem(clusterHashTag(key)) % kClusterSlots; }

}  // namespace kvlab
