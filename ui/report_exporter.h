// SPDX-License-Identifier: MIT
#pragma once
// Writes what the window shows to files: each chart as PNG and SVG, a PDF report (parameters, summary table,
// every chart), and CSV of the per-request data and of the logged events. Every file goes through
// kvlab::writeFileAtomically (temp file + rename), so a failed export never leaves a half-written file.
// Functions throw std::runtime_error naming the path on failure. GUI thread (they render widgets).
#include <QList>
#include <QSize>
#include <QString>
#include <QStringList>

namespace kvlab {

class ChartPanel;
class EventLogModel;
class RunHistory;
class TunePage;
struct RunSummary;
struct RunTrack;

class ReportExporter {
public:
  ReportExporter(const RunHistory* history, QList<const ChartPanel*> charts, const EventLogModel* events);

  static constexpr QSize kChartSize{1200, 750};  // px, PNG and SVG

  // The Tune page whose sweep adds a "Tuning" section to the PDF and its files to exportAll (nullptr: none).
  void setTunePage(const TunePage* page) { m_tune = page; }

  void exportChartPng(const ChartPanel& chart, const QString& path) const;
  void exportChartSvg(const ChartPanel& chart, const QString& path) const;
  void exportPdfReport(const QString& path, const QString& scenarioDescription = {}) const;
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
  // All of the above into dir: <stem>.png/.svg per chart that applies to the current run (ChartPanel::
  // appliesTo) and <stem>.csv where the chart has CSV data (the tier chart: tiers.csv per request),
  // report.pdf, requests.csv, events.csv, decode-steps.csv for a decode run, tier-summary.csv for a
  // finished run with more than the device tier, and when a sweep has run the Tune page's charts
  // (tune-*.png/.svg) and tune-sweep.csv.
  // Returns the written paths.
  QStringList exportAll(const QString& dir, const QString& scenarioDescription = {}) const;

private:
  QList<const ChartPanel*> chartsFor(const RunTrack* run) const;  // those that apply to run
  const RunHistory* m_history;
  QList<const ChartPanel*> m_charts;
  const EventLogModel* m_events;
  const TunePage* m_tune = nullptr;
};

}  // namespace kvlab
