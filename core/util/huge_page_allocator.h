// SPDX-License-Identifier: MIT
#pragma once
// A standard allocator for the replay's big random-access tables (a hash map of every block, a tree over
// every touch). On this VM a first touch of a 4 KiB page costs microseconds, and a one-pass LRU curve over a
// trace touches megabytes of fresh table once: the faults, not the work, set its speed. Large arrays are
// mapped 2 MiB aligned and marked for transparent huge pages (Linux: MADV_HUGEPAGE, which the default
// "madvise" THP mode honours), so a fault brings in 2 MiB and the table needs far fewer TLB entries. Small
// arrays, and systems without THP, take the ordinary heap; results never depend on which.
#include <cstddef>
#include <new>

namespace kvlab {

namespace huge_pages {
// Bytes from which an array is mapped on its own (below: operator new).
inline constexpr std::size_t kThreshold = std::size_t(1) << 20;
void* allocate(std::size_t bytes);  // throws std::bad_alloc
void deallocate(void* p, std::size_t bytes) noexcept;
}  // namespace huge_pages

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() noexcept = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < huge_pages::kThreshold) return static_cast<T*>(::operator new(bytes, std::align_val_t(alignof(T))));
    return static_cast<T*>(huge_pages::allocate(bytes));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    // The unsized aligned delete: clang declares the sized one only with -fsized-deallocation.
    if (bytes < huge_pages::kThreshold)
      ::operator delete(p, std::align_val_t(alignof(T)));
    else
      huge_pages::deallocate(p, bytes);
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace kvlab
