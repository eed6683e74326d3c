// SPDX-License-Identifier: MIT
#pragma once
// Wires the app together and does nothing else: creates the controller, the history and one widget per
// panel and chart, puts them in docks and a chart grid, builds menus and shortcuts, and saves/restores the
// parameters and the layout with QSettings. Every behaviour lives in the widget classes.
#include <QFont>
#include <QList>
#include <QMainWindow>
#include <functional>
#include <memory>

class QAction;
class QDockWidget;
class QGridLayout;
class QGroupBox;
class QShortcut;
class QTabWidget;

namespace kvlab {

class ChartPanel;
class ControlPanel;
class EventLogPanel;
class ReportExporter;
class RequestView;
class RunController;
class RunHistory;
class RunStatusBar;
class TunePage;

class MainWindow : public QMainWindow {
  Q_OBJECT
public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  RunController* controller() const { return m_controller; }
  RunHistory* history() const { return m_history; }
  ControlPanel* controlPanel() const { return m_controls; }
  EventLogPanel* eventLog() const { return m_eventLog; }
  const QList<ChartPanel*>& charts() const { return m_charts; }
  const ReportExporter& exporter() const { return *m_exporter; }
  // The central tab widget: "Live" is page 0; each further mode is one page class added here.
  QTabWidget* pages() const { return m_pages; }
  TunePage* tunePage() const { return m_tune; }
  // Selects a page by its tab text, case-insensitive ("live", "serving", "fleet", "tune"); false if none.
  bool showPage(const QString& name);

  // Unattended use: errors go to stderr instead of message boxes.
  void setInteractive(bool interactive) { m_interactive = interactive; }
  void saveSettings() const;
  void restoreSettings();

  // Presentation mode (View ▸ Presentation, F11): fonts and lines 1.6× larger, docks hidden, one chart at a
  // time beside the request view on the Live page (Left/Right cycle), full screen.
  static constexpr double kPresentationScale = 1.6;
  void setPresentationMode(bool on);
  bool presentationMode() const { return m_presentation; }
  int presentedChart() const { return m_presentedChart; }
  void showChart(int index);  // presentation mode: which chart is beside the request view
  // View: No drawing while a request is timed (default on; see RunWorker).
  void setQuietTiming(bool on);

public Q_SLOTS:
  void exportAll();     // asks for a folder
  void exportReport();  // asks for a PDF path
  void showError(const QString& message);

protected:
  void closeEvent(QCloseEvent* event) override;

private:
  void buildMenus();
  void exportChart(const ChartPanel* chart, const QString& format);
  void runGuarded(const QString& what, const std::function<void()>& action);
  void layoutLivePage();

  RunController* m_controller = nullptr;
  RunHistory* m_history = nullptr;
  ControlPanel* m_controls = nullptr;
  RequestView* m_request = nullptr;
  EventLogPanel* m_eventLog = nullptr;
  RunStatusBar* m_status = nullptr;
  QTabWidget* m_pages = nullptr;
  TunePage* m_tune = nullptr;
  QList<ChartPanel*> m_charts;
  std::unique_ptr<ReportExporter> m_exporter;
  QAction* m_explanations = nullptr;
  QAction* m_presentationAction = nullptr;
  QAction* m_quietTiming = nullptr;
  QGridLayout* m_liveGrid = nullptr;
  QGroupBox* m_requestBox = nullptr;
  QList<QDockWidget*> m_docks;
  QList<QShortcut*> m_cycleKeys;
  QList<bool> m_docksVisibleBefore;
  QFont m_normalFont;
  bool m_presentation = false;
  int m_presentedChart = 0;
  bool m_wasMaximized = false;
  bool m_interactive = true;
  bool m_restoredLayout = false;  // a saved dock layout was restored: keep it
};

}  // namespace kvlab
