// SPDX-License-Identifier: MIT
#include "core/hardware/step_cost_model.h"

#include <cmath>
#include <stdexcept>

#include "core/arch/kv_cache_layout.h"
#include "core/arch/parameter_count.h"

namespace kvlab {

std::uint64_t StepLoad::newTokens() const {
  std::uint64_t n = 0;
  for (const Chunk& c : chunks) n += c.newTokens;
  return n;
}

std::uint64_t StepLoad::logits() const {
  std::uint64_t n = 0;
  for (const Chunk& c : chunks) n += c.logit ? 1 : 0;
  return n;
}

StepCostModel::StepCostModel(const ModelConfig& model, const HardwareProfile& hardware, int tp)
    : m_tp(tp < 1 ? 1 : tp) {
  const ParameterCount p = countParameters(model);
  const double h = model.dModel;
  // Matrices a token multiplies by: every non-expert matrix and expertsPerToken routed experts per MoE layer.
  m_denseMatrixFlopsPerToken = 2.0 * (p.attentionMatrices + p.mlpMatrices + p.activeExpertMatrices(model));
  m_lmHeadParams = double(model.vocab) * h;
  // QK^T over the query/key width and AV over the value width, per head, 2 FLOPs per multiply-add (MLA
  // in its prefill form: per-head keys of qk_nope + qk_rope, values of v_head_dim). A state layer attends
  // to no keys: its spec's attendedKeysSum is 0.
  const MlaShape& a = model.mla;
  const double flopsPerKey = a.kvLoraRank > 0
                                 ? 2.0 * model.heads * (a.qkNopeHeadDim + a.qkRopeHeadDim + a.vHeadDim)
                                 : 4.0 * model.heads * model.headDim;
  const KvCacheLayout layout(model, m_tp);
  for (const KvCacheLayout::Group& g : layout.groups())
    m_groups.push_back({g.spec, double(g.layers), flopsPerKey});
  const LinearAttentionShape& l = model.linear;
  m_stateFlopsPerToken = double(layout.stateLayers()) * 4.0 * double(l.valueHeads) * double(l.keyHeadDim) *
                         double(l.valueHeadDim);
  const double base = baseWeightBits(model) / 8.0;
  m_denseMatrixBytes =
      (p.attentionMatrices + p.mlpMatrices) * linearWeightBits(model) / 8.0 + m_lmHeadParams * base;
  m_bytesPerExpert = p.matricesPerExpert * expertWeightBits(model) / 8.0;
  m_moeLayers = double(p.moeLayers);
  m_experts = double(model.moe.experts);
  m_expertsPerToken = double(model.moe.expertsPerToken);
  m_weightBytes = kvlab::weightBytes(model);
  m_kvBytesPerToken = layout.bytesPerToken();
  m_allReduceBytesPerToken =
      m_tp > 1 ? 2.0 * model.layers * 2.0 * double(m_tp - 1) / double(m_tp) * h * double(model.dtypeBytes)
               : 0.0;
  m_flops = hardware.effectiveFlops();
  m_bandwidth = hardware.effectiveBandwidth();
  m_interconnect = hardware.effectiveInterconnect();
  if (!(m_flops > 0) || !(m_bandwidth > 0))
    throw std::invalid_argument("hardware profile '" + hardware.name + "' has no FLOP/s or bandwidth");
  if (m_tp > 1 && !(m_interconnect > 0))
    throw std::invalid_argument("hardware profile '" + hardware.name +
                                "' has no device interconnect for tensor parallelism (tp " +
                                std::to_string(m_tp) + ")");
}

StepCost StepCostModel::flopsOnly(const StepLoad& load) const {
  StepCost c;
  const double tokens = double(load.newTokens());
  c.flops = m_denseMatrixFlopsPerToken * tokens + 2.0 * m_lmHeadParams * double(load.logits()) +
            m_stateFlopsPerToken * tokens;
  for (const AttentionGroup& g : m_groups) {
    double keys = 0;
    for (const StepLoad::Chunk& ch : load.chunks) keys += g.spec->attendedKeysSum(ch.context, ch.newTokens);
    c.flops += g.layers * g.flopsPerKey * keys;
  }
  return c;
}

double StepCostModel::flops(const ModelConfig& model, const StepLoad& load) {
  HardwareProfile unit;
  unit.name = "flops";
  unit.peakFlops = 1;
  unit.memoryBandwidth = 1;
  return StepCostModel(model, unit).flopsOnly(load).flops;
}

StepCost StepCostModel::cost(const StepLoad& load) const {
  StepCost c = flopsOnly(load);
  const double tokens = double(load.newTokens());
  // Weights: every non-expert matrix and the LM head once; of the routed experts, those the step's tokens
  // are expected to reach when each picks expertsPerToken of experts independently and uniformly.
  double weights = m_denseMatrixBytes;
  if (m_moeLayers > 0 && tokens > 0) {
    const double touched = m_experts * (1.0 - std::pow(1.0 - m_expertsPerToken / m_experts, tokens));
    weights += m_moeLayers * touched * m_bytesPerExpert;
  }
  double kv = 0;
  for (const AttentionGroup& g : m_groups) {
    double bytes = 0;
    for (const StepLoad::Chunk& ch : load.chunks)
      bytes += double(g.spec->tokensKept(ch.context) + ch.newTokens) * double(g.spec->bytesPerToken(m_tp)) +
               2.0 * double(g.spec->stateBytes(m_tp));
    kv += g.layers * bytes;
  }
  c.bytes = weights / double(m_tp) + kv;
  c.computeS = c.flops / double(m_tp) / m_flops;
  c.memoryS = c.bytes / m_bandwidth;
  c.allReduceS = m_tp > 1 ? m_allReduceBytesPerToken * tokens / m_interconnect : 0.0;
  return c;
}

}  // namespace kvlab
