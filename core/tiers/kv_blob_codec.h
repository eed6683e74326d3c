// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

// Element type of a stored K/V block.
enum class BlobDtype : uint8_t { F32 = 1, F16 = 2, BF16 = 3 };
size_t blobDtypeBytes(BlobDtype dtype);

// What every block stored by one lab looks like: which model produced it and how its cache is laid out.
// Two labs share blocks only if their layouts are equal; the layout also names the key namespace.
struct BlobLayout {
  uint64_t modelFingerprint = 0;  // hash of the model's identity and weights (caller's choice, stable)
  uint32_t layerBegin = 0;        // layers [layerBegin, layerEnd) held by one block
  uint32_t layerEnd = 0;
  BlobDtype dtype = BlobDtype::F32;
  std::vector<int64_t> shape;  // payload tensor shape, e.g. {2 (K,V), layers, heads, blockTokens, headDim}
  uint32_t blockTokens = 0;    // tokens per block

  size_t payloadBytes() const;  // product(shape) * dtype size
  bool operator==(const BlobLayout&) const = default;
};

// Binary blob format of one stored block (version 2, all integers little-endian):
//   off  0  magic "KVLB"                     off 28  u32 reserved (0)
//   off  4  u16 format version (2)           off 32  u64 block hash (the key's own hash)
//   off  6  u8  dtype                        off 40  i64 dims[rank]
//   off  7  u8  rank (1..8)                  then    u64 payload bytes
//   off  8  u64 model fingerprint            then    u64 XXH3-64 of every byte before it + the payload
//   off 16  u32 layer begin, off 20 u32 layer end     then    payload
//   off 24  u32 block tokens
// Keys: "kvlab:v1:<namespace>:<block hash>", both 16 lower-case hex digits; the namespace is the XXH3-64 of
// the layout (and the format version), so labs with different models or cache layouts never read each
// other's blocks. The block hash in the header makes a blob self-describing: a value filed under another
// block's key (a copy, a RENAME, a client bug) is rejected, not served as that block's K/V.
//
// The checksum catches corruption, not forgery: it is a plain hash anyone can recompute, not a MAC. Anyone
// who can write to the Redis namespace can plant a blob this lab accepts (docs/tiers.md, "Trust").
class KvBlobCodec {
public:
  enum class Status { Ok, Malformed, ChecksumMismatch, LayoutMismatch, KeyMismatch };
  struct Decoded {
    Status status = Status::Malformed;
    std::string_view payload;  // view into the decoded blob when status == Ok
    std::string reason;        // human-readable cause when status != Ok
  };

  static constexpr uint16_t kFormatVersion = 2;
  static constexpr size_t kMaxRank = 8;

  // Throws std::invalid_argument for a layout that cannot be encoded (empty or too many dims,
  // non-positive dims, layerEnd < layerBegin).
  explicit KvBlobCodec(BlobLayout layout);

  const BlobLayout& layout() const { return m_layout; }

  // The blob of block `blockHash`. Throws std::invalid_argument if payload.size() != layout().payloadBytes().
  std::string encode(uint64_t blockHash, std::string_view payload) const;

  // Validates a blob read under block `blockHash`'s key against this codec's layout: LayoutMismatch for
  // another model or layout, KeyMismatch for an intact blob of ours that belongs to another block. Never
  // throws.
  Decoded decode(std::string_view blob, uint64_t blockHash) const;

  const std::string& namespaceId() const { return m_namespace; }  // 16 hex digits
  std::string keyFor(uint64_t blockHash) const;
  std::string keyPattern() const;  // glob matching this namespace's keys, for SCAN MATCH

  // Encodes a payload under an arbitrary layout (used by tests to forge another model's blob).
  static std::string encodeWith(const BlobLayout& layout, uint64_t blockHash, std::string_view payload);

private:
  BlobLayout m_layout;
  std::string m_namespace;
};

}  // namespace kvlab
