// SPDX-License-Identifier: MIT
#pragma once
// Wires the app together and does nothing else: creates the controller, the history, the shared source,
// the Controls and Event log docks and one page widget per tab (Live, Workload, Serving, Fleet, Tune), builds menus
// and shortcuts, and saves/restores the parameters and the layout with QSettings. Each page shows only what
// acts on it: the docks and the status bar's run figures belong to the Live page and are hidden on the
// others; Run (Ctrl+R) runs the page shown. Every behaviour lives in the page and widget classes.
#include <QFont>
#include <QList>
#include <QMainWindow>
#include <functional>

class QAction;
class QDockWidget;
class QShortcut;
class QTabWidget;

namespace kvlab {

class ChartPanel;
class ControlPanel;
class EventLogPanel;
class FleetPage;
class LivePage;
class PageWidget;
class ReportExporter;
class RunController;
class RunHistory;
class RunStatusBar;
class ServingPage;
class SourceSelection;
class TunePage;
class WorkloadPage;

class MainWindow : public QMainWindow {
  Q_OBJECT
public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  RunController* controller() const { return m_controller; }
  RunHistory* history() const { return m_history; }
  ControlPanel* controlPanel() const { return m_controls; }
  EventLogPanel* eventLog() const { return m_eventLog; }
  SourceSelection* sourceSelection() const { return m_source; }
  RunStatusBar* runStatusBar() const { return m_status; }
  const QList<ChartPanel*>& charts() const;  // the Live page's
  const ReportExporter& exporter() const;    // PDF report and exports of every page
  // The central tab widget: Live, Workload, Serving, Fleet, Tune.
  QTabWidget* pages() const { return m_pages; }
  LivePage* livePage() const { return m_live; }
  ServingPage* servingPage() const { return m_serving; }
  FleetPage* fleetPage() const { return m_fleet; }
  TunePage* tunePage() const { return m_tune; }
  WorkloadPage* workloadPage() const { return m_workload; }
  PageWidget* currentPage() const;
  PageWidget* page(const QString& name) const;  // "live", "serving", "fleet", "tune"; nullptr if none
  // Selects a page by its name or tab text, case-insensitive; false if none.
  bool showPage(const QString& name);

  // Unattended use: errors go to stderr instead of message boxes.
  void setInteractive(bool interactive) { m_interactive = interactive; }
  void saveSettings() const;
  void restoreSettings();

  // Presentation mode (View ▸ Presentation, F11): every page in projector type (TypeScale::presentation),
  // docks hidden, full screen; each page shows its headline and one chart at a time (←/→ cycle, with a
  // hint on screen).
  void setPresentationMode(bool on);
  bool presentationMode() const { return m_presentation; }
  int presentedChart() const;  // the Live page's current slide
  void showChart(int index);   // the Live page's slide `index`
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
  void pageChanged();  // shows the Live docks and run figures on the Live page only

  RunController* m_controller = nullptr;
  RunHistory* m_history = nullptr;
  SourceSelection* m_source = nullptr;
  ControlPanel* m_controls = nullptr;
  EventLogPanel* m_eventLog = nullptr;
  RunStatusBar* m_status = nullptr;
  QTabWidget* m_pages = nullptr;
  LivePage* m_live = nullptr;
  ServingPage* m_serving = nullptr;
  FleetPage* m_fleet = nullptr;
  TunePage* m_tune = nullptr;
  WorkloadPage* m_workload = nullptr;
  QList<PageWidget*> m_pageWidgets;
  QAction* m_explanations = nullptr;
  QAction* m_presentationAction = nullptr;
  QAction* m_quietTiming = nullptr;
  QList<QAction*> m_liveOnlyActions;  // Pause, Step, Stop, Reset, Clear earlier runs
  QList<QDockWidget*> m_docks;
  QList<bool> m_docksVisible;  // the user's choice on the Live page
  QList<QShortcut*> m_cycleKeys;
  QFont m_normalFont;
  bool m_presentation = false;
  bool m_wasMaximized = false;
  bool m_interactive = true;
  bool m_restoredLayout = false;  // a saved dock layout was restored: keep it
  bool m_onLive = true;
};

}  // namespace kvlab
