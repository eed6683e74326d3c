// SPDX-License-Identifier: MIT
#include "ui/hit_rate_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>

#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

namespace {
QList<QPointF> cumulativePoints(const RunTrack& run) {
  QList<QPointF> points;
  points.reserve(qsizetype(run.points.size()));
  for (const RequestPoint& p : run.points)
    points.append(QPointF(
        p.index + 1, p.cumQueriedTokens ? 100.0 * double(p.cumHitTokens) / double(p.cumQueriedTokens) : 0.0));
  return points;
}
}  // namespace

HitRateChart::HitRateChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(history, QStringLiteral("hit-rate"), tr("Hit rate over requests"),
                 tr("<b>What am I looking at?</b><br>The share of prompt tokens whose K/V came from the "
                    "cache instead of being computed: over all requests so far (thick), and over a window of "
                    "the last requests only (thin; reacts faster; the window grows with the run, 1/50 of it, "
                    "at least %1 requests). Grey dashed: the infinite-cache bound, what a cache that never "
                    "evicts would hit (block runs). Thin dashed lines are earlier runs, one colour each.")
                     .arg(kWindow),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("Request #"));
  m_x->setLabelFormat(QStringLiteral("%d"));
  m_y = new QValueAxis;
  m_y->setTitleText(tr("Hit rate (%)"));
  setNiceRange(m_y, 0, 100);
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  // Added second, so drawn on top of the noisier windowed line.
  m_windowed = addLine(tr("last %1 requests").arg(kWindow), ChartPalette::windowed(), 1.5, m_x, m_y);
  m_cumulative = addLine(tr("cumulative"), ChartPalette::hit(), 3.0, m_x, m_y);
  m_cumulative->setObjectName(QStringLiteral("hitRateCumulative"));
  m_boundLine = addLine(tr("infinite cache"), QColor(0x77, 0x77, 0x77), 1.5, m_x, m_y, Qt::DashLine);
  m_boundLine->setObjectName(QStringLiteral("hitRateBound"));
  const auto tip = [](const QPointF& p) {
    return tr("request %1: %2 % of tokens from cache").arg(qRound(p.x())).arg(p.y(), 0, 'f', 1);
  };
  attachTooltip(m_cumulative, tip);
  attachTooltip(m_windowed, tip);
  m_x->setRange(1, 10);
}

void HitRateChart::setBound(std::optional<double> bound) {
  m_bound = bound;
  refresh();
}

void HitRateChart::rebuildEarlier() {
  removeEarlierSeries();
  const auto& runs = history()->runs();
  for (std::size_t i = 0; i + 1 < runs.size(); ++i)
    addEarlierLine(runs[i], cumulativePoints(runs[i]), ChartPalette::hit(), m_x, m_y);
  refresh();
}

void HitRateChart::refresh() {
  const RunTrack* run = history()->current();
  QList<QPointF> windowed;
  double maxX = 1;
  if (run) {
    const std::size_t span =
        std::max<std::size_t>(run->points.size(), std::size_t(std::max(0, run->info.requestsTotal)));
    const std::size_t window = std::max<std::size_t>(kWindow, span / 50);
    m_windowed->setName(tr("last %1 requests").arg(window));
    windowed.reserve(qsizetype(run->points.size()));
    // Running sums: O(n) per refresh even for a 12k-request trace.
    std::uint64_t hit = 0;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < run->points.size(); ++i) {
      hit += run->points[i].hitTokens;
      total += run->points[i].promptTokens;
      if (i >= window) {
        hit -= run->points[i - window].hitTokens;
        total -= run->points[i - window].promptTokens;
      }
      windowed.append(QPointF(run->points[i].index + 1, total ? 100.0 * double(hit) / double(total) : 0.0));
    }
    maxX = std::max<double>(maxX, double(run->points.size()));
    maxX = std::max<double>(maxX, double(run->info.requestsTotal));
  }
  for (const RunTrack& r : history()->runs()) maxX = std::max<double>(maxX, double(r.points.size()));
  const QList<QPointF> cumulative = run ? cumulativePoints(*run) : QList<QPointF>();
  m_cumulative->replace(decimate(cumulative));
  m_windowed->replace(decimate(windowed));
  setCountRange(m_x, maxX);
  // The y axis fits the data of every run shown (the windowed line's early spikes included).
  double top = 0;
  for (const QPointF& p : windowed) top = std::max(top, p.y());
  for (const RunTrack& r : history()->runs())
    for (const QPointF& p : cumulativePoints(r)) top = std::max(top, p.y());
  QString boundName = tr("infinite cache");
  QList<QPointF> boundPoints;
  if (m_bound) {
    const double bound = 100.0 * *m_bound;
    // Drawn when it fits on an axis that still shows the data: up to 2.5x the data's top. Far above, the
    // legend gives it instead, so the run is not squashed onto the floor.
    if (top <= 0 || bound <= 2.5 * top) {
      top = std::max(top, bound);
      boundPoints = {QPointF(0, bound), QPointF(std::max(maxX, 1.0), bound)};
      boundName = tr("infinite cache %1 %").arg(bound, 0, 'f', bound < 10 ? 1 : 0);
    } else {
      boundName = tr("infinite cache %1 % (above this axis)").arg(bound, 0, 'f', bound < 10 ? 1 : 0);
    }
  }
  m_boundLine->setName(boundName);
  m_boundLine->replace(boundPoints);
  m_boundLine->setVisible(m_bound.has_value());
  setNiceRange(m_y, 0, std::min(100.0, std::max(1.0, top * 1.05)));
}

}  // namespace kvlab
