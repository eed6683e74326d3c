// SPDX-License-Identifier: MIT
#pragma once
// The Fleet page: a trace over N replicas behind a router (core/fleet), computed on a worker thread.
// Shows one live strip per replica (FleetReplicaStrips) while a run goes, and a router comparison — every
// router on the same trace and capacity, one line each — exportable as PNG and CSV.
// Threads: the worker (a QThread running replayFleetFile) posts value snapshots to the GUI thread through
// queued calls; the page keeps the latest and repaints at most every ~40 ms. A run id drops snapshots of a
// run that was replaced; the destructor cancels the worker and joins it.
#include <QWidget>
#include <atomic>
#include <memory>
#include <vector>

#include "core/fleet/fleet_replayer.h"
#include "ui/fleet_replica_strips.h"

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

class FleetPage : public QWidget {
  Q_OBJECT
public:
  explicit FleetPage(QWidget* parent = nullptr);
  ~FleetPage() override;

  void setTracePath(const QString& path);
  void setReplicas(int replicas);
  void setMaxTokensPerReplica(const QString& tokens);  // units allowed ("1000000", "1e6")
  void setBlockSize(int tokens);
  QTableWidget* comparisonTable() const { return m_table; }
  FleetReplicaStrips* strips() const { return m_strips; }
  bool isRunning() const { return m_thread != nullptr; }

  bool exportComparisonCsv(const QString& path) const;
  bool exportComparisonPng(const QString& path) const;

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

  QLineEdit* m_trace = nullptr;
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
  FleetReplicaStrips* m_strips = nullptr;
  QTableWidget* m_table = nullptr;

  QThread* m_thread = nullptr;
  std::shared_ptr<std::atomic<bool>> m_cancel;
  int m_runId = 0;
  bool m_comparison = false;
  FleetLiveView m_pending;                // latest snapshot not yet painted
  std::vector<FleetLiveView> m_rowViews;  // end state of each comparison row's router
  QTimer* m_repaint = nullptr;
};

}  // namespace kvlab
