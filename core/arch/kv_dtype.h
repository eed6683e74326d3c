// SPDX-License-Identifier: MIT
#pragma once
// The element type K/V is stored in (`--kv-dtype`), separate from the weights' dtype: a bf16 model serves
// with fp8 K/V (vLLM's --kv-cache-dtype). Only its size matters to the lab: bits per stored element.
// fp8 and int8 carry a per-tensor scale (not counted: a few bytes per layer); fp4 is counted as 4 bits per
// element, its block scales (one 8-bit scale per 16 or 32 elements in NVFP4 / MXFP4) are not.
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

enum class KvDtype : unsigned char { Fp32, Bf16, Fp16, Fp8, Int8, Fp4 };

std::string_view toString(KvDtype dtype);  // "fp32", "bf16", "fp16", "fp8", "int8", "fp4"
// Accepts the names above and fp8_e4m3 / fp8_e5m2 (vLLM's spellings) for fp8. Throws InputError(field)
// naming the choices.
KvDtype parseKvDtype(std::string_view name, const std::string& field = "kv-dtype");
std::vector<std::string> kvDtypeNames();
int bitsPerElement(KvDtype dtype);  // 32, 16, 16, 8, 8, 4

// Bytes of `elements` stored elements, rounded up to a whole byte (fp4 packs two per byte).
inline unsigned long long kvBytes(unsigned long long elements, KvDtype dtype) {
  return (elements * unsigned(bitsPerElement(dtype)) + 7) / 8;
}

}  // namespace kvlab
