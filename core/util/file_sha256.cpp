// SPDX-License-Identifier: MIT
#include "core/util/file_sha256.h"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <stdexcept>

#include "core/util/input_error.h"

namespace kvlab {

namespace {

std::string toHex(const unsigned char* digest, unsigned int length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

void check(int ok) {
  if (ok != 1) throw std::runtime_error("OpenSSL SHA-256 failed");
}

}  // namespace

std::string sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  check(EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr));
  return toHex(digest, length);
}

std::string sha256HexOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open the file to fingerprint it");
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx) throw std::runtime_error("OpenSSL: out of memory");
  check(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr));
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    check(EVP_DigestUpdate(ctx.get(), buffer, static_cast<size_t>(in.gcount())));
  if (in.bad()) throw InputError(path, 0, "", "read error while fingerprinting the file");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  check(EVP_DigestFinal_ex(ctx.get(), digest, &length));
  return toHex(digest, length);
}

}  // namespace kvlab
