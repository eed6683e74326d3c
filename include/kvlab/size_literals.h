// SPDX-License-Identifier: MIT
#pragma once
// Public (installed) header: byte-size literals, `using namespace kvlab::literals;` then `10_GiB`.
// Binary units (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones (KB, MB, GB, TB) powers of 1000, as
// kvlab-cli's size parser reads them. A literal whose value does not fit 64 bits is a compile error when
// used in a constant expression.
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace kvlab::literals {

namespace detail {
constexpr std::uint64_t scaled(unsigned long long value, std::uint64_t unit) {
  if (value > std::numeric_limits<std::uint64_t>::max() / unit)
    throw std::overflow_error("size literal too large");
  return std::uint64_t(value) * unit;
}
}  // namespace detail

constexpr std::uint64_t operator""_KiB(unsigned long long n) {
  return detail::scaled(n, std::uint64_t(1) << 10);
}
constexpr std::uint64_t operator""_MiB(unsigned long long n) {
  return detail::scaled(n, std::uint64_t(1) << 20);
}
constexpr std::uint64_t operator""_GiB(unsigned long long n) {
  return detail::scaled(n, std::uint64_t(1) << 30);
}
constexpr std::uint64_t operator""_TiB(unsigned long long n) {
  return detail::scaled(n, std::uint64_t(1) << 40);
}
constexpr std::uint64_t operator""_KB(unsigned long long n) { return detail::scaled(n, 1000); }
constexpr std::uint64_t operator""_MB(unsigned long long n) { return detail::scaled(n, 1000 * 1000); }
constexpr std::uint64_t operator""_GB(unsigned long long n) { return detail::scaled(n, 1000 * 1000 * 1000); }
constexpr std::uint64_t operator""_TB(unsigned long long n) {
  return detail::scaled(n, std::uint64_t(1000) * 1000 * 1000 * 1000);
}

}  // namespace kvlab::literals
