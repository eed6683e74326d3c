// SPDX-License-Identifier: MIT
#pragma once
// The event log dock: the newest cache events of the current run in a table, filterable by type and layer,
// following the newest row unless the user scrolls away. Owns its EventLogModel and filter; fed by the
// RunHistory it observes.
#include <QWidget>
#include <cstdint>

class QCheckBox;
class QComboBox;
class QLabel;
class QTableView;

namespace kvlab {

class EventLogFilter;
class EventLogModel;
class RunHistory;

class EventLogPanel : public QWidget {
  Q_OBJECT
public:
  explicit EventLogPanel(const RunHistory* history, QWidget* parent = nullptr);

  EventLogModel* model() const { return m_model; }
  EventLogFilter* filter() const { return m_filter; }

private:
  void onRunStarted();
  void applyFilters();
  void updateCount();

  const RunHistory* m_history;
  EventLogModel* m_model = nullptr;
  EventLogFilter* m_filter = nullptr;
  QComboBox* m_type = nullptr;
  QComboBox* m_layer = nullptr;
  QCheckBox* m_follow = nullptr;
  QLabel* m_count = nullptr;
  QTableView* m_table = nullptr;
  std::uint64_t m_droppedSeen = 0;  // of the current run's dropped events, those already numbered past
};

}  // namespace kvlab
