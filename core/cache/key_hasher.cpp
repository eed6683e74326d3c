// SPDX-License-Identifier: MIT
#include "core/cache/key_hasher.h"

#include <openssl/evp.h>
#include <xxhash.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace kvlab {

namespace {
CacheKey keyFromDigest(const unsigned char* digest) {
  CacheKey key;
  std::memcpy(&key.lo, digest, 8);
  std::memcpy(&key.hi, digest + 8, 8);
  return key;
}

void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL SHA-256 failed in ") + what);
}
}  // namespace

std::string_view toString(BlockHash hash) { return hash == BlockHash::Xxh3 ? "xxh3" : "sha256"; }

BlockHash parseBlockHash(std::string_view name) {
  if (name == "xxh3") return BlockHash::Xxh3;
  if (name == "sha256") return BlockHash::Sha256;
  throw std::invalid_argument("unknown block hash '" + std::string(name) + "' (choose from: xxh3, sha256)");
}

CacheKey sha256Key(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  check(EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr), "EVP_Digest");
  return keyFromDigest(digest);
}

CacheKey chainedBlockKey(BlockHash hash, const CacheKey& parent, std::span<const std::int32_t> tokens) {
  // Little-endian hosts only (x86_64, aarch64): token ids are hashed in their in-memory layout.
  std::vector<unsigned char> buf(sizeof(CacheKey) + tokens.size_bytes());
  std::memcpy(buf.data(), &parent.lo, 8);
  std::memcpy(buf.data() + 8, &parent.hi, 8);
  std::memcpy(buf.data() + 16, tokens.data(), tokens.size_bytes());
  if (hash == BlockHash::Sha256)
    return sha256Key(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
  const XXH128_hash_t h = XXH3_128bits(buf.data(), buf.size());
  return CacheKey{h.low64, h.high64};
}

struct Sha256Stream::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256Stream::Sha256Stream() : m_state(std::make_unique<State>()) {
  m_state->ctx = EVP_MD_CTX_new();
  check(EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr), "EVP_DigestInit_ex");
}

Sha256Stream::Sha256Stream(const Sha256Stream& other) : m_state(std::make_unique<State>()) {
  m_state->ctx = EVP_MD_CTX_new();
  check(EVP_MD_CTX_copy_ex(m_state->ctx, other.m_state->ctx), "EVP_MD_CTX_copy_ex");
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(m_state->ctx); }

void Sha256Stream::update(std::string_view bytes) {
  check(EVP_DigestUpdate(m_state->ctx, bytes.data(), bytes.size()), "EVP_DigestUpdate");
}

CacheKey Sha256Stream::finishCopy(std::string_view suffix) const {
  Sha256Stream copy(*this);
  copy.update(suffix);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(copy.m_state->ctx, digest, &len), "EVP_DigestFinal_ex");
  return keyFromDigest(digest);
}

}  // namespace kvlab
