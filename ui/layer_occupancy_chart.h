// SPDX-License-Identifier: MIT
#pragma once
// Chart 2: what the cache holds now. Prompt granularity stores each layer separately, so there the bars are
// bytes per model layer, with entries per layer (line, right axis) and each layer's equal share of the max
// size (dashed; a reference, not a limit). In block and radix mode (and trace replays) every entry spans
// all layers, so per-layer bars would all be equal: there the bars are bytes by how often their entries
// were reused since stored (never, once, 2-3, 4-7, 8+). Shows the live state, so a shrink during a pause is
// visible before the next request.
#include "ui/chart_panel.h"

class QBarCategoryAxis;
class QBarSeries;
class QBarSet;
class QLineSeries;
class QValueAxis;

namespace kvlab {

class LayerOccupancyChart : public ChartPanel {
  Q_OBJECT
public:
  explicit LayerOccupancyChart(const RunHistory* history, QWidget* parent = nullptr);

protected:
  void refresh() override;

private:
  void setCategories(const QStringList& categories, bool byLayer);
  void setBars(const QList<qreal>& values);

private:
  QBarCategoryAxis* m_x = nullptr;    // hidden: places the bars
  QValueAxis* m_layerAxis = nullptr;  // shown: layer numbers, every 4th when there are many
  QValueAxis* m_bytes = nullptr;
  QValueAxis* m_entries = nullptr;
  QBarSeries* m_bars = nullptr;
  QBarSet* m_bytesSet = nullptr;
  QLineSeries* m_share = nullptr;
  QLineSeries* m_entryLine = nullptr;
  int m_layers = -1;       // categories shown: layers, or -2 for the reuse buckets
  bool m_byReuse = false;  // block/radix: bars by reuse count
  ByteScale m_scale;
};

}  // namespace kvlab
