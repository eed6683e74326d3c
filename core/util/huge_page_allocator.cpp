// SPDX-License-Identifier: MIT
#include "core/util/huge_page_allocator.h"

#include <cstdint>
#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace kvlab::huge_pages {

namespace {
constexpr std::size_t kHugePage = std::size_t(2) << 20;
std::size_t roundUp(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
}  // namespace

#if defined(__linux__) && defined(MADV_HUGEPAGE)
void* allocate(std::size_t bytes) {
  const std::size_t size = roundUp(bytes);
  // Map one huge page more than needed and trim both ends, so the array starts on a 2 MiB boundary (THP
  // backs only aligned 2 MiB ranges).
  void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t end = start + size + kHugePage;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // advice only: without THP the pages are ordinary ones
  return p;
}

void deallocate(void* p, std::size_t bytes) noexcept { munmap(p, roundUp(bytes)); }
#else
void* allocate(std::size_t bytes) { return ::operator new(bytes); }
void deallocate(void* p, std::size_t bytes) noexcept { ::operator delete(p, bytes); }
#endif

}  // namespace kvlab::huge_pages
