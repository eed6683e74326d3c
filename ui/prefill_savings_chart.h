// SPDX-License-Identifier: MIT
#pragma once
// Tune page: the cost view. For each policy and cache size, the prefill time its hits save: hit tokens
// (counted by the replay) x prefill seconds per token (StepCostModel at the source's mean prompt length,
// core/hardware/prefill_cost.h), per hour of trace time, so a size can be judged in GPU-seconds. Every
// label says "cost model, <hardware>": nothing here is measured on a GPU.
#include <QHash>

#include "ui/chart_panel.h"

class QCategoryAxis;

namespace kvlab {

struct TuneResults;

class PrefillSavingsChart : public ChartPanel {
  Q_OBJECT
public:
  explicit PrefillSavingsChart(QWidget* parent = nullptr);
  void setResults(const TuneResults& results);  // GUI thread
  QLineSeries* curve(const QString& policy) const { return m_curves.value(policy); }
  QValueAxis* valueAxis() const { return m_y; }

protected:
  void refresh() override {}

private:
  QCategoryAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  QHash<QString, QLineSeries*> m_curves;
  QLineSeries* m_bound = nullptr;
};

}  // namespace kvlab
