// SPDX-License-Identifier: MIT
#include "ui/eviction_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

namespace {
constexpr std::array<EvictReason, 3> kReasons = {EvictReason::Capacity, EvictReason::Ttl,
                                                 EvictReason::PolicyChange};
}

EvictionChart::EvictionChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(history, QStringLiteral("evictions"), tr("Evictions over time, by reason"),
                 tr("<b>What am I looking at?</b><br>Entries thrown away so far, on the scenario's clock. "
                    "<b>capacity</b>: a new block needed room; <b>TTL</b>: unused for longer than the time "
                    "to live; <b>policy change</b>: you lowered the max size. Evicted K/V must be "
                    "recomputed when needed again."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("Simulated time (s)"));
  m_x->setLabelFormat(QStringLiteral("%.3g"));
  m_y = new QValueAxis;
  m_y->setTitleText(tr("Evicted (cumulative)"));
  m_y->setLabelFormat(QStringLiteral("%d"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  const QStringList names = {tr("capacity"), tr("TTL"), tr("policy change")};
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    m_series[i] = addLine(names[int(i)], ChartPalette::eviction(kReasons[i]), 2.0, m_x, m_y);
    static const char* const kObjectNames[] = {"evictionsCapacity", "evictionsTtl", "evictionsPolicyChange"};
    m_series[i]->setObjectName(QLatin1String(kObjectNames[i]));
    const QString name = names[int(i)];
    attachTooltip(m_series[i], [name](const QPointF& p) {
      return tr("%1: %2 evictions by t = %3 s").arg(name).arg(qRound64(p.y())).arg(p.x(), 0, 'f', 1);
    });
  }
  m_x->setRange(0, 10);
  m_y->setRange(0, 10);
}

void EvictionChart::refresh() {
  const RunTrack* run = history()->current();
  double maxX = 1;
  double maxY = 1;
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    const std::size_t reason = std::size_t(kReasons[i]);
    QList<QPointF> points;
    if (run) {
      points.append(QPointF(0, 0));
      for (const RequestPoint& p : run->points) {
        const double y = double(p.evictions[reason]);
        if (points.last().y() != y) points.append(QPointF(p.timeS, points.last().y()));  // step
        points.append(QPointF(p.timeS, y));
      }
      if (run->liveAhead) {
        const double t = double(run->live.timeMs) / 1000.0;
        const double y = double(run->live.counters.evictions[reason]);
        if (points.last().y() != y) points.append(QPointF(t, points.last().y()));
        points.append(QPointF(t, y));
      }
      for (const QPointF& p : points) {
        maxX = std::max(maxX, p.x());
        maxY = std::max(maxY, p.y());
      }
    }
    m_series[i]->replace(decimate(points));
  }
  setNiceRange(m_x, 0, maxX);
  setCountRange(m_y, maxY);
}

}  // namespace kvlab
