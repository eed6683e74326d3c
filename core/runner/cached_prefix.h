// SPDX-License-Identifier: MIT
#pragma once
// The K/V of the prefix a lookup found, as the cache holds it: runs of pool blocks (block granularity) and
// stored entries (radix nodes, prompt entries, an offloaded prefix brought to the compute device), in
// token order. Nothing is assembled: the prefill reads each layer straight into its attention buffer
// (KvPrefixSource::read: one index_select per layer and K/V for a run of blocks, one copy per entry).
// Holds a reference on every pool block and tensor it reads, so what the cache drops or overwrites
// after the lookup (a TTL running out, the request's own inserts) stays readable while this lives.
// Internal to core/runner (exposes tensors); made and read by the run thread.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/model/kv_prefix_source.h"
#include "core/model/llama_model.h"
#include "core/runner/paged_kv_pool.h"

namespace kvlab {

class CachedPrefix final : public KvPrefixSource {
public:
  explicit CachedPrefix(int layers) : m_layers(layers) {}
  ~CachedPrefix() override;
  CachedPrefix(const CachedPrefix&) = delete;
  CachedPrefix& operator=(const CachedPrefix&) = delete;

  // Appends pool blocks (whole blocks, in token order), taking a reference on each; consecutive calls
  // with the same pool extend one run (one gather per layer).
  void addBlocks(const std::shared_ptr<PagedKvPool>& pool, const std::vector<std::int64_t>& blocks);
  // Appends the first `tokens` tokens of an all-layer entry, (L, 2, Hkv, T, hd).
  void addEntry(const at::Tensor& kv, std::int64_t tokens);
  // Appends the first `tokens` tokens of per-layer entries over the same tokens, L x (2, Hkv, T, hd).
  void addLayerEntries(std::vector<at::Tensor> layers, std::int64_t tokens);
  // After the last add: moves each run's block table to its pool's device (one small copy on CUDA).
  void finish();

  std::int64_t tokens() const override { return m_tokens; }
  void read(int layer, const at::Tensor& k, const at::Tensor& v) const override;
  // Each run of consecutive pool blocks and each entry as one in-place view; false beyond kMaxSegments.
  bool segments(int layer, std::vector<KvSegment>& out) const override;
  // The same with the last run extended over the free blocks right after it, when the prefix ends in a
  // pool run and those blocks are free: in a conversation that grows turn by turn they are (blocks are
  // handed out in ascending order, so the previous turn's blocks end the pool's used stretch). The room is
  // only borrowed: nothing is allocated, so the store that follows files the blocks as usual (it copies the
  // new K/V before it writes any block).
  bool segmentsWithRoom(int layer, std::int64_t newTokens, std::vector<KvSegment>& out) const override;
  // Beyond this many stretches per layer, reading the prefix into one buffer costs less than the two small
  // matrix products per stretch and query chunk that attending in place takes.
  static constexpr std::size_t kMaxSegments = 32;

  // Tokens [start, start + count) of every layer, (L, 2, Hkv, count, hd): a view when they lie in one
  // stored piece (a single pool block, an entry), else an assembled copy. For filing entries that start
  // inside the prefix (store()), off the TTFT path.
  at::Tensor slice(std::int64_t start, std::int64_t count) const;
  // Every layer's K/V of the whole prefix as contiguous copies (tests, diagnostics).
  std::vector<LayerKv> materialize() const;
  std::size_t pieces() const { return m_pieces.size(); }

private:
  // segments(), with the last run extended over roomBlocks more blocks to newTokens tokens past the prefix.
  bool appendSegments(int layer, std::int64_t roomBlocks, std::int64_t newTokens, std::vector<KvSegment>& out) const;

  struct Piece {
    std::int64_t tokens = 0;
    std::shared_ptr<PagedKvPool> pool;   // a run of pool blocks...
    std::vector<std::int64_t> blocks;    // ...these, in token order
    at::Tensor table;                    // int64 (blocks) on the pool's device (finish())
    // Maximal runs of consecutive block indices, (first block, count), in token order (finish()).
    std::vector<std::pair<std::int64_t, std::int64_t>> runs;
    at::Tensor entry;                    // or an all-layer entry (L, 2, Hkv, T, hd)
    std::vector<at::Tensor> layerEntries;  // or per-layer entries, L x (2, Hkv, T, hd)
    at::Tensor layerKv(int layer) const;   // (2, Hkv, tokens, hd) of an entry piece
  };

  int m_layers = 0;
  std::int64_t m_tokens = 0;
  std::vector<Piece> m_pieces;
  std::size_t m_segments = 0;  // runs plus entry pieces (finish())
};

}  // namespace kvlab
