// SPDX-License-Identifier: MIT
#pragma once
// Tune page: miss-ratio curves. Token hit rate vs cache size (log axis labelled 10k, 100k, 1M tokens; the
// same sizes in bytes of K/V on top), one line per policy with Belady (farthest next use) dashed, the
// infinite-cache bound, each curve's knee, and the size chosen on the page as a vertical marker. Two
// policies whose curves are identical are named together ("LFU (= SIEVE)"), since one hides the other;
// Belady is named "not a bound here" when it falls below an online policy (prefix chains). x is
// log10(tokens) (LogAxisLabels::toAxis).
#include <QHash>
#include <QString>

#include "ui/chart_panel.h"

class QCategoryAxis;
class QScatterSeries;

namespace kvlab {

struct TuneResults;

class MissRatioChart : public ChartPanel {
  Q_OBJECT
public:
  explicit MissRatioChart(QWidget* parent = nullptr);

  // GUI thread. Replaces every series' points with results' finished points (complete curves get knees).
  void setResults(const TuneResults& results);
  // The size marked on the chart (tokens; 0 = none).
  void setChosenSize(quint64 tokens);
  QLineSeries* curve(const QString& policy) const { return m_curves.value(policy); }
  QLineSeries* bound() const { return m_bound; }
  QLineSeries* chosenMarker() const { return m_chosen; }
  QScatterSeries* knees() const { return m_knees; }
  QCategoryAxis* sizeAxis() const { return m_x; }
  QCategoryAxis* bytesAxis() const { return m_bytes; }
  QValueAxis* rateAxis() const { return m_y; }

Q_SIGNALS:
  // A point of a curve was clicked: the policy and size (tokens) of the nearest swept configuration.
  void pointActivated(const QString& policy, quint64 maxTokens);

protected:
  void refresh() override {}

private:
  QLineSeries* curveFor(const std::string& policy);
  void drawChosen();

  QCategoryAxis* m_x = nullptr;
  QCategoryAxis* m_bytes = nullptr;
  QValueAxis* m_y = nullptr;
  QHash<QString, QLineSeries*> m_curves;
  QLineSeries* m_bound = nullptr;
  QLineSeries* m_chosen = nullptr;
  QScatterSeries* m_knees = nullptr;
  quint64 m_chosenTokens = 0;
  double m_top = 100;
  const TuneResults* m_results = nullptr;  // the page's, valid while the page lives
};

}  // namespace kvlab
