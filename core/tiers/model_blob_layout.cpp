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
  const std::string text = identity.str();
  BlobLayout layout;
  layout.modelFingerprint = XXH3_64bits(text.data(), text.size());
  layout.layerBegin = 0;
  layout.layerEnd = static_cast<uint32_t>(model.layers);
  layout.dtype = model.dtypeBytes == 2 ? BlobDtype::F16 : BlobDtype::F32;
  layout.shape = {2, model.layers, model.kvHeads, static_cast<int64_t>(blockTokens), model.headDim};
  layout.blockTokens = blockTokens;
  return layout;
}

}  // namespace kvlab
