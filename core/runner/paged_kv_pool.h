// SPDX-License-Identifier: MIT
#pragma once
// Every cached K/V block of a block-granularity live run in preallocated tensors, addressed by a block
// index: the tensor side of vLLM's block pool and paged layout, laid out for the prefill's reads
// (core/serving/KvBlockPool is the serving simulation's size-only pool; the live cache's eviction order is
// its CacheEngine's, so this one only allocates, counts references and stores).
//
// Layout, per layer and K/V head: values (N, B, hd), so a run of consecutive blocks is one (tokens, hd)
// matrix, the B of the attention's P·V; keys transposed, (hd, N*B + pad), so the same run's keys are one
// (hd, tokens) row-major matrix, the B of Q·K^T as it is. Stored the other way (tokens, hd), the matrix
// library repacks the transposed view on every product: 272 -> 199 us per layer for 140 query rows over
// 1862 keys (oneDNN, 2-core VM; README "Measured figures"), about 2 ms of a 32-layer cache hit. A full
// prefill's own keys gain nothing from it (its 270-query chunks amortise the repack, and writing the keys
// transposed costs as much), so only the pool is laid out this way. vLLM also keeps its key cache in the
// order its attention kernel reads it. The pad (16 tokens) keeps a head's key rows off power-of-two
// strides, which cost as much as the repack (cache-set conflicts).
//
// The blocks of a prefix - any indices, in any order - land in a prefill's (Hkv, P, hd) buffers with one
// index_select per layer for keys and one for values; consecutive blocks are read in place (run()), with no
// copy and the same kernels on CUDA. Blocks are reference counted: the payload store holds one reference per
// cached block and a CachedPrefix one per block it reads, so a block the cache drops while a request still
// reads it (a TTL running out between lookup and store) is only reused once that request lets go (vLLM's
// ref_cnt). When full, the pool doubles (one copy of what it holds). On the CPU every page is touched when
// the pool is made or grows, as vLLM's pool is allocated once up front: a block's first use, by store() or
// by a prefill writing its new tokens' K/V into free blocks (CachedPrefix's room), then never faults inside
// a timed section. Internal to core/runner (exposes tensors); one thread (the run thread) uses it.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "core/cache/cache_types.h"
#include "core/model/kv_prefix_source.h"

namespace kvlab {

class PagedKvPool {
public:
  // blockShape: one block's (L, 2, Hkv, B, hd); options: the pool's dtype and device. Room for
  // initialBlocks blocks at first (at least 2: a block's view then never spans its whole storage, so no
  // one mistakes it for a compact tensor of its own); on the CPU untouched room costs address space only.
  PagedKvPool(std::vector<std::int64_t> blockShape, at::TensorOptions options, std::int64_t initialBlocks);

  // A free block with one reference, its contents undefined; doubles the pool when none is free.
  std::int64_t allocate();
  // Room for at least `blocks` blocks (grows now if need be; views taken before go stale).
  void reserve(std::int64_t blocks);
  void retain(std::int64_t block);
  // Drops one reference; the last one frees the block.
  void release(std::int64_t block);

  // Copies kv, one block's (L, 2, Hkv, B, hd) of any strides and device, into `block`.
  void write(std::int64_t block, const at::Tensor& kv);
  // A copy of tokens [from, from + count) of `block` (all of it by default): (L, 2, Hkv, count, hd),
  // contiguous, on the pool's device.
  at::Tensor copyOut(std::int64_t block, std::int64_t from = 0, std::int64_t count = -1) const;
  // Layer `layer`'s K and V of the blocks table[0..n) in that order into k and v, (Hkv, n * B, hd) each
  // (a head's rows contiguous, heads may be apart). table: int64 (n) on the pool's device.
  void gather(int layer, const at::Tensor& table, const at::Tensor& k, const at::Tensor& v) const;
  // Layer `layer`'s K and V of the consecutive blocks [first, first + count) in place: (Hkv, count * B, hd)
  // views of the pool (no copy), valid until the pool grows; k's last dimension is the strided one (k
  // transposed is a row-major (Hkv, hd, count * B) view).
  KvSegment run(int layer, std::int64_t first, std::int64_t count) const;
  // True when every block of [first, first + count) is inside the pool and free.
  bool allFree(std::int64_t first, std::int64_t count) const;

  std::vector<std::int64_t> blockShape() const { return m_blockShape; }
  std::int64_t blockTokens() const { return m_blockShape[3]; }
  Bytes blockBytes() const { return m_blockBytes; }
  std::int64_t capacity() const { return std::int64_t(m_refs.size()); }  // blocks
  std::int64_t used() const { return capacity() - std::int64_t(m_free.size()); }
  at::Device device() const { return m_values.device(); }
  const at::Tensor& keys() const { return m_keys; }      // (L, Hkv, hd, N*B + pad)
  const at::Tensor& values() const { return m_values; }  // (L, Hkv, N, B, hd)

private:
  void grow(std::int64_t capacity);
  // (L, Hkv, hd, count * B): the keys of blocks [first, first + count), a view.
  at::Tensor keyColumns(std::int64_t first, std::int64_t count) const;

  std::vector<std::int64_t> m_blockShape;  // (L, 2, Hkv, B, hd)
  at::Tensor m_keys;                       // (L, Hkv, hd, N*B + pad)
  at::Tensor m_values;                     // (L, Hkv, N, B, hd)
  std::vector<std::uint32_t> m_refs;       // per block; 0 = free
  std::vector<std::int64_t> m_free;        // free blocks, handed out from the back (last freed first)
  Bytes m_blockBytes = 0;
};

}  // namespace kvlab
