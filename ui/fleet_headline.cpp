// SPDX-License-Identifier: MIT
#include "ui/fleet_headline.h"

#include <QCoreApplication>
#include <algorithm>

namespace kvlab {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("kvlab::FleetHeadline", text); }
QString pct(double share) {
  const double p = 100 * share;
  return QStringLiteral("%1 %").arg(p, 0, 'f', p >= 10 || p == 0 ? 1 : 2);
}
}  // namespace

FleetHeadlineText FleetHeadline::compose(const std::vector<FleetRow>& rows, int replicas, bool running) {
  if (rows.empty())
    return {running ? tr("Routing the source over %1 replicas…").arg(replicas)
                    : tr("Press <b>Compare routers</b> (Ctrl+R)"),
            tr("The source is sent through %1 replicas, each with its own KV cache, by each router in turn; "
               "the shared-cache bound is one cache as large as all of them together that every replica "
               "reads.")
                .arg(replicas)};
  const FleetRow* bound = nullptr;
  std::vector<const FleetRow*> routers;
  for (const FleetRow& r : rows) {
    if (r.sharedCache)
      bound = &r;
    else
      routers.push_back(&r);
  }
  std::stable_sort(routers.begin(), routers.end(),
                   [](const FleetRow* a, const FleetRow* b) { return a->hitRate > b->hitRate; });
  if (routers.empty())
    return {tr("Shared-cache bound: <b>%1</b> of prompt tokens hit").arg(pct(bound->hitRate)), QString()};
  const FleetRow& best = *routers.front();
  const FleetRow& worst = *routers.back();
  QString headline = tr("Best router <b>%1: %2</b> token hits").arg(best.router, pct(best.hitRate));
  if (bound && bound->hitRate > 0)
    headline += tr(", %1 of the shared-cache bound (%2)")
                    .arg(QStringLiteral("%1 %").arg(100 * best.hitRate / bound->hitRate, 0, 'f', 0),
                         pct(bound->hitRate));
  QStringList others;
  for (std::size_t i = 1; i < routers.size(); ++i)
    others << QStringLiteral("%1 %2").arg(routers[i]->router, pct(routers[i]->hitRate));
  QString detail;
  if (!others.isEmpty()) detail = tr("Then %1. ").arg(others.join(QStringLiteral(" · ")));
  if (routers.size() > 1 && best.hitRate > worst.hitRate)
    detail +=
        tr("A request hits only on the replica that holds its prefix: a router that sends requests with "
           "the same prefix to the same replica finds it cached there; one blind to the caches spreads "
           "them, and each replica keeps its own copy of the same prefixes. ");
  // The worst router crowding one replica: say so with its figures.
  if (routers.size() > 1 && worst.loadImbalance > 1.5)
    detail +=
        tr("The last, %1, sent %2× the mean load to its busiest replica (%3 evictions, against %4 for %5). ")
            .arg(worst.router)
            .arg(worst.loadImbalance, 0, 'f', 1)
            .arg(worst.evictions)
            .arg(best.evictions)
            .arg(best.router);
  else if (best.loadImbalance > 1.5)
    detail += tr("%1 sent %2× the mean load to its busiest replica. ")
                  .arg(best.router)
                  .arg(best.loadImbalance, 0, 'f', 1);
  if (running) detail += tr(" (more routers running…)");
  return {headline, detail.trimmed()};
}

}  // namespace kvlab
