// SPDX-License-Identifier: MIT
#include "ui/live_headline.h"

#include <QCoreApplication>
#include <cmath>

#include "ui/run_history.h"

namespace kvlab {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("kvlab::LiveHeadline", text); }

struct Sums {
  double cachedMs = 0, uncachedMs = 0;  // over requests with a baseline
  double cachedFlops = 0, uncachedFlops = 0;
  double lookupMs = 0;  // the cache's lookup plus the prefill's reading of the cached K/V
  int baselined = 0;
};

Sums sumsOf(const RunTrack& run) {
  Sums s;
  for (const RequestPoint& p : run.points) {
    if (p.ttftUncachedMs < 0) continue;
    ++s.baselined;
    s.cachedMs += p.ttftCachedMs;
    s.uncachedMs += p.ttftUncachedMs;
    s.cachedFlops += p.flopsCached;
    s.uncachedFlops += p.flopsUncached;
    s.lookupMs += p.csvRow.lookupMs + p.csvRow.assemblyMs;  // since issue 23 assembly is timed apart
  }
  return s;
}
}  // namespace

QString LiveHeadline::percent(double share) {
  const double p = 100.0 * share;
  const int decimals = p == 0 || p >= 10 ? 0 : (p >= 1 ? 1 : 2);
  return QStringLiteral("%1 %").arg(p, 0, 'f', decimals);
}

QString LiveHeadline::factor(double x) {
  const int decimals = x >= 100 ? 0 : (x >= 10 ? 1 : 2);
  return QStringLiteral("%1×").arg(x, 0, 'f', decimals);
}

LiveHeadlineText LiveHeadline::compose(const RunTrack* run, std::optional<double> bound) {
  if (!run)
    return {
        tr("Press <b>Run</b> (Ctrl+R)"),
        tr("Each request's prompt goes through the cache: what was reused, what was computed, and how much "
           "time to first token the cache saved appear here as the run goes.")};
  const bool done = run->finished();
  const QString progress =
      done ? QString()
           : (run->info.requestsTotal > 0
                  ? tr("After %1 of %2 requests. ").arg(run->points.size()).arg(run->info.requestsTotal)
                  : tr("After %1 requests. ").arg(run->points.size()));
  if (run->summary && run->summary->decode) {
    const DecodeComparison& d = *run->summary->decode;
    return {tr("Decode with the KV cache: <b>%1 faster</b> measured (ideal %2 in FLOPs)")
                .arg(factor(d.speedup), factor(d.idealSpeedup)),
            tr("%1 tokens generated both ways; identical tokens: %2. Without the cache every step recomputes "
               "the whole sequence; with it, each step computes one token against the stored keys and "
               "values.")
                .arg(d.stepMsCached.size())
                .arg(d.tokensIdentical ? tr("yes") : tr("NO"))};
  }
  if (run->info.scenarioKind == "decode")
    return {tr("Decoding…"),
            tr("%1 steps so far, with and without the KV cache.").arg(run->decodeSteps.size())};
  if (run->points.empty())
    return {tr("Running <b>%1</b>…").arg(QString::fromStdString(run->info.scenarioName)), QString()};

  const Sums s = sumsOf(*run);
  // The figure the hit-rate chart ends on and the summary (and `kvlab-cli run`) reports: the cache's
  // counters, every tier's hits included.
  const RequestPoint& last = run->points.back();
  const double hitRate =
      run->summary
          ? run->summary->tokenHitRate
          : (last.cumQueriedTokens ? double(last.cumHitTokens) / double(last.cumQueriedTokens) : 0.0);
  QString boundText;
  if (bound) {
    boundText =
        *bound - hitRate > 0.0005
            ? tr(" The infinite-cache bound for this source is %1 (every reuse of a prefix hits): a "
                 "bigger cache or a better policy can gain at most %2 points (Tune page).")
                  .arg(percent(*bound))
                  .arg(100.0 * (*bound - hitRate), 0, 'f', 1)
            : tr(" That is the infinite-cache bound (%1): every reuse of a prefix hit.").arg(percent(*bound));
  }
  if (run->info.simulated) {
    // Trace replay: nothing is timed; the cost model prices each prefill both ways.
    const double saved = s.uncachedMs > 0 ? 1.0 - s.cachedMs / s.uncachedMs : 0;
    const QString hw = QString::fromStdString(run->info.hardware);
    return {tr("Token hit rate <b>%1</b> · prefill time saved <b>%2</b> (cost model, %3)")
                .arg(percent(hitRate), percent(saved), hw),
            progress +
                tr("%1 of %2 prompt tokens came from the cache.")
                    .arg(qulonglong(last.cumHitTokens))
                    .arg(qulonglong(last.cumQueriedTokens)) +
                boundText};
  }
  if (s.baselined == 0 || s.cachedMs <= 0)
    return {tr("Token hit rate <b>%1</b>").arg(percent(hitRate)),
            progress + tr("No uncached baseline ran, so the speedup was not measured.") + boundText};
  const double measured = s.uncachedMs / s.cachedMs;
  const double ideal = s.cachedFlops > 0 ? s.uncachedFlops / s.cachedFlops : 0;
  QString detail = progress;
  if (done && run->summary && run->summary->speedupCi95[1] > 0)
    detail += tr("95 % interval of the measured speedup %1–%2. ")
                  .arg(factor(run->summary->speedupCi95[0]), factor(run->summary->speedupCi95[1]));
  if (ideal > 0 && s.uncachedFlops > 0 && s.cachedFlops > 0) {
    // measured / ideal = (uncached ms per FLOP) / (cached ms per FLOP): a restatement, always true.
    const double msPerGflopUncached = s.uncachedMs / (s.uncachedFlops / 1e9);
    const double msPerGflopCached = s.cachedMs / (s.cachedFlops / 1e9);
    if (measured > ideal * 1.02) {
      detail += tr("Measured above ideal: per FLOP, the uncached prefills ran slower than the cached ones on "
                   "this machine (%1 vs %2 ms per GFLOP), so skipping work saved more time than its share of "
                   "FLOPs.")
                    .arg(msPerGflopUncached, 0, 'f', 2)
                    .arg(msPerGflopCached, 0, 'f', 2);
      if (done && run->summary && run->summary->speedupCi95[0] > 0 && run->summary->speedupCi95[0] <= ideal)
        detail += tr(" The ideal lies inside the 95 % interval: the difference may be noise.");
    } else if (measured < ideal * 0.98) {
      // Rounded to "0 %" a share of 0.4 % would read as nothing at all.
      const double lookupShare = 100.0 * s.lookupMs / s.cachedMs;
      const QString share = lookupShare > 0 && lookupShare < 0.5 ? tr("under 1") : QString::number(lookupShare, 'f', 0);
      detail += tr("Measured below ideal: per FLOP, the short cached prefills ran slower than the full ones "
                   "(%1 vs %2 ms per GFLOP; %3 % of the cached TTFT was the cache lookup and reading the cached K/V).")
                    .arg(msPerGflopCached, 0, 'f', 2)
                    .arg(msPerGflopUncached, 0, 'f', 2)
                    .arg(share);
    } else {
      detail += tr("Measured matches ideal: the time saved is the share of FLOPs skipped.");
    }
  }
  return {tr("Token hit rate <b>%1</b> · TTFT <b>%2 faster</b> with the cache, measured (ideal %3 in FLOPs)")
              .arg(percent(hitRate), factor(measured), factor(ideal)),
          detail + boundText};
}

}  // namespace kvlab
