// SPDX-License-Identifier: MIT
#include "ui/event_log_filter.h"

#include "ui/event_log_model.h"

namespace kvlab {

EventLogFilter::EventLogFilter(QObject* parent) : QSortFilterProxyModel(parent) {}

void EventLogFilter::setTypeFilter(std::optional<CacheEventType> type) {
  if (m_type == type) return;
  m_type = type;
  invalidateFilter();
}

void EventLogFilter::setLayerFilter(int layer) {
  if (m_layer == layer) return;
  m_layer = layer;
  invalidateFilter();
}

bool EventLogFilter::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
  if (m_type && index.data(EventLogModel::TypeRole).toInt() != int(*m_type)) return false;
  if (m_layer != kAnyLayer) {
    const int layer = index.data(EventLogModel::LayerRole).toInt();
    // An all-layer entry holds every layer, so it shows under each layer too.
    if (layer != m_layer && !(layer == kAllLayers && m_layer >= 0)) return false;
  }
  return true;
}

}  // namespace kvlab
