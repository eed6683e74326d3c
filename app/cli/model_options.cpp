// SPDX-License-Identifier: MIT
#include "model_options.h"

#include "core/arch/kv_dtype.h"
#include "core/arch/model_loader.h"
#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

void addModelOption(CLI::App& command, std::string& model, const std::string& whatFor) {
  command
      .add_option(
          "--model", model,
          "model: a preset (see `kvlab-cli model`), a Hugging Face config.json or a model directory; " +
              whatFor)
      ->capture_default_str();
}

void addKvDtypeOption(CLI::App& command, std::string& kvDtype) {
  command.add_option(
      "--kv-dtype", kvDtype,
      "K/V element type: bf16, fp16, fp8, int8, fp4 or fp32 (default: the model's weights' dtype)");
}

void addTpOption(CLI::App& command, std::string& tp) {
  command
      .add_option(
          "--tp", tp,
          "tensor parallelism: weights, K/V and FLOPs split over this many devices, an all-reduce per "
          "layer over the interconnect (cost model)")
      ->capture_default_str();
}

ModelConfig resolveModel(const std::string& model, const std::string& kvDtype) {
  ModelConfig m = loadModel(model, "model");
  if (!kvDtype.empty()) m = withKvDtype(std::move(m), parseKvDtype(kvDtype, "kv-dtype"));
  return m;
}

std::uint64_t resolveCacheBytesPerToken(const std::string& model, const std::string& kvDtype) {
  const ModelConfig m = resolveModel(model, kvDtype);
  const std::uint64_t bytes = kvBytesPerToken(m);
  if (bytes == 0)
    throw InputError("", 0, "model",
                     m.name + " keeps no K/V per token (recurrent states only): give sizes in tokens");
  return bytes;
}

std::uint32_t parseTp(const std::string& text) { return std::uint32_t(parseCount(text, "tp", 1, 64)); }

}  // namespace kvlab
