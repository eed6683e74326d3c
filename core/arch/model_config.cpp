// SPDX-License-Identifier: MIT
#include "core/arch/model_config.h"

#include <algorithm>

namespace kvlab {

namespace {

std::vector<ModelConfig> buildPresets() {
  std::vector<ModelConfig> presets;

  // demo: 32 layers like the original multi-layer demo, narrow enough (dModel 256) that a 1k-token
  // prefill takes about half a second on 2 CPU cores. headDim 128 as in the real models: the
  // attention GEMMs get a 128-deep contraction and there are half as many softmax rows as with 4
  // heads of 64 (measured ~25% faster). 2 query heads share 1 K/V head (GQA group 2), so K/V is
  // 32 KiB per token. Every GEMM dimension is a multiple of 64 (BLAS-friendly).
  ModelConfig demo;
  demo.name = "demo";
  demo.layers = 32;
  demo.dModel = 256;
  demo.heads = 2;
  demo.kvHeads = 1;
  demo.headDim = 128;
  demo.ffnHidden = 640;
  demo.computable = true;
  demo.seed = 1234;
  presets.push_back(demo);

  // small: the test model; milliseconds per prefill, GQA group 2.
  ModelConfig small;
  small.name = "small";
  small.layers = 4;
  small.dModel = 64;
  small.heads = 4;
  small.kvHeads = 2;
  small.headDim = 16;
  small.ffnHidden = 192;
  small.computable = true;
  small.seed = 42;
  presets.push_back(small);

  // gpu-1b: computable and sized for a GPU, so GPU speedups are GEMM-bound rather than dominated by kernel
  // launches. Llama-3.2-1B's shapes (16 layers, dModel 2048, 32 query heads of 64 sharing 8 K/V heads: GQA
  // group 4, SwiGLU 8192, RoPE base 500000) with the byte vocabulary: per layer 2048 x (2048 + 2 x 512) QKV
  // + 2048 x 2048 out + 2048 x 2 x 8192 gate/up + 8192 x 2048 down = 60,817,408 weights, x 16 layers =
  // 973,078,528, plus 2 x 256 x 2048 embedding/head = ~0.97 B parameters (3.9 GB in fp32: not a CPU model).
  // K/V: 16 x 2 x 8 x 64 x 4 bytes = 64 KiB per token in fp32.
  ModelConfig gpu1b;
  gpu1b.name = "gpu-1b";
  gpu1b.layers = 16;
  gpu1b.dModel = 2048;
  gpu1b.heads = 32;
  gpu1b.kvHeads = 8;
  gpu1b.headDim = 64;
  gpu1b.ffnHidden = 8192;
  gpu1b.ropeTheta = 500000.0;
  gpu1b.computable = true;
  gpu1b.seed = 2024;
  presets.push_back(gpu1b);

  // Accounting-only presets: real shapes, bf16 K/V, never instantiated.
  const auto real = [](std::string name, int layers, int dModel, int heads, int kvHeads, int ffn, int vocab,
                       double ropeTheta) {
    ModelConfig c;
    c.name = std::move(name);
    c.layers = layers;
    c.dModel = dModel;
    c.heads = heads;
    c.kvHeads = kvHeads;
    c.headDim = 128;
    c.ffnHidden = ffn;
    c.vocab = vocab;
    c.ropeTheta = ropeTheta;
    c.dtypeBytes = 2;
    c.dtype = ComputeDtype::Bf16;
    c.computable = false;
    return c;
  };
  presets.push_back(real("llama-3-8b", 32, 4096, 32, 8, 14336, 128256, 500000.0));
  presets.push_back(real("llama-3-70b", 80, 8192, 64, 8, 28672, 128256, 500000.0));
  presets.push_back(real("mistral-7b", 32, 4096, 32, 8, 14336, 32000, 10000.0));
  presets.push_back(real("qwen2-7b", 28, 3584, 28, 4, 18944, 152064, 1000000.0));
  return presets;
}

}  // namespace

const std::vector<ModelConfig>& modelPresets() {
  static const std::vector<ModelConfig> presets = buildPresets();
  return presets;
}

const ModelConfig* findModelPreset(std::string_view name) {
  const auto& presets = modelPresets();
  const auto it =
      std::find_if(presets.begin(), presets.end(), [name](const ModelConfig& c) { return c.name == name; });
  return it == presets.end() ? nullptr : &*it;
}

ModelConfig withDtype(ModelConfig config, ComputeDtype dtype) {
  config.dtype = dtype;
  config.dtypeBytes = bytesPerElement(dtype);
  return config;
}

uint64_t kvBytesPerTokenPerLayer(const ModelConfig& config) {
  return uint64_t(config.kvHeads) * uint64_t(config.headDim) * 2u * uint64_t(config.dtypeBytes);
}

uint64_t kvBytesPerToken(const ModelConfig& config) {
  return uint64_t(config.layers) * kvBytesPerTokenPerLayer(config);
}

}  // namespace kvlab
