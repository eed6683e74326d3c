// SPDX-License-Identifier: MIT
#include "core/tiers/tier_capacity.h"

#include <stdexcept>

#include "core/util/input_error.h"

namespace kvlab {

std::uint64_t tierBlocksFromTokens(std::uint64_t tokens, std::uint32_t blockSize, const std::string& field) {
  if (blockSize == 0) throw std::invalid_argument("tierBlocksFromTokens: block size 0");
  if (tokens == 0) return 0;
  if (tokens < blockSize)
    throw InputError("", 0, field, "holds less than one block of " + std::to_string(blockSize) + " tokens");
  return tokens / blockSize;
}

}  // namespace kvlab
