// SPDX-License-Identifier: MIT
#include "core/arch/compute_dtype.h"

#include "core/util/input_error.h"

namespace kvlab {

std::string_view toString(ComputeDtype dtype) {
  switch (dtype) {
    case ComputeDtype::Fp32:
      return "fp32";
    case ComputeDtype::Bf16:
      return "bf16";
    case ComputeDtype::Fp16:
      return "fp16";
  }
  return "fp32";
}

ComputeDtype parseComputeDtype(std::string_view name, const std::string& field) {
  if (name == "fp32" || name == "float32") return ComputeDtype::Fp32;
  if (name == "bf16" || name == "bfloat16") return ComputeDtype::Bf16;
  if (name == "fp16" || name == "float16" || name == "half") return ComputeDtype::Fp16;
  throw InputError("", 0, field, "unknown dtype " + quoteForError(name) + " (choose from: fp32, bf16, fp16)");
}

std::vector<std::string> computeDtypeNames() { return {"fp32", "bf16", "fp16"}; }

int bytesPerElement(ComputeDtype dtype) { return dtype == ComputeDtype::Fp32 ? 4 : 2; }

double defaultVerifyTolerance(ComputeDtype dtype) {
  switch (dtype) {
    case ComputeDtype::Fp32:
      return 1e-4;
    case ComputeDtype::Bf16:
      return 0.25;
    case ComputeDtype::Fp16:
      return 0.05;
  }
  return 1e-4;
}

}  // namespace kvlab
