// SPDX-License-Identifier: MIT
#include "core/runner/live_model.h"

#include <filesystem>

#include "core/arch/hf_config_reader.h"
#include "core/model/checkpoint_weights.h"
#include "core/model/compute_info.h"
#include "core/runner/run_support.h"
#include "core/util/input_error.h"
#include "core/weights/safetensors_checkpoint.h"

namespace kvlab {

LiveModelChoice chooseLiveModel(const std::string& nameOrPath, ComputeDtype dtype, const std::string& device,
                                bool allowTf32) {
  namespace fs = std::filesystem;
  LiveModelChoice choice;
  if (!SafetensorsCheckpoint::hasWeights(nameOrPath)) {
    choice.config = computeModelOrThrow(nameOrPath, dtype, device, allowTf32);
    choice.weightsDescription = "generated (seed " + std::to_string(choice.config.seed) + ")";
    return choice;
  }
  ModelConfig config = readHfConfig(nameOrPath);
  CheckpointWeights::checkSupported(config);
  config.computable = true;  // the checkpoint gives every weight
  const std::string fileDtype(toString(config.dtype));
  choice.config = withDtype(config, dtype);
  if (dtype == ComputeDtype::Fp16 && device.rfind("cuda", 0) != 0)
    throw InputError("", 0, "dtype",
                     "fp16 needs a CUDA device (LibTorch's CPU kernels lack fp16 matrix products); on " + device +
                         " use bf16 or fp32");
  setAllowTf32(allowTf32);
  choice.weightsDir = nameOrPath;
  choice.weightsDescription = "checkpoint " + nameOrPath + " (" + fileDtype + " weights, computed in " +
                              std::string(toString(dtype)) + ")";
  std::error_code ec;
  const fs::path tokenizer = fs::path(nameOrPath) / "tokenizer.json";
  if (fs::exists(tokenizer, ec)) choice.tokenizerPath = tokenizer.string();
  return choice;
}

}  // namespace kvlab
