// SPDX-License-Identifier: MIT
#include "ui/speedup_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

namespace {
QList<QPointF> speedupPoints(const RunTrack& run) {
  QList<QPointF> points;
  double cached = 0;
  double uncached = 0;
  for (const RequestPoint& p : run.points) {
    if (p.ttftUncachedMs < 0) continue;
    cached += p.ttftCachedMs;
    uncached += p.ttftUncachedMs;
    if (cached > 0) points.append(QPointF(p.index + 1, uncached / cached));
  }
  return points;
}
}  // namespace

SpeedupChart::SpeedupChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(history, QStringLiteral("speedup"), tr("Speedup: time to first token"),
                 tr("<b>What am I looking at?</b><br>Time to first token of each request, with the cache "
                    "(only missed tokens are computed) and without (the whole prompt). Thick line, right "
                    "axis: total uncached / total cached time so far. Trace replays use a cost model."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("Request #"));
  m_x->setLabelFormat(QStringLiteral("%d"));
  m_ms = new QValueAxis;
  m_ms->setTitleText(tr("TTFT (ms)"));
  m_ms->setLabelFormat(QStringLiteral("%.0f"));
  m_factor = new QValueAxis;
  m_factor->setTitleText(tr("Cumulative speedup (×)"));
  m_factor->setLabelFormat(QStringLiteral("%.2g"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_ms, Qt::AlignLeft);
  chart()->addAxis(m_factor, Qt::AlignRight);
  m_uncached = addLine(tr("TTFT uncached"), ChartPalette::uncached(), 1.5, m_x, m_ms);
  m_cached = addLine(tr("TTFT cached"), ChartPalette::cached(), 1.5, m_x, m_ms);
  m_speedup = addLine(tr("cumulative speedup"), ChartPalette::speedup(), 3.0, m_x, m_factor);
  m_speedup->setObjectName(QStringLiteral("speedupCumulative"));
  m_cached->setObjectName(QStringLiteral("ttftCached"));
  const auto msTip = [](const QPointF& p) {
    return tr("request %1: %2 ms").arg(qRound(p.x())).arg(p.y(), 0, 'f', 1);
  };
  attachTooltip(m_cached, msTip);
  attachTooltip(m_uncached, msTip);
  attachTooltip(m_speedup, [](const QPointF& p) {
    return tr("after request %1: %2× faster with the cache").arg(qRound(p.x())).arg(p.y(), 0, 'f', 2);
  });
  m_x->setRange(0, 10);
  m_ms->setRange(0, 10);
  m_factor->setRange(0, 2);
}

void SpeedupChart::rebuildEarlier() {
  removeEarlierSeries();
  const auto& runs = history()->runs();
  for (std::size_t i = 0; i + 1 < runs.size(); ++i)
    addEarlierLine(runs[i], speedupPoints(runs[i]), ChartPalette::speedup(), m_x, m_factor);
}

void SpeedupChart::refresh() {
  const RunTrack* run = history()->current();
  const bool simulated = run && run->info.simulated;
  chart()->setTitle(simulated ? tr("Speedup: time to first token (cost model)") : title());
  m_ms->setTitleText(simulated ? tr("TTFT, cost model (ms)") : tr("TTFT (ms)"));
  QList<QPointF> cached;
  QList<QPointF> uncached;
  double maxX = 1;
  double maxMs = 1;
  double maxFactor = 1;
  if (run) {
    for (const RequestPoint& p : run->points) {
      cached.append(QPointF(p.index + 1, p.ttftCachedMs));
      maxMs = std::max(maxMs, p.ttftCachedMs);
      if (p.ttftUncachedMs >= 0) {
        uncached.append(QPointF(p.index + 1, p.ttftUncachedMs));
        maxMs = std::max(maxMs, p.ttftUncachedMs);
      }
    }
    maxX = std::max({maxX, double(run->points.size()), double(run->info.requestsTotal)});
  }
  for (const RunTrack& r : history()->runs()) {
    maxX = std::max(maxX, double(r.points.size()));
    for (const QPointF& p : speedupPoints(r)) maxFactor = std::max(maxFactor, p.y());
  }
  m_cached->replace(decimate(cached));
  m_uncached->replace(decimate(uncached));
  m_speedup->replace(decimate(run ? speedupPoints(*run) : QList<QPointF>()));
  setCountRange(m_x, maxX);
  setNiceRange(m_ms, 0, maxMs * 1.05);
  setNiceRange(m_factor, 0, maxFactor * 1.1);
}

}  // namespace kvlab
