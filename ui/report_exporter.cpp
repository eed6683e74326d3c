// SPDX-License-Identifier: MIT
#include "ui/report_exporter.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QDateTime>
#include <QDir>
#include <QPainter>
#include <QPdfWriter>
#include <QTextDocument>
#include <functional>
#include <sstream>

#include "core/replay/event_csv_writer.h"
#include "core/runner/request_row.h"
#include "core/util/atomic_file.h"
#include "core/util/csv_writer.h"
#include "core/util/units.h"
#include "ui/chart_panel.h"
#include "ui/event_log_model.h"
#include "ui/page_widget.h"
#include "ui/report_document.h"
#include "ui/run_history.h"

namespace kvlab {

namespace {
void writeBytes(const QString& path, const QByteArray& bytes) {
  if (bytes.isEmpty()) throw std::runtime_error("nothing to write to " + path.toStdString());
  writeFileAtomically(path.toStdString(), bytes.toStdString());
}

QString qs(const std::string& s) { return QString::fromStdString(s).toHtmlEscaped(); }

QString row(const QString& name, const QString& value) {
  return QStringLiteral("<tr><td style='padding-right:18px'><b>%1</b></td><td>%2</td></tr>").arg(name, value);
}

// The decode scenario's summary: the K/V cache within one sequence (the prefix-cache rows mean nothing).
QString decodeRows(const RunSummary& s) {
  const DecodeComparison& d = *s.decode;
  QString html;
  html += row(QStringLiteral("Prompt / output tokens"),
              QStringLiteral("%1 / %2 generated").arg(d.promptTokens).arg(d.stepMsCached.size()));
  html += row(QStringLiteral("Decode speedup (measured)"),
              QStringLiteral("%1× (total %2 ms recomputing everything / %3 ms with the KV cache)")
                  .arg(d.speedup, 0, 'f', 2)
                  .arg(d.totalMsUncached, 0, 'f', 1)
                  .arg(d.totalMsCached, 0, 'f', 1));
  html += row(QStringLiteral("Ideal speedup (FLOPs)"), QStringLiteral("%1×").arg(d.idealSpeedup, 0, 'f', 1));
  html += row(QStringLiteral("Identical greedy tokens"),
              d.tokensIdentical ? QStringLiteral("yes") : QStringLiteral("NO"));
  html += row(QStringLiteral("Max |logit diff| with vs without"), QString::number(d.maxAbsLogitDiff, 'g', 3));
  if (s.tpotMsMean > 0)
    html += row(QStringLiteral("TPOT with the KV cache (mean)"),
                QStringLiteral("%1 ms").arg(s.tpotMsMean, 0, 'f', 2));
  html += row(QStringLiteral("Elapsed"), QStringLiteral("%1 s%2")
                                             .arg(s.elapsedS, 0, 'f', 2)
                                             .arg(s.cancelled ? QStringLiteral(" (stopped)") : QString()));
  if (!s.error.empty()) html += row(QStringLiteral("Error"), qs(s.error));
  return html;
}
}  // namespace

ReportExporter::ReportExporter(const RunHistory* history, QList<const ChartPanel*> charts,
                               const EventLogModel* events)
    : m_history(history), m_charts(std::move(charts)), m_events(events) {}

void ReportExporter::exportChartPng(const ChartPanel& chart, const QString& path) const {
  writeBytes(path, chart.toPng(kChartSize));
}

void ReportExporter::exportChartSvg(const ChartPanel& chart, const QString& path) const {
  writeBytes(path, chart.toSvg(kChartSize));
}

void ReportExporter::exportPdfReport(const QString& path, const QString& scenarioDescription) const {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  QPdfWriter writer(&buffer);
  writer.setTitle(QStringLiteral("KV Cache Lab report"));
  writer.setCreator(QStringLiteral("kvlab"));
  writer.setPageSize(QPageSize(QPageSize::A4));
  writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
  writer.setResolution(150);
  {
    ReportDocument report(writer);
    report.html(QStringLiteral("<h1>KV Cache Lab report</h1><p>%1</p>")
                    .arg(QDateTime::currentDateTime().toString(Qt::ISODate)));
    bool any = false;
    if (m_pages.isEmpty()) {
      report.section(QStringLiteral("Live run"));
      appendLiveSection(report, scenarioDescription);
      any = true;
    }
    for (const PageWidget* page : m_pages)
      if (page->hasResults()) {
        page->appendReport(report);
        any = true;
      }
    if (!any)
      report.html(
          QStringLiteral("<p>Nothing has been run yet: run a scenario on the Live page, simulate on the "
                         "Serving page, compare routers on the Fleet page or sweep on the Tune page, "
                         "then export again.</p>"));
    report.finish();
  }
  writeBytes(path, bytes);
}

void ReportExporter::appendLiveSection(ReportDocument& report, const QString& scenarioDescription) const {
  QString html;
  const RunTrack* run = m_history->current();
  if (!run) {
    html += QStringLiteral("<p>No Live run yet.</p>");
  } else {
    const RunInfo& i = run->info;
    html += QStringLiteral("<h2>%1</h2><p>%2</p>")
                .arg(qs(i.scenarioTitle.empty() ? i.scenarioName : i.scenarioTitle),
                     qs(i.scenarioDescription.empty() ? scenarioDescription.toStdString()
                                                      : i.scenarioDescription));
    html += QStringLiteral("<h3>Parameters</h3><table>");
    html += row(QStringLiteral("Scenario"), qs(i.scenarioName));
    html +=
        row(QStringLiteral("Mode"), i.simulated ? QStringLiteral("trace replay (times from the cost model)")
                                                : QStringLiteral("real prefill with LibTorch"));
    html += row(QStringLiteral("Model"), qs(i.model) + QStringLiteral(" (%1 layers)").arg(i.layers));
    html +=
        row(QStringLiteral("Granularity"), qs(std::string(toString(i.granularity))) +
                                               (i.granularity == Granularity::Block
                                                    ? QStringLiteral(", %1 tokens per block").arg(i.blockSize)
                                                    : QString()));
    html += row(QStringLiteral("Policy"), qs(i.policy));
    html += row(QStringLiteral("Max size"), qs(formatBytes(i.maxBytes)));
    html += row(QStringLiteral("TTL"),
                i.ttlMs > 0 ? qs(formatDurationMs(i.ttlMs)) + (i.ttlMode == TtlMode::Age
                                                                   ? QStringLiteral(" since insertion (age)")
                                                                   : QStringLiteral(" since last use (idle)"))
                            : QStringLiteral("off"));
    if (i.hostMaxBytes > 0)
      html +=
          row(QStringLiteral("Host tier"), qs(formatCapacity(i.hostMaxBytes)) + QStringLiteral(", policy ") +
                                               qs(i.hostPolicy.empty() ? i.policy : i.hostPolicy));
    if (!i.remote.empty())
      html += row(QStringLiteral("Remote tier"),
                  qs(i.remote) + (i.remoteWriteBack ? QStringLiteral(", write-back")
                                                    : QStringLiteral(", write-through")));
    html += row(QStringLiteral("Device"),
                qs(i.device) + (i.storageDevice.empty() || i.storageDevice == i.device
                                    ? QString()
                                    : QStringLiteral(", K/V stored on ") + qs(i.storageDevice)));
    if (i.simulated) {
      html += row(QStringLiteral("Cost model"),
                  QStringLiteral("%1: %2 TFLOP/s, %3 TB/s sustained (roofline per prefill; nothing timed)")
                      .arg(qs(i.hardware))
                      .arg(i.hardwarePeakFlops / 1e12, 0, 'f', 0)
                      .arg(i.hardwareBandwidth / 1e12, 0, 'f', 2));
    } else {
      if (!i.matmul.empty()) html += row(QStringLiteral("Matrix products"), qs(i.matmul));
      html += row(QStringLiteral("BLAS"), qs(i.blas));
      html += row(QStringLiteral("LibTorch"),
                  qs(i.torchVersion) + QStringLiteral(", %1 threads").arg(i.computeThreads));
      if (i.matmulGflops > 0)
        html += row(QStringLiteral("Matmul (measured at start)"),
                    QStringLiteral("%1 GFLOP/s").arg(i.matmulGflops, 0, 'f', 1));
    }
    // What is needed to rerun exactly this run.
    html += row(QStringLiteral("Build"),
                QStringLiteral("kvlab %1, git %2").arg(qs(i.kvlabVersion), qs(i.gitRevision)));
    if (!i.scenarioSha256.empty()) html += row(QStringLiteral("Input file SHA-256"), qs(i.scenarioSha256));
    if (!i.simulated) html += row(QStringLiteral("Scenario seed"), QString::number(i.scenarioSeed));
    html += QStringLiteral("</table><h3>Summary</h3><table>");
    html += row(QStringLiteral("Requests"),
                i.requestsTotal > 0 ? QStringLiteral("%1 of %2").arg(run->points.size()).arg(i.requestsTotal)
                                    : QString::number(run->points.size()));
    if (run->summary && run->summary->decode) {
      html += decodeRows(*run->summary);
    } else if (run->summary) {
      const RunSummary& s = *run->summary;
      html += row(QStringLiteral("Token hit rate"),
                  QStringLiteral("%1 %").arg(100.0 * s.tokenHitRate, 0, 'f', 1));
      QString speedup = QStringLiteral("no baseline");
      if (s.speedup > 0) {
        speedup = QStringLiteral("%1×").arg(s.speedup, 0, 'f', 2);
        if (s.speedupCi95[1] > 0)
          speedup += QStringLiteral(" (95% bootstrap interval %1–%2×)")
                         .arg(s.speedupCi95[0], 0, 'f', 2)
                         .arg(s.speedupCi95[1], 0, 'f', 2);
      }
      if (!i.simulated) html += row(QStringLiteral("Speedup (TTFT, measured)"), speedup);
      html +=
          row(QStringLiteral("Ideal speedup (FLOPs)"), QStringLiteral("%1×").arg(s.idealSpeedup, 0, 'f', 2));
      // A trace replay times nothing: its TTFTs are the cost model's per request (requests.csv), so the
      // means come from those, labelled; the summary leaves them 0 (not measured).
      double cachedMean = s.ttftMsCachedMean, uncachedMeanMs = s.ttftMsUncachedMean;
      if (i.simulated) {
        double cached = 0, uncached = 0;
        int n = 0, withBaseline = 0;
        for (const RequestPoint& p : run->points) {
          cached += p.ttftCachedMs;
          ++n;
          if (p.ttftUncachedMs >= 0) {
            uncached += p.ttftUncachedMs;
            ++withBaseline;
          }
        }
        cachedMean = n ? cached / n : 0;
        uncachedMeanMs = withBaseline ? uncached / withBaseline : 0;
      }
      const QString uncachedMean = uncachedMeanMs > 0 ? QStringLiteral("%1 ms").arg(uncachedMeanMs, 0, 'f', 1)
                                                      : QStringLiteral("not measured");
      html +=
          row(i.simulated ? QStringLiteral("Mean TTFT cached / uncached (cost model, %1)").arg(qs(i.hardware))
                          : QStringLiteral("Mean TTFT cached / uncached"),
              QStringLiteral("%1 ms / %2").arg(cachedMean, 0, 'f', 1).arg(uncachedMean));
      if (!i.simulated && s.requests > 0) {
        html += row(QStringLiteral("TTFT cached, median / p90"), QStringLiteral("%1 ms / %2 ms")
                                                                     .arg(s.ttftMsCachedMedian, 0, 'f', 1)
                                                                     .arg(s.ttftMsCachedP90, 0, 'f', 1));
        if (s.ttftMsUncachedMean > 0)
          html +=
              row(QStringLiteral("TTFT uncached, median / p90"), QStringLiteral("%1 ms / %2 ms")
                                                                     .arg(s.ttftMsUncachedMedian, 0, 'f', 1)
                                                                     .arg(s.ttftMsUncachedP90, 0, 'f', 1));
      }
      // Only a live run with a baseline compares logits; a trace has none.
      if (!i.simulated && s.speedup > 0)
        html += row(QStringLiteral("Max |logit diff| cached vs uncached"),
                    QString::number(s.maxAbsLogitDiff, 'g', 3));
      const MissBreakdown misses = RunHistory::missesSoFar(*run);
      static const char* const kMiss[] = {"cold", "evicted", "expired", "orphaned"};
      QStringList parts;
      for (int r = 0; r < kMissReasonCount; ++r)
        parts << QStringLiteral("%1 %2").arg(QLatin1String(kMiss[r])).arg(misses.tokens[std::size_t(r)]);
      html += row(QStringLiteral("Computed tokens, why"), parts.join(QStringLiteral(" · ")));
      if (misses.tooLarge > 0)
        html += row(QStringLiteral("Not stored: prompts larger than the whole cache"),
                    QStringLiteral("%1 tokens").arg(misses.tooLarge));
      html += row(QStringLiteral("Evictions / expirations"),
                  QStringLiteral("%1 / %2").arg(s.evictions).arg(s.expirations));
      html += row(QStringLiteral("Peak cache memory"), qs(formatBytes(s.peakBytes)));
      html +=
          row(QStringLiteral("Elapsed"), QStringLiteral("%1 s%2")
                                             .arg(s.elapsedS, 0, 'f', 2)
                                             .arg(s.cancelled ? QStringLiteral(" (stopped)") : QString()));
      if (!s.error.empty()) html += row(QStringLiteral("Error"), qs(s.error));
    } else {
      html += row(QStringLiteral("State"), QStringLiteral("still running"));
    }
    html += QStringLiteral("</table>");
    if (run->summary) html += tiersHtml(*run->summary);
    if (m_history->earlierCount() > 0) {
      html += QStringLiteral(
          "<h3>Runs compared</h3><table><tr><th align=left>Run</th><th>Requests</th><th>Hit "
          "rate</th><th>Speedup</th></tr>");
      for (const RunTrack& r : m_history->runs()) {
        const double hit =
            r.summary
                ? r.summary->tokenHitRate
                : (r.points.empty() || !r.points.back().cumQueriedTokens
                       ? 0.0
                       : double(r.points.back().cumHitTokens) / double(r.points.back().cumQueriedTokens));
        html += QStringLiteral(
                    "<tr><td style='padding-right:18px'>%1</td><td align=right>%2</td><td align=right>%3 "
                    "%</td><td align=right>%4</td></tr>")
                    .arg(m_history->legendLabel(r).toHtmlEscaped())
                    .arg(r.points.size())
                    .arg(100.0 * hit, 0, 'f', 1)
                    .arg(r.summary && r.summary->speedup > 0
                             ? QStringLiteral("%1×").arg(r.summary->speedup, 0, 'f', 2)
                             : QStringLiteral("-"));
      }
      html += QStringLiteral("</table>");
    }
  }
  report.html(html);
  // Every chart that applies to this run, with its explanation and the notes it shows on screen.
  for (const ChartPanel* chart : chartsFor(run)) report.chart(*chart);
}

QString ReportExporter::tiersHtml(const RunSummary& s) {
  if (s.tiers.size() < 2) return {};
  // One column per tier, one row per figure: fits the page with three tiers.
  const auto figure = [&](const QString& name,
                          const std::function<QString(const TierReport&)>& value) -> QString {
    QString html = QStringLiteral("<tr><td style='padding-right:18px'><b>%1</b></td>").arg(name);
    for (const TierReport& t : s.tiers)
      html += QStringLiteral("<td align=right style='padding-right:18px'>%1</td>").arg(value(t));
    return html + QStringLiteral("</tr>");
  };
  const auto count = [](std::uint64_t n) { return QString::number(n); };
  QString html = QStringLiteral("<h3>Tiers</h3><table><tr><th></th>");
  for (const TierReport& t : s.tiers)
    html += QStringLiteral("<th align=right style='padding-right:18px'>%1</th>").arg(qs(t.name));
  html += QStringLiteral("</tr>");
  html += figure(QStringLiteral("Hit tokens"), [&](const TierReport& t) { return count(t.hitTokens); });
  html += figure(QStringLiteral("Hits / misses (blocks)"),
                 [&](const TierReport& t) { return QStringLiteral("%1 / %2").arg(t.hits).arg(t.misses); });
  html += figure(QStringLiteral("Bytes in"), [&](const TierReport& t) {
    return QStringLiteral("%1 (%2)").arg(qs(formatBytes(t.bytesIn))).arg(t.bytesIn);
  });
  html += figure(QStringLiteral("Bytes out"), [&](const TierReport& t) {
    return QStringLiteral("%1 (%2)").arg(qs(formatBytes(t.bytesOut))).arg(t.bytesOut);
  });
  html += figure(QStringLiteral("Entries at the end"), [&](const TierReport& t) { return count(t.entries); });
  html += figure(QStringLiteral("Evictions"), [&](const TierReport& t) { return count(t.evictions); });
  html += figure(QStringLiteral("Transfer time"), [&](const TierReport& t) {
    return QStringLiteral("%1 ms (%2)")
        .arg(t.transferMs, 0, 'f', 2)
        .arg(t.transferCostModel ? QStringLiteral("cost model") : QStringLiteral("measured"));
  });
  html += figure(QStringLiteral("Errors / time-outs / corrupt"), [&](const TierReport& t) {
    return t.remote ? QStringLiteral("%1 / %2 / %3").arg(t.errors).arg(t.timeouts).arg(t.corrupt)
                    : QStringLiteral("-");
  });
  return html + QStringLiteral("</table>");
}

void ReportExporter::exportTiersCsv(const QString& path) const {
  const RunTrack* run = m_history->current();
  if (!run || !run->summary) throw std::runtime_error("no finished run to write to " + path.toStdString());
  std::ostringstream out;
  CsvWriter csv(out);
  csv.row({"name", "hit_tokens", "hits", "misses", "bytes_in", "bytes_out", "entries", "evictions",
           "transfer_ms", "transfer_source", "errors", "timeouts", "corrupt"});
  for (const TierReport& t : run->summary->tiers) {
    csv.field(t.name).field(t.hitTokens).field(t.hits).field(t.misses).field(t.bytesIn).field(t.bytesOut);
    csv.field(t.entries).field(t.evictions).field(t.transferMs);
    csv.field(t.transferCostModel ? "cost model" : "measured");
    if (t.remote)
      csv.field(t.errors).field(t.timeouts).field(t.corrupt);
    else
      csv.empty().empty().empty();
    csv.endRow();
  }
  writeFileAtomically(path.toStdString(), out.str());
}

void ReportExporter::exportRequestsCsv(const QString& path) const {
  // The schema kvlab-cli run --out writes too (core/runner/request_row.h), every run shown in one file.
  std::vector<RequestRow> rows;
  for (const RunTrack& run : m_history->runs())
    for (const RequestPoint& p : run.points) rows.push_back(p.csvRow);
  writeRequestsCsv(path.toStdString(), rows);
}

void ReportExporter::exportEventsCsv(const QString& path) const {
  // The schema of kvlab-cli replay --events (core/replay/event_csv_writer.h). The log keeps the newest
  // events only; `seq` numbers events from the start of the run.
  std::ostringstream out;
  CsvWriter csv(out);
  EventCsvWriter::writeHeader(csv);
  for (int r = 0; r < m_events->rowCount(); ++r)
    EventCsvWriter::writeRow(csv, m_events->sequence(r), m_events->event(r));
  writeFileAtomically(path.toStdString(), out.str());
}

QList<const ChartPanel*> ReportExporter::chartsFor(const RunTrack* run) const {
  QList<const ChartPanel*> out;
  for (const ChartPanel* chart : m_charts)
    if (chart->appliesTo(run)) out.append(chart);
  return out;
}

void ReportExporter::exportDecodeCsv(const QString& path) const {
  const RunTrack* run = m_history->current();
  if (!run || !ChartPanel::isDecodeRun(run))
    throw std::runtime_error("no decode run to write to " + path.toStdString());
  std::ostringstream out;
  CsvWriter csv(out);
  csv.row({"step", "ms_cached", "ms_uncached", "cumulative_ms_cached", "cumulative_ms_uncached", "token"});
  double cached = 0, uncached = 0;
  for (const DecodeStep& s : run->decodeSteps) {
    cached += s.msCached;
    uncached += s.msUncached;
    csv.field(s.step).field(s.msCached).field(s.msUncached).field(cached).field(uncached).field(s.token);
    csv.endRow();
  }
  writeFileAtomically(path.toStdString(), out.str());
}

QStringList ReportExporter::exportLiveFiles(const QString& dir) const {
  QDir().mkpath(dir);
  const QDir d(dir);
  QStringList written;
  const RunTrack* run = m_history->current();
  if (ChartPanel::isDecodeRun(run)) {
    written << d.filePath(QStringLiteral("decode-steps.csv"));
    exportDecodeCsv(written.last());
  }
  for (const ChartPanel* chart : chartsFor(run)) {
    written << d.filePath(chart->fileStem() + QStringLiteral(".png"));
    exportChartPng(*chart, written.last());
    written << d.filePath(chart->fileStem() + QStringLiteral(".svg"));
    exportChartSvg(*chart, written.last());
    const std::string csv = chart->csv();
    if (!csv.empty()) {
      written << d.filePath(chart->fileStem() + QStringLiteral(".csv"));
      writeFileAtomically(written.last().toStdString(), csv);
    }
  }
  if (run && run->summary && run->summary->tiers.size() > 1) {
    written << d.filePath(QStringLiteral("tier-summary.csv"));
    exportTiersCsv(written.last());
  }
  written << d.filePath(QStringLiteral("requests.csv"));
  exportRequestsCsv(written.last());
  written << d.filePath(QStringLiteral("events.csv"));
  exportEventsCsv(written.last());
  return written;
}

QStringList ReportExporter::exportAll(const QString& dir, const QString& scenarioDescription) const {
  QDir().mkpath(dir);
  const QDir d(dir);
  QStringList written;
  if (m_pages.isEmpty()) written << exportLiveFiles(dir);
  for (const PageWidget* page : m_pages)
    if (page->hasResults()) written << page->exportFiles(d);
  written << d.filePath(QStringLiteral("report.pdf"));
  exportPdfReport(written.last(), scenarioDescription);
  return written;
}

}  // namespace kvlab
