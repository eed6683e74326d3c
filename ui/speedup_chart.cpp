// SPDX-License-Identifier: MIT
#include "ui/speedup_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

namespace {
constexpr int kGridIntervals = 5;  // both y axes: the same count, so their grid lines coincide

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

QList<QPointF> idealPoints(const RunTrack& run) {
  QList<QPointF> points;
  double cached = 0;
  double uncached = 0;
  for (const RequestPoint& p : run.points) {
    cached += p.flopsCached;
    uncached += p.flopsUncached;
    if (cached > 0) points.append(QPointF(p.index + 1, uncached / cached));
  }
  return points;
}
}  // namespace

SpeedupChart::SpeedupChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(history, QStringLiteral("speedup"), tr("TTFT and speedup"),
                 tr("<b>What am I looking at?</b><br>Time to first token (TTFT: the prefill before the "
                    "first output token) of each request, with the cache (only missed tokens are computed) "
                    "and without (the whole prompt). Right axis: <b>measured speedup</b> (thick) = total "
                    "uncached TTFT / total cached TTFT so far; <b>ideal speedup</b> (dashed) = total FLOPs "
                    "of full prefills / FLOPs actually computed, what a perfect machine would gain. The "
                    "grid lines belong to both axes. Trace replays time nothing: a cost model does."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("Request #"));
  m_x->setLabelFormat(QStringLiteral("%d"));
  m_ms = new QValueAxis;
  m_ms->setTitleText(tr("TTFT (ms)"));
  m_factor = new QValueAxis;
  m_factor->setTitleText(tr("Speedup (×)"));
  m_factor->setGridLineVisible(false);  // the time axis draws the shared grid
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_ms, Qt::AlignLeft);
  chart()->addAxis(m_factor, Qt::AlignRight);
  m_uncached = addLine(tr("TTFT uncached"), ChartPalette::uncached(), 1.5, m_x, m_ms);
  m_cached = addLine(tr("TTFT cached"), ChartPalette::cached(), 1.5, m_x, m_ms);
  m_ideal = addLine(tr("ideal speedup (FLOPs)"), ChartPalette::ideal(), 2.0, m_x, m_factor, Qt::DashLine);
  m_speedup = addLine(tr("speedup"), ChartPalette::speedup(), 3.0, m_x, m_factor);
  m_speedup->setObjectName(QStringLiteral("speedupCumulative"));
  m_ideal->setObjectName(QStringLiteral("speedupIdeal"));
  m_cached->setObjectName(QStringLiteral("ttftCached"));
  const auto timeTip = [this](const QPointF& p) {
    return m_timeDivisor > 1 ? tr("request %1: %2 s").arg(qRound(p.x())).arg(p.y(), 0, 'f', 2)
                             : tr("request %1: %2 ms").arg(qRound(p.x())).arg(p.y(), 0, 'f', 1);
  };
  attachTooltip(m_cached, timeTip);
  attachTooltip(m_uncached, timeTip);
  attachTooltip(m_speedup, [](const QPointF& p) {
    return tr("after request %1: measured %2× faster with the cache")
        .arg(qRound(p.x()))
        .arg(p.y(), 0, 'f', 2);
  });
  attachTooltip(m_ideal, [](const QPointF& p) {
    return tr("after request %1: %2× fewer FLOPs with the cache").arg(qRound(p.x())).arg(p.y(), 0, 'f', 2);
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
  // The hardware is in the headline and the status bar: "(cost model, h100-sxm)" here was elided at 1,472 px.
  chart()->setTitle(simulated ? tr("TTFT and speedup (cost model)") : title());
  double maxX = 1;
  double maxMs = 0;
  double maxFactor = 1;
  if (run) maxX = std::max({maxX, double(run->points.size()), double(run->info.requestsTotal)});
  QList<QPointF> cached;
  QList<QPointF> uncached;
  // A long run (a 12,000-request trace) drawn request by request is a wall of bars: there, each point is
  // the mean TTFT over a window of recent requests (the hit-rate chart's window), which shows the trend.
  std::size_t window = 1;
  if (run) {
    const std::size_t span =
        std::max<std::size_t>(run->points.size(), std::size_t(std::max(0, run->info.requestsTotal)));
    if (span > kPerRequestUpTo) window = std::max<std::size_t>(8, span / 50);
    double sumCached = 0, sumUncached = 0;
    std::size_t withUncached = 0;
    maxMs = 0;
    for (std::size_t i = 0; i < run->points.size(); ++i) {
      const RequestPoint& p = run->points[i];
      sumCached += p.ttftCachedMs;
      if (p.ttftUncachedMs >= 0) {
        sumUncached += p.ttftUncachedMs;
        ++withUncached;
      }
      if (i >= window) {
        const RequestPoint& old = run->points[i - window];
        sumCached -= old.ttftCachedMs;
        if (old.ttftUncachedMs >= 0) {
          sumUncached -= old.ttftUncachedMs;
          --withUncached;
        }
      }
      const double n = double(std::min(i + 1, window));
      const double c = sumCached / n;
      cached.append(QPointF(p.index + 1, c));
      maxMs = std::max(maxMs, c);
      if (p.ttftUncachedMs >= 0 && withUncached > 0) {
        const double u = sumUncached / double(withUncached);
        uncached.append(QPointF(p.index + 1, u));
        maxMs = std::max(maxMs, u);
      }
    }
  }
  // Seconds once the largest time is 10 s or more: "54 s", not "54000 ms". The title says when the times
  // come from the cost model.
  m_timeDivisor = maxMs >= 10000 ? 1000 : 1;
  for (QList<QPointF>* line : {&cached, &uncached})
    for (QPointF& p : *line) p.setY(p.y() / m_timeDivisor);
  m_ms->setTitleText(tr("TTFT (%1)").arg(m_timeDivisor > 1 ? tr("s") : tr("ms")));
  m_cached->setName(window > 1 ? tr("cached, mean of %1").arg(window) : tr("TTFT cached"));
  m_uncached->setName(window > 1 ? tr("uncached, mean of %1").arg(window) : tr("TTFT uncached"));
  for (const RunTrack& r : history()->runs()) {
    maxX = std::max(maxX, double(r.points.size()));
    for (const QPointF& p : speedupPoints(r)) maxFactor = std::max(maxFactor, p.y());
  }
  const QList<QPointF> ideal = run ? idealPoints(*run) : QList<QPointF>();
  for (const QPointF& p : ideal) maxFactor = std::max(maxFactor, p.y());
  m_cached->replace(decimate(cached));
  m_uncached->replace(decimate(uncached));
  m_speedup->replace(decimate(run ? speedupPoints(*run) : QList<QPointF>()));
  m_ideal->replace(decimate(ideal));
  setCountRange(m_x, maxX);
  setAlignedRange(m_ms, std::max(maxMs / m_timeDivisor, 1e-3), kGridIntervals);
  setAlignedRange(m_factor, maxFactor, kGridIntervals);
}

}  // namespace kvlab
