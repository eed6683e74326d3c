// SPDX-License-Identifier: MIT
#pragma once
// Tune page: miss-ratio curves drawn as token hit rate (%) against cache size in tokens on a log axis,
// with the same sizes in bytes of K/V for the chosen model on a second (top) axis. One line per policy,
// opt dashed and named "Belady (farthest next use)"; the infinite-cache bound as a horizontal dashed line;
// knees (the smallest size reaching 90 % of that policy's hit rate at the largest size swept) as rings.
// Fed by the page with setResults() (no RunHistory); clicking a point emits pointActivated().
#include <QHash>
#include <QString>

#include "ui/chart_panel.h"

class QLogValueAxis;
class QScatterSeries;

namespace kvlab {

struct TuneResults;

class MissRatioChart : public ChartPanel {
  Q_OBJECT
public:
  explicit MissRatioChart(QWidget* parent = nullptr);

  // GUI thread. Replaces every series' points with results' finished points (complete curves get knees).
  void setResults(const TuneResults& results);
  QLineSeries* curve(const QString& policy) const { return m_curves.value(policy); }
  QLineSeries* bound() const { return m_bound; }
  QScatterSeries* knees() const { return m_knees; }
  QLogValueAxis* sizeAxis() const { return m_x; }
  QLogValueAxis* bytesAxis() const { return m_bytes; }

Q_SIGNALS:
  // A point of a curve was clicked: the policy and size (tokens) of the nearest swept configuration.
  void pointActivated(const QString& policy, quint64 maxTokens);

protected:
  void refresh() override {}

private:
  QLineSeries* curveFor(const std::string& policy);

  QLogValueAxis* m_x = nullptr;
  QLogValueAxis* m_bytes = nullptr;
  QValueAxis* m_y = nullptr;
  QHash<QString, QLineSeries*> m_curves;
  QLineSeries* m_bound = nullptr;
  QScatterSeries* m_knees = nullptr;
  const TuneResults* m_results = nullptr;  // the page's, valid while the page lives
};

}  // namespace kvlab
