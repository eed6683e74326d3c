// SPDX-License-Identifier: MIT
#include "core/arch/kv_cache_layout.h"

#include <algorithm>

#include "core/arch/full_attention_spec.h"
#include "core/arch/linear_state_spec.h"
#include "core/arch/mla_attention_spec.h"
#include "core/arch/sliding_window_spec.h"

namespace kvlab {

namespace {

// The recurrent state is kept in the weights' dtype (vLLM's mamba cache dtype "auto"), not --kv-dtype.
KvDtype stateDtype(const ModelConfig& m) {
  return m.dtypeBytes >= 4 ? KvDtype::Fp32 : m.dtype == ComputeDtype::Fp16 ? KvDtype::Fp16 : KvDtype::Bf16;
}

std::shared_ptr<const KvCacheSpec> makeSpec(const ModelConfig& m, const LayerKind& kind) {
  const KvDtype kv = effectiveKvDtype(m);
  switch (kind.attention) {
    case LayerAttention::Full:
      return std::make_shared<FullAttentionSpec>(m.kvHeads, m.headDim, kv);
    case LayerAttention::SlidingWindow:
      return std::make_shared<SlidingWindowSpec>(m.kvHeads, m.headDim, kind.window, kv);
    case LayerAttention::Mla:
      return std::make_shared<MlaAttentionSpec>(m.mla.kvLoraRank, m.mla.qkRopeHeadDim, kv);
    case LayerAttention::LinearState: {
      // Gated DeltaNet, as vLLM's MambaStateShapeCalculator.gated_delta_net_state_shape: the convolution
      // keeps its last (kernel - 1) inputs of q, k and v ((kernel - 1) x (2 x keyHeads x keyHeadDim +
      // valueHeads x valueHeadDim)); the recurrent state is valueHeads x keyHeadDim x valueHeadDim.
      const LinearAttentionShape& l = m.linear;
      const std::uint64_t convDim = 2ull * std::uint64_t(l.keyHeads) * std::uint64_t(l.keyHeadDim) +
                                    std::uint64_t(l.valueHeads) * std::uint64_t(l.valueHeadDim);
      const std::uint64_t conv = convDim * std::uint64_t(std::max(0, l.convKernel - 1));
      const std::uint64_t state =
          std::uint64_t(l.valueHeads) * std::uint64_t(l.keyHeadDim) * std::uint64_t(l.valueHeadDim);
      return std::make_shared<LinearStateSpec>(conv + state, stateDtype(m));
    }
  }
  return std::make_shared<FullAttentionSpec>(m.kvHeads, m.headDim, kv);
}

bool keepsEveryToken(const KvCacheSpec& s) { return s.kind() == "full_attention" || s.kind() == "mla"; }

}  // namespace

KvCacheLayout::KvCacheLayout(const ModelConfig& model, int tp) : m_tp(std::max(1, tp)) {
  // One spec per distinct layer kind, in order of first appearance.
  std::vector<LayerKind> kinds;
  for (int i = 0; i < model.layers; ++i) {
    const LayerKind k = layerKind(model, i);
    const auto same = [&](const LayerKind& o) { return o.attention == k.attention && o.window == k.window; };
    const auto it = std::find_if(kinds.begin(), kinds.end(), same);
    if (it != kinds.end()) {
      ++m_groups[std::size_t(it - kinds.begin())].layers;
      continue;
    }
    kinds.push_back(k);
    m_groups.push_back(Group{makeSpec(model, k), 1});
  }
}

int KvCacheLayout::layers() const {
  int n = 0;
  for (const Group& g : m_groups) n += g.layers;
  return n;
}

int KvCacheLayout::everyTokenLayers() const {
  int n = 0;
  for (const Group& g : m_groups)
    if (keepsEveryToken(*g.spec)) n += g.layers;
  return n;
}

int KvCacheLayout::windowLayers() const {
  int n = 0;
  for (const Group& g : m_groups)
    if (g.spec->window() > 0) n += g.layers;
  return n;
}

int KvCacheLayout::stateLayers() const {
  int n = 0;
  for (const Group& g : m_groups)
    if (g.spec->stateBytes(m_tp) > 0) n += g.layers;
  return n;
}

std::uint32_t KvCacheLayout::window() const {
  std::uint32_t w = 0;
  for (const Group& g : m_groups) w = std::max(w, g.spec->window());
  return w;
}

std::uint64_t KvCacheLayout::bytesPerToken() const {
  std::uint64_t b = 0;
  for (const Group& g : m_groups)
    if (keepsEveryToken(*g.spec)) b += std::uint64_t(g.layers) * g.spec->bytesPerToken(m_tp);
  return b;
}

std::uint64_t KvCacheLayout::windowBytesPerToken() const {
  std::uint64_t b = 0;
  for (const Group& g : m_groups)
    if (g.spec->window() > 0) b += std::uint64_t(g.layers) * g.spec->bytesPerToken(m_tp);
  return b;
}

std::uint64_t KvCacheLayout::sequenceFixedBytes() const {
  std::uint64_t b = 0;
  for (const Group& g : m_groups)
    if (!keepsEveryToken(*g.spec))
      b += std::uint64_t(g.layers) *
           (std::uint64_t(g.spec->window()) * g.spec->bytesPerToken(m_tp) + g.spec->stateBytes(m_tp));
  return b;
}

std::uint64_t KvCacheLayout::bytesForSequence(std::uint64_t tokens) const {
  std::uint64_t b = 0;
  for (const Group& g : m_groups) b += std::uint64_t(g.layers) * g.spec->bytesForSequence(tokens, m_tp);
  return b;
}

std::uint64_t KvCacheLayout::cacheBytesPerToken() const {
  const std::uint64_t every = bytesPerToken();
  return every > 0 ? every : windowBytesPerToken();
}

}  // namespace kvlab
