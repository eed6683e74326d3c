// SPDX-License-Identifier: MIT
#pragma once
// The decode lesson (the `decode` scenario): one prompt generated twice, with the per-sequence K/V cache
// and recomputing the whole sequence every step. Top: wall ms of each step, both ways (flat vs growing).
// Bottom: cumulative time (linear vs quadratic). Filled live from RunTrack::decodeSteps (the worker's
// onDecodeStep values); once the run ends, the titles and the footer give RunSummary::decode's measured
// speedup, whether the greedy tokens were identical, and the largest logit difference. Applies to decode
// runs only; MainWindow shows it instead of the prefix-cache charts then.
#include "ui/chart_panel.h"

class QChart;
class QValueAxis;
class QLineSeries;

namespace kvlab {

class DecodeLessonChart : public ChartPanel {
  Q_OBJECT
public:
  explicit DecodeLessonChart(const RunHistory* history, QWidget* parent = nullptr);

  bool appliesTo(const RunTrack* run) const override;

  // Series (object names decodeStepCached, decodeStepUncached, decodeCumCached, decodeCumUncached): x =
  // step index (0 = the prompt's prefill), y = ms per step, or cumulative ms / s (cumulativeDivisor()).
  QLineSeries* stepCached() const { return m_stepCached; }
  QLineSeries* stepUncached() const { return m_stepUncached; }
  QLineSeries* cumulativeCached() const { return m_cumCached; }
  QLineSeries* cumulativeUncached() const { return m_cumUncached; }
  double cumulativeDivisor() const { return m_cumDivisor; }  // ms per y unit of the bottom plot: 1 or 1000

protected:
  void refresh() override;

private:
  QChart* m_cumulative = nullptr;
  QValueAxis* m_stepX = nullptr;
  QValueAxis* m_stepMs = nullptr;
  QValueAxis* m_cumX = nullptr;
  QValueAxis* m_cumY = nullptr;
  QLineSeries* m_stepCached = nullptr;
  QLineSeries* m_stepUncached = nullptr;
  QLineSeries* m_cumCached = nullptr;
  QLineSeries* m_cumUncached = nullptr;
  double m_cumDivisor = 1;
};

}  // namespace kvlab
