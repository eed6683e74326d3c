// SPDX-License-Identifier: MIT
#include "core/model/attention_mask.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace kvlab {

at::Tensor bottomRightCausalMask(int64_t queries, int64_t keys, const at::TensorOptions& options) {
  if (queries < 1 || keys < queries)
    throw std::invalid_argument("bottomRightCausalMask: need 1 <= queries <= keys, got " +
                                std::to_string(queries) + " queries, " + std::to_string(keys) + " keys");
  // tril(diagonal = P) keeps j - i <= P, i.e. j <= P + i.
  return at::ones({queries, keys}, options.dtype(at::kBool)).tril_(/*diagonal=*/keys - queries);
}

}  // namespace kvlab
