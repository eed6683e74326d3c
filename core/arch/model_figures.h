// SPDX-License-Identifier: MIT
#pragma once
// What `kvlab-cli model` prints for one model: its K/V per token and per sequence, its layers by kind,
// its parameters and weight bytes. One value derived from a ModelConfig through KvCacheLayout and
// countParameters, so the CLI, the GUI and the tests read the same figures.
#include <cstdint>
#include <string>

#include "core/arch/model_config.h"

namespace kvlab {

struct ModelFigures {
  std::string name;
  std::string source;     // the published config's URL, or the file read
  std::string family;     // model_type
  std::string attention;  // "MHA", "GQA", "MQA", "MLA" (attentionName)
  std::string kvDtype;    // "bf16", "fp8", ...
  int layers = 0;
  int everyTokenLayers = 0;  // full attention + MLA: keep every token
  int windowLayers = 0;
  std::uint32_t window = 0;  // largest window, tokens (0 = none)
  int stateLayers = 0;       // linear attention / recurrent state
  int hidden = 0;
  int heads = 0;
  int kvHeads = 0;
  int headDim = 0;
  int vocab = 0;
  int experts = 0;  // routed experts per MoE layer (0 = dense)
  int expertsPerToken = 0;
  int moeLayers = 0;
  std::uint64_t kvBytesPerToken = 0;     // the every-token layers, one token (KvCacheLayout::bytesPerToken)
  std::uint64_t cacheBytesPerToken = 0;  // what a cached token costs in a byte-sized prefix cache
  std::uint64_t sequenceFixedBytes = 0;  // windowed + state layers, most per sequence
  std::uint64_t tokens = 0;              // the sequence length kvBytesTotal is for
  std::uint64_t kvBytesTotal = 0;        // one sequence of `tokens` tokens, all layers
  double paramsTotal = 0;
  double paramsActive = 0;     // per token (active counts the embedding table and the LM head)
  double paramsEmbedding = 0;  // the embedding table plus the LM head when untied
  double weightBytes = 0;
};

ModelFigures modelFigures(const ModelConfig& model, std::uint64_t tokens);

}  // namespace kvlab
