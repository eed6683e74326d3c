// SPDX-License-Identifier: MIT
#pragma once
// Fleet page: one bar per router, the fleet's token hit rate with that router on the same source and the
// same capacity per replica, and the shared-cache bound (oracle-shared) as a grey bar at the bottom, so
// the gap to it reads at a glance. Fed by FleetPage (setRows).
#include <vector>

#include "ui/chart_panel.h"
#include "ui/fleet_headline.h"

class QBarCategoryAxis;
class QBarSet;
class QHorizontalStackedBarSeries;

namespace kvlab {

class FleetRouterChart : public ChartPanel {
  Q_OBJECT
public:
  explicit FleetRouterChart(QWidget* parent = nullptr);
  void setRows(const std::vector<FleetRow>& rows, int replicas, const QString& capacity);
  QValueAxis* valueAxis() const { return m_value; }
  std::string csv() const override;

protected:
  void refresh() override {}

private:
  std::vector<FleetRow> m_rows;
  QHorizontalStackedBarSeries* m_series = nullptr;
  QBarSet* m_routers = nullptr;
  QBarSet* m_bound = nullptr;
  QBarCategoryAxis* m_names = nullptr;
  QValueAxis* m_value = nullptr;
};

}  // namespace kvlab
