// SPDX-License-Identifier: MIT
#pragma once
// The Live page: the scenario or trace run by the Controls dock, drawn as it goes: the five prefix-cache
// charts (six with tiers; the decode lesson alone for the decode scenario) and the current request, under
// a headline with the run's answer (LiveHeadline: hit rate, speedup measured vs ideal; for traces, hit rate
// and prefill time saved). A BoundCalculator computes the source's infinite-cache bound in the background
// for block runs; the hit-rate chart marks it. Presentation mode shows one chart at a time beside the
// request view. Owns the Live exports (ReportExporter). GUI thread only.
#include <QList>
#include <memory>
#include <optional>

#include "ui/page_widget.h"

class QGridLayout;
class QGroupBox;

namespace kvlab {

class BoundCalculator;
class ChartPanel;
class ControlPanel;
class EventLogModel;
class ReportExporter;
class RequestView;
class RunController;
class RunHistory;

class LivePage : public PageWidget {
  Q_OBJECT
public:
  LivePage(RunController* controller, RunHistory* history, ControlPanel* controls,
           const EventLogModel* events, QWidget* parent = nullptr);
  ~LivePage() override;

  const QList<ChartPanel*>& charts() const { return m_charts; }
  RequestView* requestView() const { return m_request; }
  const ReportExporter& exporter() const { return *m_exporter; }
  // The pages the PDF report and "Export everything" cover (ReportExporter::setPages).
  void setReportedPages(QList<const PageWidget*> pages);
  // The infinite-cache bound of the current run's source (0..1), once computed.
  std::optional<double> bound() const { return m_bound; }

  void setTypeScale(const TypeScale& scale) override;
  void runPage() override;
  bool isBusy() const override;
  bool hasResults() const override;
  void appendReport(ReportDocument& report) const override;
  QStringList exportFiles(const QDir& dir) const override;

protected:
  bool slideApplies(int index) const override;
  void presentSlides(bool on, int index) override;

private:
  void layoutGrid();
  void updateHeadline();
  void requestBound();

  RunController* m_controller;
  RunHistory* m_history;
  ControlPanel* m_controls;
  QList<ChartPanel*> m_charts;
  RequestView* m_request = nullptr;
  QGroupBox* m_requestBox = nullptr;
  QGridLayout* m_grid = nullptr;
  std::unique_ptr<ReportExporter> m_exporter;
  BoundCalculator* m_boundCalculator = nullptr;
  QString m_boundKey;  // the run the bound belongs to
  std::optional<double> m_bound;
  std::optional<bool> m_finishPending;  // the run ended (ok?); workFinished waits for its bound
  void finishWhenBoundKnown();
};

}  // namespace kvlab
