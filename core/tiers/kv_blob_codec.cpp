// SPDX-License-Identifier: MIT
#include "core/tiers/kv_blob_codec.h"

#include <xxhash.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace kvlab {

namespace {

constexpr char kMagic[4] = {'K', 'V', 'L', 'B'};
constexpr size_t kFixedHeader = 40;  // up to the dims

void putLe(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

uint64_t getLe(std::string_view in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  return value;
}

std::string hex16(uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

void validateLayout(const BlobLayout& layout) {
  if (layout.shape.empty() || layout.shape.size() > KvBlobCodec::kMaxRank)
    throw std::invalid_argument("blob layout: shape must have 1..8 dimensions");
  for (int64_t dim : layout.shape)
    if (dim <= 0) throw std::invalid_argument("blob layout: every dimension must be positive");
  if (layout.layerEnd < layout.layerBegin)
    throw std::invalid_argument("blob layout: layerEnd must not be below layerBegin");
  (void)blobDtypeBytes(layout.dtype);
}

// The header without its checksum; the checksum covers exactly these bytes followed by the payload.
std::string headerWithoutChecksum(const BlobLayout& layout, uint64_t blockHash, uint64_t payloadBytes) {
  std::string out(kMagic, sizeof kMagic);
  putLe(out, KvBlobCodec::kFormatVersion, 2);
  putLe(out, static_cast<uint8_t>(layout.dtype), 1);
  putLe(out, layout.shape.size(), 1);
  putLe(out, layout.modelFingerprint, 8);
  putLe(out, layout.layerBegin, 4);
  putLe(out, layout.layerEnd, 4);
  putLe(out, layout.blockTokens, 4);
  putLe(out, 0, 4);
  putLe(out, blockHash, 8);
  for (int64_t dim : layout.shape) putLe(out, static_cast<uint64_t>(dim), 8);
  putLe(out, payloadBytes, 8);
  return out;
}

uint64_t checksum(std::string_view header, std::string_view payload) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, header.data(), header.size());
  XXH3_64bits_update(state, payload.data(), payload.size());
  const uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return digest;
}

}  // namespace

size_t blobDtypeBytes(BlobDtype dtype) {
  switch (dtype) {
    case BlobDtype::F32:
      return 4;
    case BlobDtype::F16:
    case BlobDtype::BF16:
      return 2;
  }
  throw std::invalid_argument("blob layout: unknown dtype");
}

size_t BlobLayout::payloadBytes() const {
  size_t elements = 1;
  for (int64_t dim : shape) elements *= static_cast<size_t>(dim);
  return elements * blobDtypeBytes(dtype);
}

KvBlobCodec::KvBlobCodec(BlobLayout layout) : m_layout(std::move(layout)) {
  validateLayout(m_layout);
  // The namespace hashes the header a zero-length payload would have: every layout field and the format
  // version, so any change to them lands in a different namespace.
  const std::string identity = headerWithoutChecksum(m_layout, /*blockHash=*/0, /*payloadBytes=*/0);
  m_namespace = hex16(XXH3_64bits(identity.data(), identity.size()));
}

std::string KvBlobCodec::encodeWith(const BlobLayout& layout, uint64_t blockHash, std::string_view payload) {
  validateLayout(layout);
  if (payload.size() != layout.payloadBytes())
    throw std::invalid_argument("blob encode: payload is " + std::to_string(payload.size()) +
                                " bytes, layout needs " + std::to_string(layout.payloadBytes()));
  std::string blob = headerWithoutChecksum(layout, blockHash, payload.size());
  putLe(blob, checksum(blob, payload), 8);
  blob.append(payload);
  return blob;
}

std::string KvBlobCodec::encode(uint64_t blockHash, std::string_view payload) const {
  return encodeWith(m_layout, blockHash, payload);
}

KvBlobCodec::Decoded KvBlobCodec::decode(std::string_view blob, uint64_t blockHash) const {
  Decoded result;
  if (blob.size() < kFixedHeader) {
    result.reason = "blob shorter than its header";
    return result;
  }
  if (std::memcmp(blob.data(), kMagic, sizeof kMagic) != 0) {
    result.reason = "not a kvlab blob (bad magic)";
    return result;
  }
  const auto version = static_cast<uint16_t>(getLe(blob, 4, 2));
  if (version != kFormatVersion) {
    result.reason = "unsupported blob format version " + std::to_string(version);
    return result;
  }
  const size_t rank = getLe(blob, 7, 1);
  if (rank == 0 || rank > kMaxRank) {
    result.reason = "blob rank out of range";
    return result;
  }
  const size_t headerBytes = kFixedHeader + 8 * rank + 8;  // dims + payload size
  if (blob.size() < headerBytes + 8) {
    result.reason = "blob shorter than its header";
    return result;
  }
  const uint64_t payloadBytes = getLe(blob, headerBytes - 8, 8);
  if (payloadBytes != blob.size() - headerBytes - 8) {
    result.reason = "blob size does not match its header";
    return result;
  }
  const std::string_view header = blob.substr(0, headerBytes);
  const std::string_view payload = blob.substr(headerBytes + 8);
  if (getLe(blob, headerBytes, 8) != checksum(header, payload)) {
    result.status = Status::ChecksumMismatch;
    result.reason = "blob checksum mismatch";
    return result;
  }
  // Intact blob: it must be one of ours, i.e. its header must be exactly what our layout writes for this
  // block. The block hash is compared apart, so a blob of ours under another block's key is told apart.
  const std::string expected = headerWithoutChecksum(m_layout, blockHash, m_layout.payloadBytes());
  constexpr size_t kHashAt = 32;
  if (header.substr(0, kHashAt) != std::string_view(expected).substr(0, kHashAt) ||
      header.substr(kHashAt + 8) != std::string_view(expected).substr(kHashAt + 8)) {
    result.status = Status::LayoutMismatch;
    result.reason = "blob written for another model or cache layout";
    return result;
  }
  if (header != expected) {
    result.status = Status::KeyMismatch;
    result.reason = "blob of another block filed under this block's key";
    return result;
  }
  result.status = Status::Ok;
  result.payload = payload;
  return result;
}

std::string KvBlobCodec::keyFor(uint64_t blockHash) const {
  return "kvlab:v1:" + m_namespace + ":" + hex16(blockHash);
}

std::string KvBlobCodec::keyPattern() const { return "kvlab:v1:" + m_namespace + ":*"; }

}  // namespace kvlab
