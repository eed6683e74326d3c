// SPDX-License-Identifier: MIT
#include "core/tiers/model_blob_layout.h"

#include <xxhash.h>

#include <sstream>

#include "core/util/input_error.h"

namespace kvlab {

BlobLayout modelBlobLayout(const ModelConfig& model, uint32_t blockTokens) {
  if (blockTokens == 0) throw InputError("", 0, "block-size", "must be at least 1 token");
  std::ostringstream identity;
  identity.precision(17);
  identity << "kvlab-model|" << model.name << '|' << model.layers << '|' << model.dModel << '|' << model.heads
           << '|' << model.kvHeads << '|' << model.headDim << '|' << model.ffnHidden << '|' << model.vocab
           << '|' << model.ropeTheta << '|' << model.rmsEps << '|' << model.dtypeBytes << '|' << model.seed;
  // bf16 and fp16 have the same size but not the same bits: the dtype's name keeps them apart (an fp32 run
  // keeps the identity it always had, so its stored blocks stay readable).
  if (model.dtype != ComputeDtype::Fp32) identity << '|' << toString(model.dtype);
  const std::string text = identity.str();
  BlobLayout layout;
  layout.modelFingerprint = XXH3_64bits(text.data(), text.size());
  layout.layerBegin = 0;
  layout.layerEnd = static_cast<uint32_t>(model.layers);
  switch (model.dtype) {
    case ComputeDtype::Fp32:
      layout.dtype = BlobDtype::F32;
      break;
    case ComputeDtype::Bf16:
      layout.dtype = BlobDtype::BF16;
      break;
    case ComputeDtype::Fp16:
      layout.dtype = BlobDtype::F16;
      break;
  }
  layout.shape = {2, model.layers, model.kvHeads, static_cast<int64_t>(blockTokens), model.headDim};
  layout.blockTokens = blockTokens;
  return layout;
}

}  // namespace kvlab
