// SPDX-License-Identifier: MIT
#include "core/arch/parameter_count.h"

namespace kvlab {

double baseWeightBits(const ModelConfig& m) { return double(m.dtypeBytes) * 8.0; }
double linearWeightBits(const ModelConfig& m) {
  return m.linearWeightBits > 0 ? m.linearWeightBits : baseWeightBits(m);
}
double expertWeightBits(const ModelConfig& m) {
  return m.expertWeightBits > 0 ? m.expertWeightBits : linearWeightBits(m);
}

ParameterCount countParameters(const ModelConfig& m) {
  ParameterCount p;
  const double h = m.dModel;
  const double q = double(m.heads) * m.headDim;     // query width (and attention output width)
  const double kv = double(m.kvHeads) * m.headDim;  // K (and V) width
  p.embedding = double(m.vocab) * h;
  p.lmHead = m.tiedEmbeddings ? 0.0 : double(m.vocab) * h;
  p.vectors = h;  // the final norm
  const MoeShape& e = m.moe;
  p.matricesPerExpert = 3.0 * h * e.expertFfn;  // gate, up (hidden x ffn) and down (ffn x hidden)
  p.vectorsPerExpert = e.expertBias ? 2.0 * e.expertFfn + h : 0.0;
  for (int i = 0; i < m.layers; ++i) {
    const LayerKind kind = layerKind(m, i);
    p.vectors += double(m.normsPerLayer) * h;
    switch (kind.attention) {
      case LayerAttention::Full:
      case LayerAttention::SlidingWindow:
        // q (with the output gate, twice as wide), k, v: hidden x width; o: q width x hidden.
        p.attentionMatrices += h * q * (m.attentionGate ? 2.0 : 1.0) + 2.0 * h * kv + q * h;
        if (m.attentionBias != AttentionBias::None) p.vectors += q + 2.0 * kv;
        if (m.attentionBias == AttentionBias::QkvO) p.vectors += h;
        if (m.qkNorm) p.vectors += 2.0 * m.headDim;
        if (m.attentionSinks) p.vectors += m.heads;
        break;
      case LayerAttention::Mla: {
        // DeepSeek V3 (modeling_deepseek_v3.py): q_a_proj (hidden x q_lora) + q_a_layernorm + q_b_proj
        // (q_lora x heads x (nope + rope)), or q_proj (hidden x heads x (nope + rope)) without q_lora;
        // kv_a_proj_with_mqa (hidden x (kv_lora + rope)) + kv_a_layernorm; kv_b_proj (kv_lora x heads x
        // (nope + v)); o_proj (heads x v x hidden).
        const MlaShape& a = m.mla;
        const double qk = double(m.heads) * (a.qkNopeHeadDim + a.qkRopeHeadDim);
        if (a.qLoraRank > 0) {
          p.attentionMatrices += h * a.qLoraRank + double(a.qLoraRank) * qk;
          p.vectors += a.qLoraRank;
        } else {
          p.attentionMatrices += h * qk;
        }
        p.attentionMatrices += h * (a.kvLoraRank + a.qkRopeHeadDim) +
                               double(a.kvLoraRank) * m.heads * (a.qkNopeHeadDim + a.vHeadDim) +
                               double(m.heads) * a.vHeadDim * h;
        p.vectors += a.kvLoraRank;
        break;
      }
      case LayerAttention::LinearState: {
        // Qwen3-Next's Gated DeltaNet (modeling_qwen3_next.py): in_proj_qkvz (hidden x (2 key + 2 value
        // widths)), in_proj_ba (hidden x 2 value heads), out_proj (value width x hidden); a depthwise
        // convolution over q, k, v (convKernel taps each), dt_bias and A_log per value head, a gated
        // RMSNorm of valueHeadDim.
        const LinearAttentionShape& l = m.linear;
        const double keyWidth = double(l.keyHeads) * l.keyHeadDim;
        const double valueWidth = double(l.valueHeads) * l.valueHeadDim;
        p.attentionMatrices +=
            h * (2.0 * keyWidth + 2.0 * valueWidth) + h * 2.0 * l.valueHeads + valueWidth * h;
        p.vectors += (2.0 * keyWidth + valueWidth) * l.convKernel + 2.0 * l.valueHeads + l.valueHeadDim;
        break;
      }
    }
    if (kind.moe) {
      ++p.moeLayers;
      p.expertMatrices += double(e.experts) * p.matricesPerExpert;
      p.expertVectors += double(e.experts) * p.vectorsPerExpert;
      p.mlpMatrices += h * e.experts + 3.0 * h * e.sharedFfn + (e.sharedGate ? h : 0.0);  // router, shared
      if (e.routerBias) p.vectors += e.experts;
    } else {
      p.mlpMatrices += 3.0 * h * m.ffnHidden;  // SwiGLU gate, up, down
    }
  }
  return p;
}

double weightBytes(const ModelConfig& m) {
  const ParameterCount p = countParameters(m);
  const double base = baseWeightBits(m) / 8.0;
  return (p.embedding + p.lmHead + p.vectors + p.expertVectors) * base +
         (p.attentionMatrices + p.mlpMatrices) * linearWeightBits(m) / 8.0 +
         p.expertMatrices * expertWeightBits(m) / 8.0;
}

}  // namespace kvlab
