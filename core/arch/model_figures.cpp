// SPDX-License-Identifier: MIT
#include "core/arch/model_figures.h"

#include "core/arch/kv_cache_layout.h"
#include "core/arch/parameter_count.h"

namespace kvlab {

ModelFigures modelFigures(const ModelConfig& m, std::uint64_t tokens) {
  const KvCacheLayout layout(m);
  const ParameterCount p = countParameters(m);
  ModelFigures f;
  f.name = m.name;
  f.source = m.source;
  f.family = m.family;
  f.attention = attentionName(m);
  f.kvDtype = std::string(toString(effectiveKvDtype(m)));
  f.layers = m.layers;
  f.everyTokenLayers = layout.everyTokenLayers();
  f.windowLayers = layout.windowLayers();
  f.window = layout.window();
  f.stateLayers = layout.stateLayers();
  f.hidden = m.dModel;
  f.heads = m.heads;
  f.kvHeads = m.kvHeads;
  f.headDim = m.headDim;
  f.vocab = m.vocab;
  f.experts = p.moeLayers > 0 ? m.moe.experts : 0;
  f.expertsPerToken = p.moeLayers > 0 ? m.moe.expertsPerToken : 0;
  f.moeLayers = p.moeLayers;
  f.kvBytesPerToken = layout.bytesPerToken();
  f.cacheBytesPerToken = layout.cacheBytesPerToken();
  f.sequenceFixedBytes = layout.sequenceFixedBytes();
  f.tokens = tokens;
  f.kvBytesTotal = layout.bytesForSequence(tokens);
  f.paramsTotal = p.total();
  f.paramsActive = p.active(m);
  f.paramsEmbedding = p.embedding + p.lmHead;
  f.weightBytes = weightBytes(m);
  return f;
}

}  // namespace kvlab
