// SPDX-License-Identifier: MIT
#pragma once
// The newest cache events as a table: a bounded ring buffer (capacity() rows). Appending past the capacity
// drops the oldest rows first (beginRemoveRows), then inserts the new ones at the end (beginInsertRows), so
// views and proxies stay consistent. GUI thread only; fed in batches by EventLogPanel.
#include <QAbstractTableModel>
#include <deque>
#include <vector>

#include "core/cache/cache_types.h"

namespace kvlab {

class EventLogModel : public QAbstractTableModel {
  Q_OBJECT
public:
  // Tokens and Size come right after the reason so a narrow dock shows them without scrolling.
  enum Column { Sequence, Time, Type, Reason, Tokens, Size, Layer, Block, Entry, ColumnCount };
  enum Role { TypeRole = Qt::UserRole + 1, LayerRole };  // CacheEventType as int; layer (-1 = all)

  explicit EventLogModel(std::size_t capacity = 20000, QObject* parent = nullptr);

  std::size_t capacity() const { return m_capacity; }
  std::uint64_t totalAppended() const { return m_total; }            // received since clear(), kept or not
  std::uint64_t droppedOldest() const { return m_total - m_count; }  // received but no longer kept
  const CacheEvent& event(int row) const;
  // 1-based number of the event within the run, counting the events that never reached the log (skip()),
  // so it is the `seq` of `kvlab-cli replay --events` for the same event.
  std::uint64_t sequence(int row) const;

  // `count` events of the run that will never arrive (dropped before reaching the log): numbered past.
  void skip(std::uint64_t count) { m_nextSequence += count; }
  void append(const std::deque<CacheEvent>& events);
  void append(const std::vector<CacheEvent>& events);
  void clear();

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
  template <typename Container>
  void appendRange(const Container& events);

  std::size_t m_capacity;
  std::vector<CacheEvent> m_ring;  // m_capacity slots; row r lives in m_ring[(m_head + r) % m_capacity]
  std::vector<std::uint64_t> m_sequences;  // the sequence number of each slot
  std::uint64_t m_nextSequence = 1;
  std::size_t m_head = 0;
  std::size_t m_count = 0;    // rows
  std::uint64_t m_total = 0;  // events ever appended since clear()
};

}  // namespace kvlab
