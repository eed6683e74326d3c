// SPDX-License-Identifier: MIT
#pragma once
// Model shapes and the preset registry. Torch-free: the trace replayer and the CLI use it for K/V
// byte accounting without linking LibTorch.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/arch/compute_dtype.h"

namespace kvlab {

struct ModelConfig {
  std::string name;            // preset name, e.g. "demo" or "llama-3-8b"
  int layers = 0;              // decoder blocks; each holds its own K and V per token
  int dModel = 0;              // residual stream width
  int heads = 0;               // query heads
  int kvHeads = 0;             // K/V heads (grouped-query attention); heads % kvHeads == 0
  int headDim = 0;             // width of one head; heads * headDim == dModel for computable presets
  int ffnHidden = 0;           // SwiGLU hidden width (gate and up projections)
  int vocab = 256;             // token ids; 256 = the byte tokenizer used by computable presets
  double ropeTheta = 10000.0;  // RoPE base frequency
  double rmsEps = 1e-5;        // RMSNorm epsilon
  int dtypeBytes = 4;  // bytes per weight/K/V element: 4 = fp32, 2 = fp16/bf16 (= bytesPerElement(dtype))
  ComputeDtype dtype = ComputeDtype::Fp32;  // what a computable model runs and caches K/V in (`--dtype`)
  bool computable = false;  // true: LlamaModel can instantiate it; false: shapes for accounting only
  uint64_t seed = 0;        // weight seed; same seed => bit-identical weights
};

// All presets, computable ones first. The reference stays valid for the program's lifetime.
const std::vector<ModelConfig>& modelPresets();

// nullptr if no preset has that name.
const ModelConfig* findModelPreset(std::string_view name);

// The same preset running in `dtype`: sets dtype and dtypeBytes together, so K/V byte accounting, the
// resource check and the model agree (bf16 halves the K/V bytes of an fp32 run).
ModelConfig withDtype(ModelConfig config, ComputeDtype dtype);

// K+V bytes one token occupies in one layer: kvHeads * headDim * 2 (K and V) * dtypeBytes.
uint64_t kvBytesPerTokenPerLayer(const ModelConfig& config);

// K+V bytes one token occupies across all layers (llama-3-70b: 327680 = 320 KiB).
uint64_t kvBytesPerToken(const ModelConfig& config);

}  // namespace kvlab
