// SPDX-License-Identifier: MIT
#include "ui/serving_pool_chart.h"

#include <QtCharts/QAreaSeries>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>

#include "ui/chart_palette.h"
#include "ui/serving_comparison.h"

namespace kvlab {

ServingPoolChart::ServingPoolChart(QWidget* parent)
    : ChartPanel(nullptr, QStringLiteral("serving-pool"), tr("KV pool with prefix caching"),
                 tr("<b>What am I looking at?</b><br>The KV blocks of the engine with prefix caching, over "
                    "simulated time: held by running requests (blue), <b>cached-free</b> (green: no request "
                    "uses them, but they still hold a prefix that a later request or a re-admitted one can "
                    "reuse; they are evicted first when blocks run out) and empty (grey). Without prefix "
                    "caching a freed block is forgotten at once."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("simulated time (s, cost model)"));
  m_y = new QValueAxis;
  m_y->setTitleText(tr("KV blocks"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  m_zero = new QLineSeries(this);
  m_used = new QLineSeries(this);
  m_cached = new QLineSeries(this);
  m_total = new QLineSeries(this);
  const auto area = [&](QLineSeries* upper, QLineSeries* lower, const QString& name, const QColor& color) {
    auto* a = new QAreaSeries(upper, lower);
    a->setName(name);
    a->setColor(color);
    a->setBorderColor(color);
    chart()->addSeries(a);
    a->attachAxis(m_x);
    a->attachAxis(m_y);
  };
  area(m_used, m_zero, tr("running"), ChartPalette::used());
  area(m_cached, m_used, tr("cached-free"), ChartPalette::hit());
  area(m_total, m_cached, tr("empty"), ChartPalette::faded(ChartPalette::entries()));
  setNiceRange(m_x, 0, 1);
  setCountRange(m_y, 1);
}

void ServingPoolChart::setData(const ServingComparison& data) {
  QList<QPointF> zero, used, cached, total;
  double maxT = 0;
  for (const ServingTimelinePoint& p : data.sides[0].points) {
    zero.append({p.timeS, 0});
    used.append({p.timeS, double(p.usedBlocks)});
    cached.append({p.timeS, double(p.usedBlocks + p.cachedFreeBlocks)});
    total.append({p.timeS, double(p.usedBlocks + p.cachedFreeBlocks + p.freeBlocks)});
    maxT = std::max(maxT, p.timeS);
  }
  m_zero->replace(zero);
  m_used->replace(used);
  m_cached->replace(cached);
  m_total->replace(total);
  setNiceRange(m_x, 0, std::max(maxT, 1e-3));
  setCountRange(m_y, std::max(1.0, double(data.config.poolBlocks)));
  legendChanged();
}

}  // namespace kvlab
