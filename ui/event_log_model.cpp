// SPDX-License-Identifier: MIT
#include "ui/event_log_model.h"

#include <algorithm>

#include "core/util/units.h"
#include "ui/chart_palette.h"

namespace kvlab {

EventLogModel::EventLogModel(std::size_t capacity, QObject* parent)
    : QAbstractTableModel(parent), m_capacity(std::max<std::size_t>(1, capacity)) {
  m_ring.resize(m_capacity);
  m_sequences.resize(m_capacity);
}

const CacheEvent& EventLogModel::event(int row) const {
  return m_ring[(m_head + std::size_t(row)) % m_capacity];
}

std::uint64_t EventLogModel::sequence(int row) const {
  return m_sequences[(m_head + std::size_t(row)) % m_capacity];
}

void EventLogModel::append(const std::deque<CacheEvent>& events) { appendRange(events); }
void EventLogModel::append(const std::vector<CacheEvent>& events) { appendRange(events); }

template <typename Container>
void EventLogModel::appendRange(const Container& events) {
  if (events.empty()) return;
  // Only the newest m_capacity of the new events can survive; the older ones are only counted.
  const std::size_t incoming = std::min(events.size(), m_capacity);
  m_total += events.size() - incoming;
  m_nextSequence += events.size() - incoming;
  const std::size_t overflow = m_count + incoming > m_capacity ? m_count + incoming - m_capacity : 0;
  if (overflow > 0) {
    beginRemoveRows({}, 0, int(overflow) - 1);
    m_head = (m_head + overflow) % m_capacity;
    m_count -= overflow;
    endRemoveRows();
  }
  beginInsertRows({}, int(m_count), int(m_count + incoming) - 1);
  for (auto it = events.end() - std::ptrdiff_t(incoming); it != events.end(); ++it) {
    m_ring[(m_head + m_count) % m_capacity] = *it;
    m_sequences[(m_head + m_count) % m_capacity] = m_nextSequence++;
    ++m_count;
  }
  m_total += incoming;
  endInsertRows();
}

void EventLogModel::clear() {
  beginResetModel();
  m_head = 0;
  m_count = 0;
  m_total = 0;
  m_nextSequence = 1;
  endResetModel();
}

int EventLogModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_count); }

int EventLogModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant EventLogModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const CacheEvent& e = event(index.row());
  if (role == TypeRole) return int(e.type);
  if (role == LayerRole) return int(e.layer);
  if (role == Qt::ForegroundRole && index.column() == Type) {
    return e.type == CacheEventType::Eviction ? ChartPalette::eviction(e.evictReason)
                                              : ChartPalette::eventType(e.type);
  }
  if (role == Qt::TextAlignmentRole)
    return index.column() == Type || index.column() == Reason ? int(Qt::AlignLeft | Qt::AlignVCenter)
                                                              : int(Qt::AlignRight | Qt::AlignVCenter);
  if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
  switch (Column(index.column())) {
    case Sequence:
      return QVariant::fromValue<qulonglong>(sequence(index.row()));
    case Time:  // seconds on the scenario's clock, always the same unit (the header says it)
      return QString::number(double(e.timeMs) / 1000.0, 'f', 3);
    case Type:
      return QString::fromLatin1(toString(e.type).data(), qsizetype(toString(e.type).size()));
    case Reason:
      if (e.type == CacheEventType::Eviction) {
        if (e.evictReason == EvictReason::PolicyChange) return tr("max size lowered");
        return QString::fromLatin1(toString(e.evictReason).data(), qsizetype(toString(e.evictReason).size()));
      }
      if (e.type == CacheEventType::Miss)
        return QString::fromLatin1(toString(e.missReason).data(), qsizetype(toString(e.missReason).size()));
      return QString();
    case Layer:
      return e.layer == kAllLayers ? tr("all") : QString::number(e.layer);
    case Block:
      return e.block < 0 ? QString() : QString::number(e.block);
    case Entry:
      return e.entryId ? QString::number(e.entryId) : QString();
    case Tokens:
      return e.tokens;
    case Size:
      return QString::fromStdString(formatBytes(e.bytes));
    case ColumnCount:
      break;
  }
  return {};
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* const kNames[] = {"#",    "Time (s)", "Type",  "Reason", "Tokens",
                                       "Size", "Layer",    "Block", "Entry"};
  if (section < 0 || section >= ColumnCount) return {};
  return tr(kNames[section]);
}

}  // namespace kvlab
