// SPDX-License-Identifier: MIT
#pragma once
// The floating-point type a computable model runs in: its weights, its activations and the K/V it caches
// (`--dtype`). Torch-free: the CLI parses it and the byte accounting sizes K/V by it without LibTorch.
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

enum class ComputeDtype : unsigned char { Fp32, Bf16, Fp16 };

std::string_view toString(ComputeDtype dtype);  // "fp32", "bf16", "fp16"
// Accepts fp32|float32, bf16|bfloat16, fp16|float16|half. Throws InputError(field) naming the choices.
ComputeDtype parseComputeDtype(std::string_view name, const std::string& field = "dtype");
std::vector<std::string> computeDtypeNames();
int bytesPerElement(ComputeDtype dtype);  // 4 or 2

// The default tolerance of `kvlab-cli verify` (max |logit difference|, cached prefix vs full prefill) for
// a model running in `dtype`. fp32 1e-4 (measured ~1e-6 on the CPU); bf16 and fp16 from the measurement in
// docs/gpu.md ("verify tolerance per dtype") with its margin.
double defaultVerifyTolerance(ComputeDtype dtype);

}  // namespace kvlab
