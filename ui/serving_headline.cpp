// SPDX-License-Identifier: MIT
#include "ui/serving_headline.h"

#include <QCoreApplication>
#include <QLocale>
#include <cmath>

namespace kvlab {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("kvlab::ServingHeadline", text); }
QString count(std::uint64_t n) { return QLocale(QLocale::English).toString(qulonglong(n)); }
QString factor(double x) { return QStringLiteral("%1×").arg(x, 0, 'f', x >= 10 ? 0 : 1); }
QString percent(double share) {
  const double p = 100 * share;
  return QStringLiteral("%1 %").arg(p, 0, 'f', p >= 10 || p == 0 ? 0 : 1);
}
}  // namespace

QString ServingHeadline::duration(double ms) {
  if (ms < 1000) return QStringLiteral("%1 ms").arg(ms, 0, 'f', ms < 10 ? 1 : 0);
  const double s = ms / 1000;
  if (s < 100) return QStringLiteral("%1 s").arg(s, 0, 'f', 1);
  return QStringLiteral("%1 s").arg(QLocale(QLocale::English).toString(std::llround(s)));
}

QString ServingHeadline::span(double seconds) {
  if (seconds >= 2 * 3600) return QStringLiteral("%1 h").arg(seconds / 3600, 0, 'f', 1);
  if (seconds >= 120) return QStringLiteral("%1 min").arg(std::llround(seconds / 60));
  return QStringLiteral("%1 s").arg(seconds, 0, 'f', seconds < 10 ? 1 : 0);
}

ServingHeadlineText ServingHeadline::compose(const ServingComparison& c) {
  const QString model =
      QStringLiteral("%1 on %2")
          .arg(QString::fromStdString(c.config.model.name), QString::fromStdString(c.config.hardware.name));
  if (c.empty())
    return {tr("Press <b>Simulate</b> (Ctrl+R)"),
            tr("The source is served twice by a continuous-batching engine on a cost model, with prefix "
               "caching and without: time to first token, queue and KV pool side by side.")};
  const ServingSide& on = c.sides[ServingComparison::kWithCache];
  const ServingSide& off = c.sides[ServingComparison::kWithoutCache];
  if (!c.finished()) {
    const ServingSide& shown = on.finished ? off : on;
    const std::uint64_t completed = shown.points.empty() ? 0 : shown.points.back().completed;
    return {
        tr("Simulating %1…").arg(on.finished ? tr("without prefix caching") : tr("with prefix caching")),
        tr("%1 of %2 requests completed (cost model, %3).").arg(count(completed), count(c.requests), model)};
  }
  const ServingSummary& a = on.summary;
  const ServingSummary& b = off.summary;
  const double ratio50 = a.ttftMsP50 > 0 ? b.ttftMsP50 / a.ttftMsP50 : 0;
  QString headline;
  if (ratio50 >= 1.05)
    headline = tr("Median TTFT <b>%1</b> with prefix caching vs <b>%2</b> without: <b>%3 lower</b>")
                   .arg(duration(a.ttftMsP50), duration(b.ttftMsP50), factor(ratio50));
  else if (ratio50 > 0 && ratio50 < 0.95)
    headline = tr("Median TTFT <b>%1</b> with prefix caching vs <b>%2</b> without: <b>%3 higher</b>")
                   .arg(duration(a.ttftMsP50), duration(b.ttftMsP50), factor(1 / ratio50));
  else
    headline = tr("Median TTFT <b>%1</b> with prefix caching vs <b>%2</b> without: about the same")
                   .arg(duration(a.ttftMsP50), duration(b.ttftMsP50));
  QString detail =
      tr("p99 %1 vs %2 (cost model, %3). ").arg(duration(a.ttftMsP99), duration(b.ttftMsP99), model);

  // Load: how long serving took against how long the arrivals lasted.
  const double loadOn = ServingComparison::loadFactor(on, c.arrivalSpanS);
  const double loadOff = ServingComparison::loadFactor(off, c.arrivalSpanS);
  const bool burst = c.arrivalSpanS < 1;
  if (burst) {
    detail += tr("All %1 requests arrive within a second, so most of them wait: TTFT is mostly queueing. ")
                  .arg(count(c.requests));
  } else if (loadOff > 1.1 || loadOn > 1.1) {
    detail += tr("This load is more than one %1 serves: %2 of arrivals took %3 to serve with prefix caching "
                 "and %4 without, so the queue grew and TTFT is mostly waiting; every token the cache saves "
                 "shortens the wait of every request behind it. ")
                  .arg(QString::fromStdString(c.config.hardware.name), span(c.arrivalSpanS),
                       span(a.simDurationS), span(b.simDurationS));
    if (loadOn > 1.1)
      detail += tr("A speed of about %1 (now %2) is a load it keeps up with. ")
                    .arg(c.config.speed / loadOn, 0, 'f', 2)
                    .arg(c.config.speed, 0, 'f', 2);
  } else {
    detail +=
        tr("The engine keeps up with this load (%1 of arrivals served in %2 with the cache, %3 without): "
           "TTFT is mostly the prefill itself. ")
            .arg(span(c.arrivalSpanS), span(a.simDurationS), span(b.simDurationS));
  }
  // Where the saved work came from.
  const std::uint64_t computedOn = on.computedTokens();
  const std::uint64_t computedOff = off.computedTokens();
  detail +=
      tr("Prefix caching reused %1 of prompt tokens; the engine computed %2 prompt tokens with it and %3 "
         "without")
          .arg(percent(a.tokenHitRate), count(computedOn), count(computedOff));
  if (b.recomputedTokens > 0 || a.recomputedTokens > 0)
    detail +=
        tr(" (preemptions threw away %1 computed tokens without the cache, %2 with it; %3 of those came "
           "back from the cache when their requests were re-admitted)")
            .arg(count(b.recomputedTokens), count(a.recomputedTokens), count(a.recomputeHitTokens));
  detail += QLatin1Char('.');
  // Tiers under the pool (with prefix caching only): what each served, and the load time (cost model).
  if (!on.tiers.empty()) {
    QStringList parts;
    double loadMs = 0;
    for (const TierReport& t : on.tiers) {
      parts << tr("the %1 tier %2 tokens").arg(QString::fromStdString(t.name), count(t.hitTokens));
      loadMs += t.transferMs;
    }
    detail += tr(" Of the reused tokens, %1 were loaded from below the pool (%2); moving blocks in and out "
                 "of the tiers took %3 (cost model), added to the steps that admitted them.")
                  .arg(count(a.tierHitTokens), parts.join(QStringLiteral(", ")), duration(loadMs));
  }
  if (a.rejected > 0 || b.rejected > 0)
    detail += tr(" Rejected (too large for the pool): %1 with, %2 without.")
                  .arg(count(a.rejected), count(b.rejected));
  return {headline, detail};
}

}  // namespace kvlab
