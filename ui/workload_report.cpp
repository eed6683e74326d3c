// SPDX-License-Identifier: MIT
#include "ui/workload_report.h"

#include <QCoreApplication>
#include <QLocale>
#include <QStringList>
#include <cmath>

#include "core/analyze/trace_analysis.h"
#include "core/util/units.h"

namespace kvlab {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("WorkloadReport", text); }

QString count(std::uint64_t n) { return QLocale(QLocale::English).toString(qulonglong(n)); }

// "1 block", "31,435 blocks".
QString blockCount(std::uint64_t n) { return count(n) + (n == 1 ? tr(" block") : tr(" blocks")); }

QString percent(double fraction, int decimals = 1) { return QString::number(100 * fraction, 'f', decimals) + "%"; }

QString bytes(std::uint64_t tokens, const WorkloadPricing& p) {
  return QString::fromStdString(formatBytes(saturatingMul(tokens, p.bytesPerToken)));
}

QString seconds(double s) {
  if (s >= 3600) return QString::number(s / 3600, 'f', 2) + " h";
  if (s >= 60) return QString::number(s / 60, 'f', 1) + " min";
  return QString::number(s, 'f', s < 10 ? 2 : 1) + " s";
}

QString duration(std::int64_t ms) {
  if (ms % 3'600'000 == 0) return QString::number(ms / 3'600'000) + " h";
  if (ms % 60'000 == 0) return QString::number(ms / 60'000) + " min";
  return QString::number(double(ms) / 1000, 'g', 4) + " s";
}

// The size (blocks) an LRU cache needs for `fraction` of the bound, or nullptr.
const BoundSize* sizeFor(const TraceAnalysis& a, double fraction) {
  for (const BoundSize& b : a.boundSizes)
    if (std::abs(b.fraction - fraction) < 1e-9 && b.capacityBlocks) return &b;
  return nullptr;
}

QString sizeText(std::uint64_t blocks, const TraceAnalysis& a, const WorkloadPricing& p) {
  QString s = tr("%1 (%2 tokens").arg(blockCount(blocks), count(blocks * a.blockSize));
  if (p.bytesPerToken) s += tr(", %1 of K/V").arg(bytes(blocks * a.blockSize, p));
  return s + ")";
}

struct Table {
  QString html;
  explicit Table(const QStringList& header) {
    html = QStringLiteral("<table border=1 cellspacing=0 cellpadding=3><tr>");
    for (const QString& h : header) html += QStringLiteral("<th>%1</th>").arg(h.toHtmlEscaped());
    html += QStringLiteral("</tr>");
  }
  void row(const QStringList& cells) {
    html += QStringLiteral("<tr>");
    for (const QString& c : cells) html += QStringLiteral("<td>%1</td>").arg(c.toHtmlEscaped());
    html += QStringLiteral("</tr>");
  }
  QString done() const { return html + QStringLiteral("</table>"); }
};

QString labelTable(const QString& title, const std::vector<LabelBound>& rows) {
  if (rows.empty()) return {};
  Table t({title, tr("requests"), tr("prompt tokens"), tr("reusable (infinite cache)"), tr("hit rate")});
  for (const LabelBound& r : rows)
    t.row({QString::fromStdString(r.label), count(r.requests), count(r.promptTokens), count(r.hitTokens),
           percent(r.hitRate())});
  return t.done();
}

}  // namespace

QString workloadHeadline(const TraceAnalysis& a, const WorkloadPricing& p) {
  if (a.promptTokens == 0) return tr("No requests measured");
  QString h = tr("Up to <b>%1</b> of prompt tokens are reusable").arg(percent(a.infiniteHitRate()));
  if (const BoundSize* b = sizeFor(a, 0.9); b && a.infiniteHitTokens > 0) {
    const std::uint64_t tokens = *b->capacityBlocks * a.blockSize;
    h += tr(" · LRU needs <b>%1</b> for 90% of that")
             .arg(p.bytesPerToken ? bytes(tokens, p) + tr(" of K/V") : blockCount(*b->capacityBlocks));
  }
  return h;
}

QString workloadDetail(const TraceAnalysis& a, const WorkloadPricing& p) {
  if (a.promptTokens == 0) return {};
  QString d = tr("%1 requests, %2 prompt tokens in blocks of %3; an infinite cache would serve %4 of them. ")
                  .arg(count(a.requests), count(a.promptTokens), count(a.blockSize), count(a.infiniteHitTokens));
  if (a.warmupRequests) d += tr("The first %1 requests only fill the cache (warm-up). ").arg(count(a.warmupRequests));
  if (a.infiniteHitTokens == 0) return d + tr("No prompt starts with blocks of an earlier one: a prefix cache cannot help.");
  if (const BoundSize* b = sizeFor(a, 0.9))
    d += tr("The smallest LRU cache reaching 90% of that holds %1").arg(sizeText(*b->capacityBlocks, a, p));
  if (p.prefillSecondsPerToken > 0)
    d += tr("; prefill time saved at the bound: %1 (cost model, %2 on %3)")
             .arg(seconds(double(a.infiniteHitTokens) * p.prefillSecondsPerToken), p.model, p.hardware);
  d += QStringLiteral(".");
  if (a.chunkHitTokens && *a.chunkHitTokens > a.infiniteHitTokens)
    d += tr(" Chunk-level reuse (any earlier occurrence, CacheBlend-style) would reach %1: what prefix caching "
            "cannot reuse.")
             .arg(percent(a.chunkHitRate()));
  return d;
}

QString workloadReportHtml(const TraceAnalysis& a, const WorkloadPricing& p, const QString& sourceName) {
  QString html;
  Table summary({tr("measure"), tr("value")});
  summary.row({tr("source"), sourceName + " (" + QString::fromStdString(a.format) + ")"});
  if (!a.tokenization.empty()) summary.row({tr("tokens"), QString::fromStdString(a.tokenization)});
  summary.row({tr("block size"), tr("%1 tokens").arg(a.blockSize)});
  summary.row({tr("requests measured"), count(a.requests) + (a.warmupRequests
                                                                 ? tr(" (after %1 warm-up requests)").arg(count(a.warmupRequests))
                                                                 : QString())});
  summary.row({tr("prompt tokens"), count(a.promptTokens)});
  summary.row({tr("infinite-cache bound"), tr("%1 tokens, %2").arg(count(a.infiniteHitTokens), percent(a.infiniteHitRate(), 2))});
  if (a.chunkHitTokens)
    summary.row({tr("chunk-level reuse (any earlier occurrence)"),
                 tr("%1 tokens, %2").arg(count(*a.chunkHitTokens), percent(a.chunkHitRate(), 2))});
  QString footprint = tr("%1 distinct blocks, %2 tokens").arg(count(a.distinctBlocks), count(a.footprintTokens));
  if (p.bytesPerToken) footprint += tr(", %1 of K/V").arg(bytes(a.footprintTokens, p));
  summary.row({tr("footprint (whole trace)"), footprint});
  summary.row({tr("requests that reuse a prefix"), tr("%1 of %2").arg(count(a.requestsWithReuse), count(a.requests))});
  summary.row({tr("reusable prefix per request (tokens)"),
               tr("mean %1 · p50 %2 · p90 %3 · p99 %4 · max %5")
                   .arg(count(std::uint64_t(std::llround(a.meanReusableTokens))), count(a.reusableP50), count(a.reusableP90),
                        count(a.reusableP99), count(a.reusableMax))});
  if (a.sessions) summary.row({tr("sessions"), count(a.sessions)});
  html += QStringLiteral("<h3>%1</h3>").arg(tr("The workload")) + summary.done();

  QStringList header{tr("share of the bound"), tr("LRU size"), tr("tokens")};
  if (p.bytesPerToken) header << tr("K/V (%1)").arg(p.model);
  header << tr("token hit rate");
  if (p.prefillSecondsPerToken > 0) header << tr("prefill saved (cost model)");
  Table sizes(header);
  for (const BoundSize& b : a.boundSizes) {
    if (!b.capacityBlocks) continue;
    const CurveSample s = a.lruAt(*b.capacityBlocks);
    QStringList row{percent(b.fraction, 0), blockCount(*b.capacityBlocks),
                    count(*b.capacityBlocks * a.blockSize)};
    if (p.bytesPerToken) row << bytes(*b.capacityBlocks * a.blockSize, p);
    row << percent(s.tokenHitRate, 2);
    if (p.prefillSecondsPerToken > 0) row << seconds(double(s.hitTokens) * p.prefillSecondsPerToken);
    sizes.row(row);
  }
  html += QStringLiteral("<h3>%1</h3><p>%2</p>")
              .arg(tr("How big an LRU cache must be"),
                   tr("The smallest LRU block cache whose token hit rate reaches each share of the "
                      "infinite-cache bound (exact: from the one-pass curve).")) +
          sizes.done();

  if (!a.ttlLosses.empty() && a.infiniteHitTokens > 0) {
    Table ttl({tr("idle TTL"), tr("hit tokens kept"), tr("lost"), tr("of the bound lost")});
    for (const TtlLoss& l : a.ttlLosses)
      ttl.row({duration(l.ttlMs), count(l.hitTokens), count(l.lostTokens),
               percent(double(l.lostTokens) / double(a.infiniteHitTokens))});
    html += QStringLiteral("<h3>%1</h3><p>%2</p>")
                .arg(tr("What an idle TTL would lose"),
                     tr("An infinite cache whose blocks expire after this long unused: the reuses that come "
                        "later than that are lost.")) +
            ttl.done();
  }
  if (!a.topPrefixes.empty()) {
    Table prefixes({tr("#"), tr("blocks"), tr("tokens"), tr("requests sharing it"), tr("tokens saved")});
    int rank = 0;
    for (const SharedPrefix& s : a.topPrefixes)
      prefixes.row({QString::number(++rank), count(s.blocks), count(s.tokens), count(s.requests), count(s.savedTokens)});
    html += QStringLiteral("<h3>%1</h3><p>%2</p>")
                .arg(tr("Top shared prefixes"),
                     tr("The longest prefixes a set of requests share (no longer one is shared by all of them), "
                        "by the prompt tokens an infinite cache saves on them.")) +
            prefixes.done();
  }
  const QString breakdown = labelTable(tr("segment"), a.bySegment) + labelTable(tr("request type"), a.byRequestType) +
                            labelTable(tr("model"), a.byModel) + labelTable(tr("session (top)"), a.bySession);
  if (!breakdown.isEmpty())
    html += QStringLiteral("<h3>%1</h3>").arg(tr("The bound by label")) + breakdown;
  QString command = QStringLiteral("kvlab-cli analyze %1 --block-size %2").arg(sourceName).arg(a.blockSize);
  if (a.warmupRequests) command += QStringLiteral(" --warmup %1").arg(a.warmupRequests);
  if (!p.model.isEmpty()) command += QStringLiteral(" --model ") + p.model;
  if (!p.hardware.isEmpty() && !p.model.isEmpty()) command += QStringLiteral(" --hardware ") + p.hardware;
  html += QStringLiteral("<p><i>%1</i> <tt>%2</tt></p>")
              .arg(tr("The same report from the command line:"), command.toHtmlEscaped());
  return html;
}

}  // namespace kvlab
