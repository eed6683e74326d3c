// SPDX-License-Identifier: MIT
#pragma once
// The live picture of a fleet: one strip per replica (token hit rate, occupancy = blocks held / capacity,
// share of the fleet's prompt tokens against the even share 1/N) under a header with the fleet hit rate and
// the load imbalance. Paints a FleetLiveView value; owns no data source. GUI thread only.
#include <QString>
#include <QWidget>

class QPainter;
#include <vector>

namespace kvlab {

// One value snapshot of a fleet run, built on the worker thread and copied to the GUI.
struct FleetLiveView {
  QString router;
  std::vector<double> hitRate;     // per cache, token hit rate 0..1
  std::vector<double> occupancy;   // per cache, blocks held (KV index) / capacity, 0..1
  std::vector<double> tokenShare;  // per cache, share of the fleet's prompt tokens, 0..1
  double fleetHitRate = 0;
  double loadImbalance = 1;  // max / mean prompt tokens per replica
  quint64 requests = 0;
  bool sharedCache = false;  // oracle-shared: one cache
};

class FleetReplicaStrips : public QWidget {
  Q_OBJECT
public:
  explicit FleetReplicaStrips(QWidget* parent = nullptr);
  void setView(const FleetLiveView& view);
  const FleetLiveView& view() const { return m_view; }
  QSize sizeHint() const override { return {520, 260}; }
  // Draws the strips into `area` of any painter (the widget, a PDF page), with the painter's font.
  void paint(QPainter& painter, const QRectF& area) const;

protected:
  void paintEvent(QPaintEvent* event) override;

private:
  FleetLiveView m_view;
};

}  // namespace kvlab
