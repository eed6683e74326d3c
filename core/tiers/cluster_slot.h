// SPDX-License-Identifier: MIT
#pragma once
// Redis Cluster key → hash slot, as the Redis Cluster specification defines it:
//   slot = CRC16(key) mod 16384, CRC16 = CRC-16/XMODEM (polynomial 0x1021, initial value 0, no
//   reflection, no final xor); if the key contains "{...}" with at least one character between the first
//   '{' and the first '}' after it, only those characters are hashed (a "hash tag").
// Spec test vector: CRC16("123456789") = 0x31C3.

#include <cstdint>
#include <string_view>

namespace kvlab {

inline constexpr uint16_t kClusterSlots = 16384;

uint16_t crc16Xmodem(std::string_view bytes);
// The part of `key` that is hashed: the hash tag's contents if it has a non-empty one, else the key.
std::string_view clusterHashTag(std::string_view key);
uint16_t clusterKeySlot(std::string_view key);

}  // namespace kvlab
