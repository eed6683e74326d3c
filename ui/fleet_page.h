// SPDX-License-Identifier: MIT
#pragma once
// The Fleet page: the shared source over N replicas behind a router (core/fleet), computed on a worker
// thread. "Compare routers" (the page's action) runs every router on the same source and capacity and
// shows the fleet hit rate of each against the shared-cache bound (FleetRouterChart, the headline from
// FleetHeadline); one live strip per replica (FleetReplicaStrips) follows the router running, and a line
// of the table shows its replicas again when selected. A panel explains what each router does.
// Threads: the worker (a QThread running replayFleetFile for a trace, or a FleetReplayer over a
// scenario's request stream) posts value snapshots to the GUI thread through queued calls; the page keeps
// the latest and repaints at most every ~40 ms. A run id drops snapshots of a run that was replaced; the
// destructor cancels the worker and joins it.
#include <atomic>
#include <memory>
#include <vector>

#include "core/fleet/fleet_replayer.h"
#include "ui/fleet_headline.h"
#include "ui/fleet_replica_strips.h"
#include "ui/page_widget.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QThread;
class QTimer;

namespace kvlab {

class FleetRouterChart;
class SourceSelection;

class FleetPage : public PageWidget {
  Q_OBJECT
public:
  explicit FleetPage(SourceSelection* selection = nullptr, QWidget* parent = nullptr);
  ~FleetPage() override;

  void setTracePath(const QString& path);  // sets the shared source
  void setReplicas(int replicas);
  void setMaxTokensPerReplica(const QString& tokens);  // units allowed ("1000000", "1e6")
  void setBlockSize(int tokens);                       // 0 = the source's (512 for a trace)
  QTableWidget* comparisonTable() const { return m_table; }
  FleetReplicaStrips* strips() const { return m_strips; }
  FleetRouterChart* routerChart() const { return m_chart; }
  QLabel* routerExplanations() const { return m_explain; }
  bool isRunning() const { return m_thread != nullptr; }
  void setExplanationsVisible(bool visible);

  bool exportComparisonCsv(const QString& path) const;
  bool exportComparisonPng(const QString& path) const;

  void setTypeScale(const TypeScale& scale) override;
  void runPage() override { compareAllRouters(); }
  bool isBusy() const override { return isRunning(); }
  bool hasResults() const override { return !m_rows.empty(); }
  void appendReport(ReportDocument& report) const override;
  QStringList exportFiles(const QDir& dir) const override;

public Q_SLOTS:
  void runSelectedRouter();
  void compareAllRouters();
  void stop();

Q_SIGNALS:
  void runFinished();         // the selected router's run ended (its strips show the final figures)
  void comparisonFinished();  // every router ran; the table has one line each
  void runFailed(const QString& message);

private:
  // Starts the worker on these routers, in order. Returns false (and reports) on a bad form value.
  bool start(const QStringList& routers, bool comparison);
  void receiveSnapshot(int runId, const FleetLiveView& view);
  void receiveResult(int runId, const FleetResult& result, const FleetLiveView& view);
  void receiveEnd(int runId, const QString& error);
  void addComparisonRow(const FleetResult& result);
  void setBusy(bool busy);
  void updateHeadline();
  QString capacityText() const;

  SourceSelection* m_selection = nullptr;
  QSpinBox* m_replicas = nullptr;
  QLineEdit* m_maxTokens = nullptr;
  QSpinBox* m_blockSize = nullptr;
  QComboBox* m_router = nullptr;
  QDoubleSpinBox* m_loadWeight = nullptr;
  QSpinBox* m_affinityBlocks = nullptr;
  QPushButton* m_run = nullptr;
  QPushButton* m_compare = nullptr;
  QPushButton* m_stop = nullptr;
  QLabel* m_status = nullptr;
  QLabel* m_explain = nullptr;
  FleetRouterChart* m_chart = nullptr;
  FleetReplicaStrips* m_strips = nullptr;
  QTableWidget* m_table = nullptr;

  QThread* m_thread = nullptr;
  std::shared_ptr<std::atomic<bool>> m_cancel;
  int m_runId = 0;
  bool m_comparison = false;
  int m_runReplicas = 4;                  // of the rows shown
  QString m_runCapacity;                  // of the rows shown
  std::vector<FleetRow> m_rows;           // comparison results, in run order
  FleetLiveView m_pending;                // latest snapshot not yet painted
  std::vector<FleetLiveView> m_rowViews;  // end state of each comparison row's router
  QTimer* m_repaint = nullptr;
};

}  // namespace kvlab
