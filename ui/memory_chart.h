// SPDX-License-Identifier: MIT
#pragma once
// Chart 5: bytes held by the cache after each request against the max size (a step where it was changed);
// a trailing point shows the live state between requests (e.g. right after shrinking max size).
#include "ui/chart_panel.h"

class QValueAxis;
class QLineSeries;

namespace kvlab {

class MemoryChart : public ChartPanel {
  Q_OBJECT
public:
  explicit MemoryChart(const RunHistory* history, QWidget* parent = nullptr);

protected:
  void refresh() override;
  void rebuildEarlier() override;

private:
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  QLineSeries* m_used = nullptr;
  QLineSeries* m_max = nullptr;
  QLineSeries* m_pinned = nullptr;  // pinned bytes (inside the used bytes)
  ByteScale m_scale;
};

}  // namespace kvlab
