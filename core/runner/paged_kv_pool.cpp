// SPDX-License-Identifier: MIT
#include "core/runner/paged_kv_pool.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace kvlab {

namespace {
constexpr int kBlockDim = 3;  // the block index in the pool's (L, 2, Hkv, N, B, hd)
}  // namespace

PagedKvPool::PagedKvPool(std::vector<std::int64_t> blockShape, at::TensorOptions options,
                         std::int64_t initialBlocks)
    : m_blockShape(std::move(blockShape)) {
  if (m_blockShape.size() != 5 || m_blockShape[1] != 2)
    throw std::invalid_argument("PagedKvPool: a block is (layers, 2, kv_heads, tokens, head_dim)");
  std::int64_t elements = 1;
  for (const std::int64_t d : m_blockShape) {
    if (d < 1) throw std::invalid_argument("PagedKvPool: empty block shape");
    elements *= d;
  }
  m_pool = at::empty({0}, options);
  m_blockBytes = Bytes(elements) * Bytes(m_pool.element_size());
  grow(std::max<std::int64_t>(2, initialBlocks));
}

void PagedKvPool::grow(std::int64_t capacity) {
  const std::int64_t old = this->capacity();
  at::Tensor pool = at::empty({m_blockShape[0], 2, m_blockShape[2], capacity, m_blockShape[3], m_blockShape[4]},
                              m_pool.options());
  if (old > 0) pool.narrow(kBlockDim, 0, old).copy_(m_pool);
  // Touch the new pages now (see the header); device memory is resident once allocated.
  if (pool.device().is_cpu()) pool.narrow(kBlockDim, old, capacity - old).zero_();
  m_pool = std::move(pool);
  m_refs.resize(std::size_t(capacity), 0);
  // Handed out from the back: the new blocks in ascending order after whatever was free.
  std::vector<std::int64_t> fresh;
  fresh.reserve(std::size_t(capacity - old));
  for (std::int64_t b = capacity - 1; b >= old; --b) fresh.push_back(b);
  m_free.insert(m_free.begin(), fresh.begin(), fresh.end());
}

void PagedKvPool::reserve(std::int64_t blocks) {
  if (blocks > capacity()) grow(blocks);
}

std::int64_t PagedKvPool::allocate() {
  if (m_free.empty()) grow(capacity() * 2);
  const std::int64_t block = m_free.back();
  m_free.pop_back();
  m_refs[std::size_t(block)] = 1;
  return block;
}

void PagedKvPool::retain(std::int64_t block) {
  if (block < 0 || block >= capacity() || m_refs[std::size_t(block)] == 0)
    throw std::logic_error("PagedKvPool::retain: block " + std::to_string(block) + " is not allocated");
  ++m_refs[std::size_t(block)];
}

void PagedKvPool::release(std::int64_t block) {
  if (block < 0 || block >= capacity() || m_refs[std::size_t(block)] == 0)
    throw std::logic_error("PagedKvPool::release: block " + std::to_string(block) + " is not allocated");
  if (--m_refs[std::size_t(block)] == 0) m_free.push_back(block);
}

void PagedKvPool::write(std::int64_t block, const at::Tensor& kv) {
  view(block).copy_(kv);
}

at::Tensor PagedKvPool::view(std::int64_t block) const { return m_pool.select(kBlockDim, block); }

void PagedKvPool::gather(int layer, const at::Tensor& table, const at::Tensor& k, const at::Tensor& v) const {
  const std::int64_t n = table.size(0), heads = m_blockShape[2], tokens = m_blockShape[3],
                     headDim = m_blockShape[4];
  // (Hkv, N, B, hd) per layer and K/V; the output's token dim split into (n, B) is a view for any head stride.
  const at::Tensor layerKv = m_pool.select(0, layer);  // (2, Hkv, N, B, hd)
  at::Tensor kBlocks = k.view({heads, n, tokens, headDim});
  at::Tensor vBlocks = v.view({heads, n, tokens, headDim});
  at::index_select_out(kBlocks, layerKv.select(0, 0), /*dim=*/1, table);
  at::index_select_out(vBlocks, layerKv.select(0, 1), /*dim=*/1, table);
}

bool PagedKvPool::allFree(std::int64_t first, std::int64_t count) const {
  if (first < 0 || count < 0 || first + count > capacity()) return false;
  for (std::int64_t b = first; b < first + count; ++b)
    if (m_refs[std::size_t(b)] != 0) return false;
  return true;
}

KvSegment PagedKvPool::run(int layer, std::int64_t first, std::int64_t count) const {
  if (first < 0 || count < 1 || first + count > capacity())
    throw std::out_of_range("PagedKvPool::run: blocks outside the pool");
  // (Hkv, N, B, hd) per K/V: a run of blocks is (Hkv, count, B, hd), whose (count, B) rows merge into one
  // token dimension without a copy.
  const at::Tensor layerKv = m_pool.select(0, layer).narrow(kBlockDim - 1, first, count);  // (2, Hkv, n, B, hd)
  const std::int64_t heads = m_blockShape[2], tokens = count * m_blockShape[3], headDim = m_blockShape[4];
  return {layerKv.select(0, 0).view({heads, tokens, headDim}), layerKv.select(0, 1).view({heads, tokens, headDim})};
}

}  // namespace kvlab
