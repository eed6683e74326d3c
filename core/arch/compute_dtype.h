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
// a model running in `dtype` (docs/gpu.md, "Verify tolerance per dtype"). fp32: 1e-4 (measured <= 1.7e-6 on
// the CPU). bf16: 0.25, bf16's whole deviation from fp32 (max |bf16 - fp32| of the logits, measured 0.23 on
// demo, 0.054 on small) rounded up: the cached and the full prefill may only round differently, which moves
// them less than bf16 moves away from fp32; a wrong reuse moves them by O(1). fp16: 0.05, the bf16 figure
// scaled by fp16's 8x finer rounding (2^-11 vs 2^-8: 0.031) rounded up; not measured (fp16 needs a GPU).
double defaultVerifyTolerance(ComputeDtype dtype);

}  // namespace kvlab
