// SPDX-License-Identifier: MIT
#pragma once
// Filters the event log by event type and by layer. Rows are accepted by the model's TypeRole / LayerRole.
#include <QSortFilterProxyModel>
#include <optional>

#include "core/cache/cache_types.h"

namespace kvlab {

class EventLogFilter : public QSortFilterProxyModel {
  Q_OBJECT
public:
  static constexpr int kAnyLayer = -2;  // layer filter off (kAllLayers = -1 selects all-layer entries)

  explicit EventLogFilter(QObject* parent = nullptr);

  void setTypeFilter(std::optional<CacheEventType> type);  // nullopt: every type
  void setLayerFilter(int layer);                          // kAnyLayer, kAllLayers or a layer index
  std::optional<CacheEventType> typeFilter() const { return m_type; }
  int layerFilter() const { return m_layer; }

protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
  std::optional<CacheEventType> m_type;
  int m_layer = kAnyLayer;
};

}  // namespace kvlab
