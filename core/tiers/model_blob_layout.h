// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include "core/arch/model_config.h"
#include "core/tiers/kv_blob_codec.h"

namespace kvlab {

// The blob layout of one cache block of `blockTokens` tokens of `model`, all layers:
//   shape {2 (K, V), layers, kvHeads, blockTokens, headDim}, dtype from dtypeBytes (4 = f32, 2 = f16),
//   model fingerprint = XXH3-64 of every ModelConfig field that changes the K/V values or their shape
//   (name, dimensions, vocabulary, RoPE base, RMSNorm epsilon, dtype, weight seed).
// This is what names a lab's namespace in a shared remote tier: same preset + seed + block size => same
// keys, so two processes share blocks; anything else => disjoint keys.
// Throws InputError (field "block-size") for blockTokens == 0.
BlobLayout modelBlobLayout(const ModelConfig& model, uint32_t blockTokens);

}  // namespace kvlab
