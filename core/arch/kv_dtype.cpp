// SPDX-License-Identifier: MIT
#include "core/arch/kv_dtype.h"

#include "core/util/input_error.h"

namespace kvlab {

std::string_view toString(KvDtype dtype) {
  switch (dtype) {
    case KvDtype::Fp32:
      return "fp32";
    case KvDtype::Bf16:
      return "bf16";
    case KvDtype::Fp16:
      return "fp16";
    case KvDtype::Fp8:
      return "fp8";
    case KvDtype::Int8:
      return "int8";
    case KvDtype::Fp4:
      return "fp4";
  }
  return "fp32";
}

KvDtype parseKvDtype(std::string_view name, const std::string& field) {
  if (name == "fp32" || name == "float32") return KvDtype::Fp32;
  if (name == "bf16" || name == "bfloat16") return KvDtype::Bf16;
  if (name == "fp16" || name == "float16" || name == "half") return KvDtype::Fp16;
  if (name == "fp8" || name == "fp8_e4m3" || name == "fp8_e5m2") return KvDtype::Fp8;
  if (name == "int8") return KvDtype::Int8;
  if (name == "fp4" || name == "nvfp4" || name == "mxfp4") return KvDtype::Fp4;
  throw InputError(
      "", 0, field,
      "unknown K/V dtype " + quoteForError(name) + " (choose from: bf16, fp16, fp8, int8, fp4, fp32)");
}

std::vector<std::string> kvDtypeNames() { return {"bf16", "fp16", "fp8", "int8", "fp4", "fp32"}; }

int bitsPerElement(KvDtype dtype) {
  switch (dtype) {
    case KvDtype::Fp32:
      return 32;
    case KvDtype::Bf16:
    case KvDtype::Fp16:
      return 16;
    case KvDtype::Fp8:
    case KvDtype::Int8:
      return 8;
    case KvDtype::Fp4:
      return 4;
  }
  return 32;
}

}  // namespace kvlab
