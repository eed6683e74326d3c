// SPDX-License-Identifier: MIT
#pragma once
// Writes what the window shows to files. The Live page's own exports: each chart as PNG and SVG, CSV of the
// per-request data and of the logged events, the decode steps, the tiers, and the Live section of the PDF
// report (parameters, summary table, every chart with its explanation and notes). The whole app's PDF report
// and "Export everything": one section and one set of files per page that has results (setPages), so a
// Tune-only report starts with the sweep and has no empty page. Every file goes through
// kvlab::writeFileAtomically (temp file + rename), so a failed export never leaves a half-written file.
// Functions throw std::runtime_error naming the path on failure. GUI thread (they render widgets).
#include <QList>
#include <QSize>
#include <QString>
#include <QStringList>

namespace kvlab {

class ChartPanel;
class EventLogModel;
class PageWidget;
class ReportDocument;
class RunHistory;
struct RunSummary;
struct RunTrack;

class ReportExporter {
public:
  ReportExporter(const RunHistory* history, QList<const ChartPanel*> charts, const EventLogModel* events);

  static constexpr QSize kChartSize{1200, 750};  // px, PNG and SVG

  // The app's pages, in tab order: the PDF report and exportAll cover each page with results. Without
  // pages (a lone Live view in tests) they cover the Live run only.
  void setPages(QList<const PageWidget*> pages) { m_pages = std::move(pages); }

  void exportChartPng(const ChartPanel& chart, const QString& path) const;
  void exportChartSvg(const ChartPanel& chart, const QString& path) const;
  void exportPdfReport(const QString& path, const QString& scenarioDescription = {}) const;
  // The Live run's part of the report: parameters, summary, tiers, runs compared, every chart that applies.
  void appendLiveSection(ReportDocument& report, const QString& scenarioDescription = {}) const;
  // The Live run's files into dir: <stem>.png/.svg per chart that applies to the current run (ChartPanel::
  // appliesTo) and <stem>.csv where the chart has CSV data (the tier chart: tiers.csv per request),
  // requests.csv, events.csv, decode-steps.csv for a decode run, tier-summary.csv for a finished run with
  // more than the device tier. Returns the written paths.
  QStringList exportLiveFiles(const QString& dir) const;
  void exportRequestsCsv(const QString& path) const;
  void exportEventsCsv(const QString& path) const;
  // The decode run's steps: step, ms and cumulative ms both ways, token. Throws without a decode run.
  void exportDecodeCsv(const QString& path) const;
  // The finished current run's per-tier table (RunSummary::tiers): name, hit_tokens, hits, misses,
  // bytes_in, bytes_out, entries, evictions, transfer_ms, transfer_source, errors, timeouts, corrupt (the
  // last three empty for a tier that is not remote). Throws without a finished run.
  void exportTiersCsv(const QString& path) const;
  // The same table as HTML rows for the PDF's "Tiers" section ("" with one tier or no summary).
  static QString tiersHtml(const RunSummary& summary);
  // Every page's files (PageWidget::exportFiles; the Live run's: exportLiveFiles) and report.pdf into dir.
  // Returns the written paths.
  QStringList exportAll(const QString& dir, const QString& scenarioDescription = {}) const;

private:
  QList<const ChartPanel*> chartsFor(const RunTrack* run) const;  // those that apply to run
  const RunHistory* m_history;
  QList<const ChartPanel*> m_charts;
  const EventLogModel* m_events;
  QList<const PageWidget*> m_pages;
};

}  // namespace kvlab
