// SPDX-License-Identifier: MIT
#pragma once
// A model's K/V cache, layer by layer: one KvCacheSpec per layer kind (kv_cache_spec.h), derived once from
// a ModelConfig (as vLLM derives its kv_cache_groups from the model's layers), with the layer count of each.
// Everything that sizes a cache asks this class; it asks the specs.
//
// Per token vs per sequence: layers that keep every token (full attention, MLA) cost bytesPerToken() for
// each cached token. A windowed layer holds at most its window per sequence and a recurrent state layer a
// constant state, whatever the length: sequenceFixedBytes(). So a prefix cache sized in bytes holds
// bytes / cacheBytesPerToken() tokens (vLLM frees a windowed layer's blocks once they leave the window), and
// a serving pool sets sequenceFixedBytes() aside per running sequence.
//
// All figures are for one device of a tensor-parallel group of `tp` (kv_cache_spec.h).
#include <cstdint>
#include <memory>
#include <vector>

#include "core/arch/kv_cache_spec.h"
#include "core/arch/model_config.h"

namespace kvlab {

class KvCacheLayout {
public:
  struct Group {
    std::shared_ptr<const KvCacheSpec> spec;
    int layers = 0;  // layers with this spec
  };

  explicit KvCacheLayout(const ModelConfig& model, int tp = 1);

  const std::vector<Group>& groups() const { return m_groups; }
  int tp() const { return m_tp; }
  int layers() const;
  int everyTokenLayers() const;  // full attention and MLA: keep every token
  int windowLayers() const;      // sliding window
  int stateLayers() const;       // recurrent state
  std::uint32_t window() const;  // the largest window of a windowed layer; 0 = none

  // K/V bytes of one token in the layers that keep every token (`kv_bytes_per_token`).
  std::uint64_t bytesPerToken() const;
  // K/V bytes of one token in the windowed layers, all of them.
  std::uint64_t windowBytesPerToken() const;
  // The most one sequence holds outside the every-token layers: window x bytes per token of each windowed
  // layer plus every state.
  std::uint64_t sequenceFixedBytes() const;
  // Everything one sequence of `tokens` tokens holds, all layers (`kv_bytes_total`).
  std::uint64_t bytesForSequence(std::uint64_t tokens) const;
  // What one cached token costs in a prefix cache sized in bytes: bytesPerToken(); for a model with no
  // every-token layer, its windowed layers' windowBytesPerToken() (a cached block then holds their K/V);
  // 0 only for a model of recurrent states alone (nothing is cached per token).
  std::uint64_t cacheBytesPerToken() const;

private:
  std::vector<Group> m_groups;
  int m_tp = 1;
};

}  // namespace kvlab
