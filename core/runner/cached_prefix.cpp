// SPDX-License-Identifier: MIT
#include "core/runner/cached_prefix.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

namespace kvlab {

namespace {
constexpr int kTokenDim = 3;  // in an all-layer (L, 2, Hkv, T, hd) tensor
}  // namespace

CachedPrefix::~CachedPrefix() {
  for (const Piece& piece : m_pieces)
    for (const std::int64_t block : piece.blocks) piece.pool->release(block);
}

void CachedPrefix::addBlocks(const std::shared_ptr<PagedKvPool>& pool, const std::vector<std::int64_t>& blocks) {
  if (blocks.empty()) return;
  if (m_pieces.empty() || m_pieces.back().pool != pool) {
    m_pieces.emplace_back();
    m_pieces.back().pool = pool;
  }
  Piece& run = m_pieces.back();
  for (const std::int64_t block : blocks) {
    pool->retain(block);
    run.blocks.push_back(block);
  }
  const std::int64_t tokens = std::int64_t(blocks.size()) * pool->blockTokens();
  run.tokens += tokens;
  m_tokens += tokens;
}

void CachedPrefix::addEntry(const at::Tensor& kv, std::int64_t tokens) {
  if (tokens <= 0) return;
  if (kv.dim() != 5 || kv.size(0) != m_layers || kv.size(kTokenDim) < tokens)
    throw std::invalid_argument("CachedPrefix: an entry must be (layers, 2, kv_heads, tokens, head_dim)");
  Piece piece;
  piece.tokens = tokens;
  piece.entry = kv;
  m_pieces.push_back(std::move(piece));
  m_tokens += tokens;
}

void CachedPrefix::addLayerEntries(std::vector<at::Tensor> layers, std::int64_t tokens) {
  if (tokens <= 0) return;
  if (std::int64_t(layers.size()) != m_layers)
    throw std::invalid_argument("CachedPrefix: per-layer entries must cover every layer");
  Piece piece;
  piece.tokens = tokens;
  piece.layerEntries = std::move(layers);
  m_pieces.push_back(std::move(piece));
  m_tokens += tokens;
}

void CachedPrefix::finish() {
  m_segments = 0;
  for (Piece& piece : m_pieces) {
    if (!piece.pool) {
      ++m_segments;
      continue;
    }
    // Blocks are handed out in ascending order, so what one request stored lies in one run.
    piece.runs.clear();
    for (const std::int64_t block : piece.blocks) {
      if (!piece.runs.empty() && piece.runs.back().first + piece.runs.back().second == block)
        ++piece.runs.back().second;
      else
        piece.runs.emplace_back(block, 1);
    }
    m_segments += piece.runs.size();
    const at::Tensor table =
        at::from_blob(piece.blocks.data(), {std::int64_t(piece.blocks.size())}, at::kLong);
    piece.table = table.to(piece.pool->device(), /*non_blocking=*/false, /*copy=*/true);
  }
}

at::Tensor CachedPrefix::Piece::layerKv(int layer) const {
  const at::Tensor kv = entry.defined() ? entry.select(0, layer) : layerEntries[std::size_t(layer)];
  return kv.narrow(kTokenDim - 1, 0, tokens);  // (2, Hkv, tokens, hd)
}

void CachedPrefix::read(int layer, const at::Tensor& k, const at::Tensor& v) const {
  std::int64_t offset = 0;
  for (const Piece& piece : m_pieces) {
    const at::Tensor kPart = k.narrow(1, offset, piece.tokens);
    const at::Tensor vPart = v.narrow(1, offset, piece.tokens);
    if (piece.pool) {
      if (!piece.table.defined()) throw std::logic_error("CachedPrefix::read before finish()");
      piece.pool->gather(layer, piece.table, kPart, vPart);
    } else {
      const at::Tensor kv = piece.layerKv(layer);
      kPart.copy_(kv.select(0, 0));
      vPart.copy_(kv.select(0, 1));
    }
    offset += piece.tokens;
  }
}

bool CachedPrefix::segments(int layer, std::vector<KvSegment>& out) const {
  return appendSegments(layer, 0, 0, out);
}

bool CachedPrefix::segmentsWithRoom(int layer, std::int64_t newTokens, std::vector<KvSegment>& out) const {
  if (m_pieces.empty() || newTokens < 1 || !m_pieces.back().pool) return false;
  const Piece& last = m_pieces.back();
  if (last.runs.empty()) throw std::logic_error("CachedPrefix::segmentsWithRoom before finish()");
  const auto [first, count] = last.runs.back();
  const std::int64_t blockTokens = last.pool->blockTokens();
  const std::int64_t roomBlocks = (newTokens + blockTokens - 1) / blockTokens;
  if (!last.pool->allFree(first + count, roomBlocks)) return false;
  return appendSegments(layer, roomBlocks, newTokens, out);
}

bool CachedPrefix::appendSegments(int layer, std::int64_t roomBlocks, std::int64_t newTokens,
                                  std::vector<KvSegment>& out) const {
  if (m_segments == 0 || m_segments > kMaxSegments) return false;
  for (const Piece& piece : m_pieces) {
    if (piece.pool) {
      if (piece.runs.empty()) throw std::logic_error("CachedPrefix::segments before finish()");
      for (const auto& [first, count] : piece.runs) {
        const bool lastRun = roomBlocks > 0 && &piece == &m_pieces.back() && &first == &piece.runs.back().first;
        if (!lastRun) {
          out.push_back(piece.pool->run(layer, first, count));
          continue;
        }
        // Over the room's blocks too, cut at the last new token.
        const KvSegment extended = piece.pool->run(layer, first, count + roomBlocks);
        const std::int64_t tokens = count * piece.pool->blockTokens() + newTokens;
        out.push_back({extended.k.narrow(1, 0, tokens), extended.v.narrow(1, 0, tokens)});
      }
    } else {
      const at::Tensor kv = piece.layerKv(layer);
      out.push_back({kv.select(0, 0), kv.select(0, 1)});
    }
  }
  return true;
}

at::Tensor CachedPrefix::slice(std::int64_t start, std::int64_t count) const {
  if (start < 0 || count <= 0 || start + count > m_tokens)
    throw std::out_of_range("CachedPrefix::slice: outside the prefix");
  std::vector<at::Tensor> parts;  // (L, 2, Hkv, t, hd) views in token order
  std::int64_t pieceStart = 0;
  for (const Piece& piece : m_pieces) {
    const std::int64_t from = std::max(start, pieceStart);
    const std::int64_t to = std::min(start + count, pieceStart + piece.tokens);
    if (from < to) {
      if (piece.pool) {
        const std::int64_t b = piece.pool->blockTokens();
        for (std::int64_t t = from; t < to;) {
          const std::int64_t index = (t - pieceStart) / b, within = (t - pieceStart) % b;
          const std::int64_t n = std::min(to - t, b - within);
          parts.push_back(piece.pool->copyOut(piece.blocks[std::size_t(index)], within, n));
          t += n;
        }
      } else if (piece.entry.defined()) {
        parts.push_back(piece.entry.narrow(kTokenDim, from - pieceStart, to - from));
      } else {
        std::vector<at::Tensor> layers;
        for (int l = 0; l < m_layers; ++l) layers.push_back(piece.layerKv(l).narrow(kTokenDim - 1, from - pieceStart, to - from));
        parts.push_back(at::stack(layers));
      }
    }
    pieceStart += piece.tokens;
  }
  return parts.size() == 1 ? parts.front() : at::cat(parts, kTokenDim);
}

std::vector<LayerKv> CachedPrefix::materialize() const {
  std::vector<LayerKv> layers;
  if (m_tokens == 0) return layers;
  const at::Tensor first = slice(0, 1);  // dtype, device and shape of the heads
  for (int l = 0; l < m_layers; ++l) {
    LayerKv kv{at::empty({first.size(2), m_tokens, first.size(4)}, first.options()),
               at::empty({first.size(2), m_tokens, first.size(4)}, first.options())};
    read(l, kv.k, kv.v);
    layers.push_back(std::move(kv));
  }
  return layers;
}

}  // namespace kvlab
