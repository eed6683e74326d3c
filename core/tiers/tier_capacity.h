// SPDX-License-Identifier: MIT
#pragma once
// A lower tier's capacity given in tokens, as whole blocks of the cache's block size: the one rule behind
// kvlab-cli's --host-tokens / --remote-tokens (replay, sweep, simulate, fleet) and the GUI Serving page's
// host and remote tier fields, so a figure typed in either place means the same tier.
#include <cstdint>
#include <string>

namespace kvlab {

// 0 tokens = no such tier (0 blocks); otherwise tokens / blockSize rounded down. Fewer tokens than one
// block throws InputError naming `field`: a tier that cannot hold one block is a mistake, not a tier.
std::uint64_t tierBlocksFromTokens(std::uint64_t tokens, std::uint32_t blockSize, const std::string& field);

}  // namespace kvlab
