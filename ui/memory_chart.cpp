// SPDX-License-Identifier: MIT
#include "ui/memory_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "core/util/units.h"
#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

MemoryChart::MemoryChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(history, QStringLiteral("memory"), tr("Memory used vs max size"),
                 tr("<b>What am I looking at?</b><br>Bytes of K/V the cache holds after each request, "
                    "against the max size. At the limit, every new block pushes an old one out. Lower the "
                    "max size slider during a run and the line drops. <b>pinned</b>: bytes that can never be "
                    "evicted (within the pinned budget; part of the used bytes)."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("Request #"));
  m_x->setLabelFormat(QStringLiteral("%d"));
  m_y = new QValueAxis;
  m_y->setTitleText(tr("Held (MiB)"));
  m_y->setLabelFormat(QStringLiteral("%.4g"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  m_used = addLine(tr("used"), ChartPalette::used(), 2.5, m_x, m_y);
  m_max = addLine(tr("max size"), ChartPalette::maxSize(), 2.0, m_x, m_y, Qt::DashLine);
  m_pinned = addLine(tr("pinned"), ChartPalette::pinned(), 2.0, m_x, m_y);
  m_used->setObjectName(QStringLiteral("memoryUsed"));
  m_pinned->setObjectName(QStringLiteral("memoryPinned"));
  const auto tip = [this](const QPointF& p) {
    return tr("after request %1: %2")
        .arg(p.x(), 0, 'f', 1)
        .arg(QString::fromStdString(formatBytes(Bytes(p.y() * m_scale.divisor))));
  };
  attachTooltip(m_used, tip);
  attachTooltip(m_max, tip);
  attachTooltip(m_pinned, tip);
  m_x->setRange(0, 10);
  m_y->setRange(0, 1);
}

void MemoryChart::rebuildEarlier() {
  removeEarlierSeries();
  const auto& runs = history()->runs();
  for (std::size_t i = 0; i + 1 < runs.size(); ++i) {
    QList<QPointF> points;
    for (const RequestPoint& p : runs[i].points)
      points.append(QPointF(p.index + 1, double(p.usedBytes) / m_scale.divisor));
    addEarlierLine(runs[i], points, ChartPalette::used(), m_x, m_y);
  }
}

void MemoryChart::refresh() {
  const RunTrack* run = history()->current();
  // The y unit follows the largest value on screen. A max size far above the usage (the default 1 GiB
  // for a few MiB of K/V) would flatten the used line, so then the axis follows the usage and the legend
  // says where the limit is.
  double maxUsed = 1;
  double maxX = 1;
  for (const RunTrack& r : history()->runs()) {
    for (const RequestPoint& p : r.points) maxUsed = std::max(maxUsed, double(p.usedBytes));
    maxX = std::max(maxX, double(r.points.size()));
  }
  double maxCap = 0;
  if (run) {
    maxCap = std::max(double(run->live.capacityBytes), double(run->info.maxBytes));
    for (const RequestPoint& p : run->points) maxCap = std::max(maxCap, double(p.capacityBytes));
    maxX = std::max(maxX, double(run->info.requestsTotal));
  }
  const bool capOffScale = maxCap > 2 * maxUsed && run && !run->points.empty();
  // At least 1 KiB on screen: no "0.2 B" ticks before the first request.
  const double maxBytes = std::max(1024.0, capOffScale ? maxUsed : std::max(maxUsed, maxCap));
  m_max->setName(
      capOffScale
          ? tr("max size %1 (above the chart)").arg(QString::fromStdString(formatBytes(Bytes(maxCap))))
          : tr("max size"));
  const ByteScale scale = byteScale(maxBytes);
  if (scale.divisor != m_scale.divisor) {
    m_scale = scale;
    m_y->setTitleText(tr("Held (%1)").arg(m_scale.unit));
    rebuildEarlier();
  }
  QList<QPointF> used;
  QList<QPointF> max;
  QList<QPointF> pinned;
  if (run) {
    used.append(QPointF(0, 0));
    pinned.append(QPointF(0, 0));
    max.append(QPointF(0, double(run->info.maxBytes) / m_scale.divisor));
    for (const RequestPoint& p : run->points) {
      used.append(QPointF(p.index + 1, double(p.usedBytes) / m_scale.divisor));
      pinned.append(QPointF(p.index + 1, double(p.pinnedBytes) / m_scale.divisor));
      const double cap = double(p.capacityBytes) / m_scale.divisor;
      if (max.last().y() != cap) max.append(QPointF(p.index + 1, max.last().y()));  // a step, not a slope
      max.append(QPointF(p.index + 1, cap));
    }
    if (run->liveAhead) {
      const double x = run->points.empty() ? 0.0 : run->points.back().index + 1.0;
      const double cap = double(run->live.capacityBytes) / m_scale.divisor;
      used.append(QPointF(x, double(run->live.usedBytes) / m_scale.divisor));
      pinned.append(QPointF(x, double(run->live.pinnedBytes) / m_scale.divisor));
      max.append(QPointF(x, cap));
    }
  }
  m_used->replace(decimate(used));
  m_max->replace(decimate(max));
  // Only when something is pinned: an always-zero line is noise.
  const bool anyPinned =
      std::any_of(pinned.cbegin(), pinned.cend(), [](const QPointF& p) { return p.y() > 0; });
  m_pinned->replace(anyPinned ? decimate(pinned) : QList<QPointF>());
  m_pinned->setVisible(anyPinned || (run && run->live.pinnedBudgetBytes > 0));
  if (run && run->live.pinnedBudgetBytes > 0)
    m_pinned->setName(
        tr("pinned (budget %1)").arg(QString::fromStdString(formatBytes(run->live.pinnedBudgetBytes))));
  setCountRange(m_x, maxX);
  setNiceRange(m_y, 0, maxBytes / m_scale.divisor * 1.08);
}

}  // namespace kvlab
