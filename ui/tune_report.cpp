// SPDX-License-Identifier: MIT
#include "ui/tune_report.h"

#include <QCoreApplication>
#include <QTableWidget>
#include <algorithm>
#include <sstream>
#include <tuple>

#include "core/policies/policy_registry.h"
#include "core/util/csv_writer.h"
#include "core/util/units.h"
#include "ui/tune_results.h"

namespace kvlab {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("kvlab::TuneReport", text); }
QString qs(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

std::string TuneReport::csv(const TuneResults& results) {
  std::ostringstream out;
  CsvWriter csv(out);
  const std::string saved = std::string(results.perHour() ? "prefill_s_saved_per_hour" : "prefill_s_saved") +
                            "_cost_model_" + results.hardware;
  csv.row({"source", "policy", "label", "block_size", "ttl_ms", "max_tokens", "max_bytes", "model",
           "prompt_tokens", "hit_tokens", "token_hit_rate", "blocks", "hit_blocks", "block_hit_rate",
           "evictions", "knee", saved});
  std::vector<SweepPoint> points = results.curves;
  TraceSweep::markKnees(points);
  points.insert(points.end(), results.heatmap.begin(), results.heatmap.end());
  // Rows in display order (points arrive in finish order): TTL, then policy as listed, then size.
  const std::vector<std::string>& order = results.info.policies;
  const auto rank = [&](const std::string& p) {
    return std::find(order.begin(), order.end(), p) - order.begin();
  };
  std::stable_sort(points.begin(), points.end(), [&](const SweepPoint& a, const SweepPoint& b) {
    return std::tuple(a.config.ttlMs, rank(a.config.policy), a.config.maxTokens) <
           std::tuple(b.config.ttlMs, rank(b.config.policy), b.config.maxTokens);
  });
  const auto write = [&](const std::string& policy, const std::string& label, std::int64_t ttl,
                         const std::string& tokens, const std::string& bytes, const ReplayResult& r,
                         bool evictionsCounted, bool knee) {
    csv.field(results.info.source).field(policy).field(label).field(results.info.blockSize).field(ttl);
    csv.field(tokens).field(bytes).field(results.model).field(r.promptTokens).field(r.hitTokens);
    csv.field(r.tokenHitRate()).field(r.blocks).field(r.hitBlocks).field(r.blockHitRate());
    if (evictionsCounted)
      csv.field(r.evictions);
    else
      csv.empty();
    csv.field(knee ? 1 : 0).field(results.savedSeconds(r.hitTokens));
    csv.endRow();
  };
  for (const SweepPoint& p : points)
    write(p.config.policy, policyLabel(p.config.policy), p.config.ttlMs, std::to_string(p.config.maxTokens),
          std::to_string(saturatingMul(p.config.maxTokens, results.bytesPerToken)), p.result,
          p.evictionsCounted, p.knee);
  if (!results.empty())
    write("infinite", "infinite cache (every reuse hits)", 0, "unlimited", "unlimited",
          results.info.unlimited, true, false);
  return out.str();
}

QString TuneReport::summaryHtml(const TuneResults& results) {
  if (results.empty()) return {};
  const TuneSourceInfo& i = results.info;
  QString ttls;
  for (const TimeMs t : i.ttlsMs)
    ttls += (ttls.isEmpty() ? QString() : QStringLiteral(", ")) + (t ? qs(formatDurationMs(t)) : tr("off"));
  return tr("<p>Sweep of %1 (%2 requests, block size %3 tokens): %4 sizes from %5 to %6 tokens × %7 "
            "policies, "
            "heatmap of %8 × TTLs %9%10; %11 configurations in %12 s (measured)%13. Hit rates are counted by "
            "replaying the source; bytes are K/V of %14; prefill time saved comes from the cost model "
            "(%15).</p>")
      .arg(qs(i.source).toHtmlEscaped())
      .arg(i.requests)
      .arg(i.blockSize)
      .arg(i.sizes.size())
      .arg(i.sizes.empty() ? 0 : i.sizes.front())
      .arg(i.sizes.empty() ? 0 : i.sizes.back())
      .arg(i.policies.size())
      .arg(qs(policyLabel(i.heatmapPolicy)).toHtmlEscaped(), ttls.toHtmlEscaped(),
           i.ttlsFromReuse
               ? tr(" (from the source's reuse times: median %1, 90th percentile %2)")
                     .arg(qs(formatDurationMs(i.reuseMedianMs)), qs(formatDurationMs(i.reuseP90Ms)))
               : QString())
      .arg(results.curves.size() + results.heatmap.size())
      .arg(results.elapsedS, 0, 'f', 2)
      .arg(results.cancelled ? tr(", cancelled before the end") : QString())
      .arg(qs(results.model).toHtmlEscaped(), tr("cost model, %1").arg(qs(results.hardware)));
}

QString TuneReport::tableHtml(const QTableWidget& table) {
  QString html = QStringLiteral("<table border=1 cellspacing=0 cellpadding=3><tr>");
  for (int c = 0; c < table.columnCount(); ++c)
    html += QStringLiteral("<th>%1</th>").arg(table.horizontalHeaderItem(c)->text().toHtmlEscaped());
  html += QStringLiteral("</tr>");
  for (int r = 0; r < table.rowCount(); ++r) {
    html += QStringLiteral("<tr>");
    for (int c = 0; c < table.columnCount(); ++c)
      html += QStringLiteral("<td>%1</td>")
                  .arg(table.item(r, c) ? table.item(r, c)->text().toHtmlEscaped() : QString());
    html += QStringLiteral("</tr>");
  }
  return html + QStringLiteral("</table>");
}

}  // namespace kvlab
