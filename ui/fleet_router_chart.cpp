// SPDX-License-Identifier: MIT
#include "ui/fleet_router_chart.h"

#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QHorizontalStackedBarSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/util/csv_writer.h"
#include "ui/chart_palette.h"

namespace kvlab {

FleetRouterChart::FleetRouterChart(QWidget* parent)
    : ChartPanel(nullptr, QStringLiteral("fleet-routers"), tr("Fleet token hit rate by router"),
                 tr("<b>What am I looking at?</b><br>The share of prompt tokens served from a replica's "
                    "cache, over the whole source, when each router places the requests on N replicas with "
                    "the same cache size each. <b>Grey</b>: the shared-cache bound, one cache of N × that "
                    "size read by every replica (no router can do better with separate caches). The gap "
                    "between a router and the bound is what it loses by splitting prefixes across "
                    "replicas."),
                 parent) {
  m_series = new QHorizontalStackedBarSeries;
  m_routers = new QBarSet(tr("router"));
  m_routers->setColor(ChartPalette::hit());
  m_bound = new QBarSet(tr("shared-cache bound"));
  m_bound->setColor(QColor(0x99, 0x99, 0x99));
  m_series->append(m_routers);
  m_series->append(m_bound);
  m_series->setLabelsVisible(true);
  m_series->setLabelsFormat(QStringLiteral("@value %"));
  m_series->setLabelsPrecision(3);  // 7.96 %, 17.7 %: as the table
  m_series->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
  chart()->addSeries(m_series);
  m_names = new QBarCategoryAxis;
  m_value = new QValueAxis;
  m_value->setTitleText(tr("fleet token hit rate (%)"));
  chart()->addAxis(m_names, Qt::AlignLeft);
  chart()->addAxis(m_value, Qt::AlignBottom);
  m_series->attachAxis(m_names);
  m_series->attachAxis(m_value);
  setNiceRange(m_value, 0, 100);
  setNotice(tr("Press Compare routers: every router on the same source and capacity."));
}

void FleetRouterChart::setRows(const std::vector<FleetRow>& rows, int replicas, const QString& capacity) {
  m_rows = rows;
  m_routers->remove(0, m_routers->count());
  m_bound->remove(0, m_bound->count());
  QStringList names;
  double top = 0;
  // Bottom to top: the bound first (drawn at the bottom), then the routers, best at the top.
  std::vector<FleetRow> ordered = rows;
  std::stable_sort(ordered.begin(), ordered.end(), [](const FleetRow& a, const FleetRow& b) {
    if (a.sharedCache != b.sharedCache) return a.sharedCache;
    return a.hitRate < b.hitRate;
  });
  for (const FleetRow& r : ordered) {
    const double value = 100 * r.hitRate;
    names << (r.sharedCache ? tr("shared cache (bound)") : r.router);
    m_routers->append(r.sharedCache ? 0 : value);
    m_bound->append(r.sharedCache ? value : 0);
    top = std::max(top, value);
  }
  m_names->clear();
  m_names->append(names);
  setNiceRange(m_value, 0, std::max(1.0, top * 1.08));
  chart()->setTitle(rows.empty()
                        ? title()
                        : tr("Fleet token hit rate by router: %1 replicas × %2").arg(replicas).arg(capacity));
  setNotice(rows.empty() ? tr("Press Compare routers: every router on the same source and capacity.")
                         : QString());
  legendChanged();
}

std::string FleetRouterChart::csv() const {
  std::ostringstream out;
  CsvWriter csv(out);
  csv.row({"router", "token_hit_rate", "load_imbalance", "shared_cache_bound"});
  for (const FleetRow& r : m_rows) {
    csv.field(r.router.toStdString()).field(r.hitRate).field(r.loadImbalance).field(r.sharedCache ? 1 : 0);
    csv.endRow();
  }
  return out.str();
}

}  // namespace kvlab
