// SPDX-License-Identifier: MIT
#include "core/hardware/step_cost_model.h"

#include <stdexcept>

namespace kvlab {

StepCostModel::StepCostModel(const ModelConfig& model, const HardwareProfile& hardware) {
  const double d = model.dModel, q = double(model.heads) * model.headDim,
               kv = double(model.kvHeads) * model.headDim;
  // Per layer: Wq (d x q), Wk and Wv (d x kv each), Wo (q x d), SwiGLU gate, up and down (3 x d x ffn).
  const double perLayer = d * q + 2 * d * kv + q * d + 3 * d * double(model.ffnHidden);
  m_linearParams = perLayer * model.layers;
  m_lmHeadParams = d * model.vocab;
  m_attentionFlopsPerPair = 4.0 * model.layers * q;  // QK^T (2 x q) and AV (2 x q) per attended position
  m_weightBytes = (m_linearParams + m_lmHeadParams) * model.dtypeBytes;
  m_kvBytesPerToken = kvlab::kvBytesPerToken(model);
  m_flops = hardware.effectiveFlops();
  m_bandwidth = hardware.effectiveBandwidth();
  if (!(m_flops > 0) || !(m_bandwidth > 0))
    throw std::invalid_argument("hardware profile '" + hardware.name + "' has no FLOP/s or bandwidth");
}

StepCost StepCostModel::cost(const StepLoad& load) const {
  StepCost c;
  c.flops = 2.0 * m_linearParams * double(load.newTokens) + 2.0 * m_lmHeadParams * double(load.logits) +
            m_attentionFlopsPerPair * load.attentionPairs;
  c.bytes = m_weightBytes + double(m_kvBytesPerToken) * double(load.contextTokensRead + load.newTokens);
  c.computeS = c.flops / m_flops;
  c.memoryS = c.bytes / m_bandwidth;
  return c;
}

}  // namespace kvlab
