// SPDX-License-Identifier: MIT
#include "core/runner/paged_kv_pool.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace kvlab {

namespace {
// Extra key columns per head beyond N*B: N doubles, so N*B is a power of two whenever B is, and rows that far
// apart fall into the same cache sets (measured: as slow as the repack the transposed keys avoid).
constexpr std::int64_t kKeyPad = 16;
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
  m_keys = at::empty({0}, options);
  m_values = at::empty({0}, options);
  m_blockBytes = Bytes(elements) * Bytes(m_values.element_size());
  grow(std::max<std::int64_t>(2, initialBlocks));
}

void PagedKvPool::grow(std::int64_t capacity) {
  const std::int64_t old = this->capacity();
  const std::int64_t layers = m_blockShape[0], heads = m_blockShape[2], b = m_blockShape[3], hd = m_blockShape[4];
  at::Tensor keys = at::empty({layers, heads, hd, capacity * b + kKeyPad}, m_values.options());
  at::Tensor values = at::empty({layers, heads, capacity, b, hd}, m_values.options());
  if (old > 0) {
    keys.narrow(3, 0, old * b).copy_(m_keys.narrow(3, 0, old * b));
    values.narrow(2, 0, old).copy_(m_values);
  }
  // Touch the new pages now (see the header); device memory is resident once allocated.
  if (values.device().is_cpu()) {
    keys.narrow(3, old * b, keys.size(3) - old * b).zero_();
    values.narrow(2, old, capacity - old).zero_();
  }
  m_keys = std::move(keys);
  m_values = std::move(values);
  m_refs.resize(std::size_t(capacity), 0);
  // Handed out from the back: the new blocks in ascending order after whatever was free.
  std::vector<std::int64_t> fresh;
  fresh.reserve(std::size_t(capacity - old));
  for (std::int64_t block = capacity - 1; block >= old; --block) fresh.push_back(block);
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

at::Tensor PagedKvPool::keyColumns(std::int64_t first, std::int64_t count) const {
  const std::int64_t b = m_blockShape[3];
  return m_keys.narrow(3, first * b, count * b);
}

void PagedKvPool::write(std::int64_t block, const at::Tensor& kv) {
  if (block < 0 || block >= capacity())
    throw std::out_of_range("PagedKvPool::write: block " + std::to_string(block) + " outside the pool");
  keyColumns(block, 1).copy_(kv.select(1, 0).transpose(2, 3));  // (L, Hkv, B, hd) -> (L, Hkv, hd, B)
  m_values.select(2, block).copy_(kv.select(1, 1));
}

at::Tensor PagedKvPool::copyOut(std::int64_t block, std::int64_t from, std::int64_t count) const {
  const std::int64_t b = m_blockShape[3];
  if (count < 0) count = b - from;
  if (block < 0 || block >= capacity() || from < 0 || count < 1 || from + count > b)
    throw std::out_of_range("PagedKvPool::copyOut: block " + std::to_string(block) + " tokens [" +
                            std::to_string(from) + ", " + std::to_string(from + count) + ") outside the pool");
  const at::Tensor keys = m_keys.narrow(3, block * b + from, count).transpose(2, 3);  // (L, Hkv, count, hd)
  const at::Tensor values = m_values.select(2, block).narrow(2, from, count);
  return at::stack({keys, values}, /*dim=*/1);
}

void PagedKvPool::gather(int layer, const at::Tensor& table, const at::Tensor& k, const at::Tensor& v) const {
  const std::int64_t n = table.size(0), heads = m_blockShape[2], tokens = m_blockShape[3],
                     headDim = m_blockShape[4];
  // Values: (Hkv, N, B, hd) -> the output's token dim split into (n, B), a view for any head stride.
  at::Tensor vBlocks = v.view({heads, n, tokens, headDim});
  at::index_select_out(vBlocks, m_values.select(0, layer), /*dim=*/1, table);
  // Keys: (Hkv, hd, N, B) -> (Hkv, hd, n, B) in a scratch tensor, then transposed into k: the one read path
  // that pays a second copy (a prefix in too many pieces, or fused attention, which reads (tokens, hd) keys).
  const std::int64_t columns = capacity() * tokens;
  const at::Tensor byBlock = m_keys.select(0, layer).narrow(2, 0, columns).view({heads, headDim, capacity(), tokens});
  const at::Tensor picked = at::index_select(byBlock, /*dim=*/2, table);  // (Hkv, hd, n, B)
  k.copy_(picked.view({heads, headDim, n * tokens}).transpose(1, 2));
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
  // Values (Hkv, count, B, hd): the (count, B) rows merge into one token dimension without a copy; keys
  // (Hkv, hd, count * B) are columns of the transposed table.
  const std::int64_t heads = m_blockShape[2], tokens = count * m_blockShape[3], headDim = m_blockShape[4];
  return {keyColumns(first, count).select(0, layer).transpose(1, 2),
          m_values.select(0, layer).narrow(1, first, count).view({heads, tokens, headDim})};
}

}  // namespace kvlab
