// SPDX-License-Identifier: MIT
#include "core/arch/model_config.h"

#include "core/arch/kv_cache_layout.h"

namespace kvlab {

ModelConfig withDtype(ModelConfig config, ComputeDtype dtype) {
  config.dtype = dtype;
  config.dtypeBytes = bytesPerElement(dtype);
  return config;
}

ModelConfig withKvDtype(ModelConfig config, KvDtype dtype) {
  config.kvDtype = dtype;
  return config;
}

KvDtype effectiveKvDtype(const ModelConfig& config) {
  if (config.kvDtype) return *config.kvDtype;
  switch (config.dtypeBytes) {
    case 1:
      return KvDtype::Fp8;
    case 2:
      return config.dtype == ComputeDtype::Fp16 ? KvDtype::Fp16 : KvDtype::Bf16;
    default:
      return KvDtype::Fp32;
  }
}

LayerKind layerKind(const ModelConfig& config, int layer) {
  if (layer >= 0 && std::size_t(layer) < config.layerKinds.size())
    return config.layerKinds[std::size_t(layer)];
  return LayerKind{};
}

std::string attentionName(const ModelConfig& config) {
  bool attention = false;
  for (int i = 0; i < config.layers; ++i) {
    const LayerAttention a = layerKind(config, i).attention;
    if (a == LayerAttention::Mla) return "MLA";
    attention = attention || a != LayerAttention::LinearState;
  }
  if (!attention && config.layers > 0) return "linear";
  if (config.kvHeads == 1 && config.heads > 1) return "MQA";
  return config.kvHeads == config.heads ? "MHA" : "GQA";
}

uint64_t kvBytesPerToken(const ModelConfig& config) { return KvCacheLayout(config).cacheBytesPerToken(); }

uint64_t kvBytesPerTokenPerLayer(const ModelConfig& config) {
  return kvBytes(2ull * std::uint64_t(config.kvHeads) * std::uint64_t(config.headDim),
                 effectiveKvDtype(config));
}

}  // namespace kvlab
