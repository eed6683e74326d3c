// SPDX-License-Identifier: MIT
#include "ui/serving_wait_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>

#include "core/serving/serving_simulator.h"
#include "ui/chart_palette.h"
#include "ui/serving_comparison.h"

namespace kvlab {

ServingWaitChart::ServingWaitChart(QWidget* parent)
    : ChartPanel(nullptr, QStringLiteral("serving-ttft-over-time"), tr("Median TTFT over the run"),
                 tr("<b>What am I looking at?</b><br>The median time to first token of the requests whose "
                    "first token came in each stretch of simulated time (1/40 of the run), with prefix "
                    "caching and without; log axis. Flat: the engine keeps up. Rising: the queue grows, "
                    "and a request's TTFT is mostly the time it waited."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("simulated time (s, cost model)"));
  m_y = newLogAxis(tr("median TTFT (s, log)"));  // the x axis says "cost model"; a longer title was cut
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  setNiceRange(m_x, 0, 1);
  m_y->setRange(0.01, 100);
  m_with = addLine(tr("with prefix caching"), ChartPalette::cached(), 2.5, m_x, m_y);
  m_without = addLine(tr("without"), ChartPalette::uncached(), 2.5, m_x, m_y);
  m_with->setPointsVisible(true);
  m_without->setPointsVisible(true);
}

void ServingWaitChart::setData(const ServingComparison& data) {
  double maxT = 0;
  for (const ServingSide& side : data.sides)
    for (const ServingRequestResult& r : side.done) maxT = std::max(maxT, r.firstTokenS);
  maxT = std::max(maxT, 1e-3);
  double lo = INFINITY, hi = 0;
  const auto fill = [&](const ServingSide& side, QLineSeries* series) {
    std::vector<std::vector<double>> windows(kWindows);
    for (const ServingRequestResult& r : side.done) {
      const int w = std::min(kWindows - 1, int(r.firstTokenS / maxT * kWindows));
      windows[std::size_t(w)].push_back(std::max(r.ttftMs() / 1e3, 1e-4));
    }
    QList<QPointF> points;
    for (int w = 0; w < kWindows; ++w) {
      if (windows[std::size_t(w)].empty()) continue;
      const double median = nearestRankPercentile(windows[std::size_t(w)], 50);
      points.append({maxT * (w + 0.5) / kWindows, median});
      lo = std::min(lo, median);
      hi = std::max(hi, median);
    }
    series->replace(points);
  };
  fill(data.sides[0], m_with);
  fill(data.sides[1], m_without);
  setNiceRange(m_x, 0, maxT);
  if (hi > 0)
    m_y->setRange(std::pow(10.0, std::floor(std::log10(lo))),
                  std::pow(10.0, std::ceil(std::log10(hi) + 1e-9)));
  legendChanged();
}

}  // namespace kvlab
