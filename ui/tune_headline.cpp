// SPDX-License-Identifier: MIT
#include "ui/tune_headline.h"

#include <QCoreApplication>

#include "core/policies/policy_registry.h"
#include "core/replay/sweep_ranking.h"
#include "core/util/units.h"
#include "ui/log_axis_labels.h"
#include "ui/tune_results.h"

namespace kvlab {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("kvlab::TuneHeadline", text); }
QString pct(double share) {
  const double p = 100 * share;
  return QStringLiteral("%1 %").arg(p, 0, 'f', p >= 10 || p == 0 ? 1 : 2);
}
QString label(const std::string& policy) { return QString::fromStdString(policyLabel(policy)); }
}  // namespace

QString TuneHeadline::sizeText(const TuneResults& results, std::uint64_t tokens) {
  return tr("%1 tokens (%2 of %3 K/V)")
      .arg(LogAxisLabels::countText(double(tokens)),
           QString::fromStdString(formatBytes(saturatingMul(tokens, results.bytesPerToken))),
           QString::fromStdString(results.model));
}

TuneHeadlineText TuneHeadline::compose(const TuneResults& results, std::uint64_t chosenTokens, bool running) {
  if (results.empty())
    return {
        running ? tr("Reading the source…") : tr("Press <b>Sweep</b> (Ctrl+R)"),
        tr("Which eviction policy, at which cache size, and how far from the best possible: every policy is "
           "replayed on the source's requests at every size (hit rates counted, not estimated).")};
  const double bound = results.info.unlimited.tokenHitRate();
  const SizeRanking r = rankAtSize(results.curves, results.info.policies, chosenTokens, bound);
  if (r.online.empty())
    return {
        tr("Sweeping… %1 configurations so far").arg(results.curves.size() + results.heatmap.size()),
        tr("The ranking at %1 appears when its configurations finish.").arg(sizeText(results, chosenTokens))};
  const PolicyAtSize& best = r.online.front();
  QString headline = tr("At %1: <b>%2</b> hits most, <b>%3</b> of prompt tokens")
                         .arg(sizeText(results, chosenTokens), label(best.policy), pct(best.hitRate));
  QString detail;
  if (bound > 0)
    detail += tr("That is %1 of the infinite-cache bound (%2, every reuse hits). ")
                  .arg(QStringLiteral("%1 %").arg(100 * best.hitRate / bound, 0, 'f', 0), pct(bound));
  if (r.reference && !r.referenceBelowOnline && r.reference->hitRate > best.hitRate)
    detail += tr("Belady (farthest next use) hits %1 here: %2 points more with perfect foresight. ")
                  .arg(pct(r.reference->hitRate))
                  .arg(100 * (r.reference->hitRate - best.hitRate), 0, 'f', 1);
  else if (r.reference && r.referenceBelowOnline)
    detail +=
        tr("Belady (farthest next use) hits only %1 here, below %2: under prefix chains (a block hits "
           "only if every block before it does) farthest-next-use is not optimal, so it is no bound on this "
           "source; the infinite cache is. ")
            .arg(pct(r.reference->hitRate), label(best.policy));
  if (r.online.size() > 1) {
    const PolicyAtSize& worst = r.online.back();
    detail += tr("%1 %2 · worst %3 %4. ")
                  .arg(r.online.size() > 2 ? tr("Next %1").arg(label(r.online[1].policy))
                                           : label(r.online[1].policy))
                  .arg(pct(r.online[1].hitRate))
                  .arg(label(worst.policy), pct(worst.hitRate));
  }
  if (results.finished || !running) {
    const std::optional<std::uint64_t> at =
        sizeForShareOfBound(results.curves, best.policy, bound, kShareOfBound);
    if (at)
      detail += tr("%1 reaches 90 % of the bound at %2.").arg(label(best.policy), sizeText(results, *at));
    else if (!results.info.sizes.empty())
      detail += tr("%1 does not reach 90 % of the bound within the sizes swept (up to %2).")
                    .arg(label(best.policy), sizeText(results, results.info.sizes.back()));
  }
  return {headline, detail.trimmed()};
}

}  // namespace kvlab
