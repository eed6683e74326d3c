// SPDX-License-Identifier: MIT
#pragma once
// uint64 id -> SlotId for the entries a cache holds right now: open addressing with linear probing and
// backward-shift deletion (Knuth vol. 3, 6.4, Algorithm R). A cache erases one id for every id it inserts
// once full; a table with tombstones (absl's flat_hash_map) pays for that churn with periodic in-place
// rehashes, this one never leaves a tombstone, so a replay's millions of insert/evict pairs cost a few
// cache-resident probes each. Sized to at most half full; grows by doubling. Fibonacci hashing spreads the
// small dense ids of traces (0, 1, 2, ...) over the whole table.
#include <bit>
#include <cstdint>
#include <vector>

#include "core/cache/cache_types.h"
#include "core/util/huge_page_allocator.h"

namespace kvlab {

class IdSlotTable {
public:
  IdSlotTable() { rehash(16); }

  std::size_t size() const { return m_size; }
  void reserve(std::size_t entries) {
    if (entries * 2 > m_cells.size()) rehash(std::bit_ceil(entries * 2));
  }

  // The slot of id, or kNoSlot if absent.
  SlotId find(std::uint64_t id) const {
    for (std::size_t i = home(id);; i = (i + 1) & m_mask) {
      const Cell& c = m_cells[i];
      if (c.slot == kNoSlot) return kNoSlot;
      if (c.id == id) return c.slot;
    }
  }
  // id's slot if present; else inserts id with slotIfAbsent (!= kNoSlot) and returns kNoSlot. One probe.
  SlotId findOrPut(std::uint64_t id, SlotId slotIfAbsent) {
    if (m_size >= m_growAt) rehash(m_cells.size() * 2);
    std::size_t i = home(id);
    for (; m_cells[i].slot != kNoSlot; i = (i + 1) & m_mask)
      if (m_cells[i].id == id) return m_cells[i].slot;
    m_cells[i] = Cell{id, slotIfAbsent};
    ++m_size;
    return kNoSlot;
  }
  // Brings id's home cell towards the cache: a caller with many ids in hand asks a few ahead, so their
  // misses overlap.
  void prefetch(std::uint64_t id) const { __builtin_prefetch(&m_cells[home(id)]); }
  // Sets id's slot (slot != kNoSlot), inserting id if absent.
  void put(std::uint64_t id, SlotId slot) {
    if (m_size >= m_growAt) rehash(m_cells.size() * 2);
    std::size_t i = home(id);
    for (; m_cells[i].slot != kNoSlot; i = (i + 1) & m_mask) {
      if (m_cells[i].id == id) {
        m_cells[i].slot = slot;
        return;
      }
    }
    m_cells[i] = Cell{id, slot};
    ++m_size;
  }
  // Removes id if present.
  void erase(std::uint64_t id) {
    std::size_t i = home(id);
    for (; m_cells[i].id != id || m_cells[i].slot == kNoSlot; i = (i + 1) & m_mask)
      if (m_cells[i].slot == kNoSlot) return;
    // Backward shift: pull each later cell of the probe run into the hole unless its home lies
    // cyclically in (hole, cell], where it would then be unreachable.
    for (std::size_t j = (i + 1) & m_mask;; j = (j + 1) & m_mask) {
      if (m_cells[j].slot == kNoSlot) break;
      const std::size_t h = home(m_cells[j].id);
      const bool reachable = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (reachable) continue;
      m_cells[i] = m_cells[j];
      i = j;
    }
    m_cells[i].slot = kNoSlot;
    --m_size;
  }

private:
  struct Cell {
    std::uint64_t id = 0;
    SlotId slot = kNoSlot;  // kNoSlot = empty cell
  };
  std::size_t home(std::uint64_t id) const {
    return std::size_t((id * 0x9E3779B97F4A7C15ull) >> m_shift);  // 2^64 / golden ratio
  }
  void rehash(std::size_t cells) {
    Cells old = std::move(m_cells);
    m_cells.assign(cells, Cell{});
    m_mask = cells - 1;
    m_shift = unsigned(64 - std::countr_zero(cells));
    m_growAt = cells / 2;  // put() doubles before the table would be more than half full
    m_size = 0;
    for (const Cell& c : old)
      if (c.slot != kNoSlot) put(c.id, c.slot);
  }

  // Large tables (a trace's every block) on transparent huge pages: see huge_page_allocator.h.
  using Cells = std::vector<Cell, HugePageAllocator<Cell>>;
  Cells m_cells;  // a power of two, at most half full
  std::size_t m_mask = 0;
  unsigned m_shift = 64;
  std::size_t m_size = 0;
  std::size_t m_growAt = 0;  // m_cells.size() / 2
};

}  // namespace kvlab
