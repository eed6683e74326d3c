// SPDX-License-Identifier: MIT
#pragma once
// Chart 2: bytes held per model layer (bars) and entries per layer (line, right axis) for every layer, with
// each layer's share of the max size (max size / layers) marked. Shows the live state, so a shrink during a
// pause is visible before the next request.
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
  QBarCategoryAxis* m_x = nullptr;    // hidden: places the bars
  QValueAxis* m_layerAxis = nullptr;  // shown: layer numbers, every 4th when there are many
  QValueAxis* m_bytes = nullptr;
  QValueAxis* m_entries = nullptr;
  QBarSeries* m_bars = nullptr;
  QBarSet* m_bytesSet = nullptr;
  QLineSeries* m_share = nullptr;
  QLineSeries* m_entryLine = nullptr;
  int m_layers = -1;
  ByteScale m_scale;
};

}  // namespace kvlab
