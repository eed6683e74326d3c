// SPDX-License-Identifier: MIT
#include "ui/eviction_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "core/util/units.h"
#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

namespace {
constexpr std::array<EvictReason, 3> kReasons = {EvictReason::Capacity, EvictReason::Ttl,
                                                 EvictReason::PolicyChange};

// "12.3k" style: axis labels never elide and never read 2e+03.
QString compact(double v) {
  if (v >= 1e6) return QStringLiteral("%1M").arg(v / 1e6, 0, 'f', v >= 1e7 ? 0 : 1);
  if (v >= 1e4) return QStringLiteral("%1k").arg(v / 1e3, 0, 'f', 0);
  return QString::number(qRound64(v));
}
}  // namespace

EvictionChart::EvictionChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(history, QStringLiteral("evictions"), tr("Evicted tokens over time, by reason"),
                 tr("<b>What am I looking at?</b><br>Tokens of K/V thrown away so far, on the scenario's "
                    "clock (tokens: the unit blocks, radix nodes and prompt entries share; hover for "
                    "entries). <b>capacity</b>: a new entry needed room; <b>TTL</b>: unused for longer than "
                    "the time to live; <b>max size lowered</b>: you moved the slider down. Evicted K/V must "
                    "be recomputed when needed again."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("Simulated time (s)"));
  m_y = new QValueAxis;
  m_y->setTitleText(tr("Evicted tokens"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  const QStringList names = {tr("capacity"), tr("TTL"), tr("max size lowered")};
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    m_series[i] = addLine(names[int(i)], ChartPalette::eviction(kReasons[i]), 2.0, m_x, m_y);
    static const char* const kObjectNames[] = {"evictionsCapacity", "evictionsTtl",
                                               "evictionsMaxSizeLowered"};
    m_series[i]->setObjectName(QLatin1String(kObjectNames[i]));
    const QString name = names[int(i)];
    const std::size_t reason = std::size_t(kReasons[i]);
    attachTooltip(m_series[i], [this, name, reason](const QPointF& p) {
      // Entries at that time: the last request at or before p.x().
      std::uint64_t entries = 0;
      if (const RunTrack* run = this->history()->current())
        for (const RequestPoint& q : run->points)
          if (q.timeS <= p.x() + 1e-9) entries = q.evictions[reason];
      return tr("%1: %2 tokens in %3 entries by t = %4 s")
          .arg(name)
          .arg(qRound64(p.y() * m_divisor))
          .arg(entries)
          .arg(p.x(), 0, 'f', 1);
    });
  }
  m_x->setRange(0, 10);
  m_y->setRange(0, 10);
}

void EvictionChart::refresh() {
  const RunTrack* run = history()->current();
  double maxX = 1;
  double maxY = 0;
  double total = 0;  // largest cumulative count, to choose the unit
  if (run)
    for (const std::uint64_t t : run->live.counters.evictedTokens) total = std::max(total, double(t));
  if (run && !run->points.empty())
    for (const std::uint64_t t : run->points.back().evictedTokens) total = std::max(total, double(t));
  m_divisor = total >= 1e5 ? 1000 : 1;
  m_y->setTitleText(m_divisor > 1 ? tr("k tokens") : tr("Evicted tokens"));
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    const std::size_t reason = std::size_t(kReasons[i]);
    QList<QPointF> points;
    if (run) {
      points.append(QPointF(0, 0));
      for (const RequestPoint& p : run->points) {
        const double y = double(p.evictedTokens[reason]) / m_divisor;
        if (points.last().y() != y) points.append(QPointF(p.timeS, points.last().y()));  // step
        points.append(QPointF(p.timeS, y));
      }
      if (run->liveAhead) {
        const double t = double(run->live.timeMs) / 1000.0;
        const double y = double(run->live.counters.evictedTokens[reason]) / m_divisor;
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
  setCountRange(m_y, std::max(maxY, 1.0));

  QString notice;
  QString footer;
  if (run && !run->points.empty()) {
    const CacheSnapshot& c = run->live;
    if (maxY == 0) {
      notice = tr("No evictions: the cache never filled (%1 of %2 used at most).")
                   .arg(QString::fromStdString(formatBytes(std::max(c.peakBytes, c.usedBytes))),
                        QString::fromStdString(formatBytes(c.capacityBytes)));
    }
    const CacheCounters& k = c.counters;
    const std::uint64_t evicted = k.evictions[std::size_t(EvictReason::Capacity)] +
                                  k.evictions[std::size_t(EvictReason::Ttl)] +
                                  k.evictions[std::size_t(EvictReason::PolicyChange)];
    if (evicted > 0) {
      const double n = double(evicted);
      footer = tr("Evicted entries: %1 · mean age %2 · idle %3 · reused %4× · %5 % never reused")
                   .arg(compact(n))
                   .arg(QString::fromStdString(formatDurationMs(TimeMs(k.sumEvictedAgeMs / n))))
                   .arg(QString::fromStdString(formatDurationMs(TimeMs(k.sumEvictedIdleMs / n))))
                   .arg(k.sumEvictedReuse / n, 0, 'f', 1)
                   .arg(100.0 * double(k.evictedNeverReused) / n, 0, 'f', 0);
    }
  }
  setNotice(notice);
  setFooter(footer);
}

}  // namespace kvlab
