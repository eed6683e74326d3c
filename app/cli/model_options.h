// SPDX-License-Identifier: MIT
#pragma once
// The model and hardware flags every command shares, added and resolved the same way everywhere:
//   --model      a preset name, a Hugging Face config.json, or a model directory holding one
//   --kv-dtype   what K/V is stored in (bf16, fp16, fp8, int8, fp4, fp32); default: the weights' dtype
//   --tp         devices the model is split over (tensor parallelism; simulate, fleet --serving)
// Every resolver throws InputError naming the flag (or the config file and its field).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "core/arch/model_config.h"

namespace kvlab {

void addModelOption(CLI::App& command, std::string& model, const std::string& whatFor);
void addKvDtypeOption(CLI::App& command, std::string& kvDtype);
void addTpOption(CLI::App& command, std::string& tp);

// The model --model names, with --kv-dtype applied ("" = the weights' dtype).
ModelConfig resolveModel(const std::string& model, const std::string& kvDtype);
// resolveModel's K/V bytes per cached token; a model that keeps none per token is refused (field 'model').
std::uint64_t resolveCacheBytesPerToken(const std::string& model, const std::string& kvDtype);
// --tp: 1 to 64 (field 'tp').
std::uint32_t parseTp(const std::string& text);

}  // namespace kvlab
