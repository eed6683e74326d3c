// SPDX-License-Identifier: MIT
#pragma once
// The Live page's answer, as text: for a run with real prefills, the token hit rate and the TTFT speedup
// measured against the ideal one in FLOPs (and why they differ); for a trace replay, the hit rate, the
// prefill time the hits save (cost model) and the infinite-cache bound; for the decode lesson, the decode
// speedup. Computed from the RunTrack the charts draw (the same sums as the summary and the CLI), so the
// headline and the charts never disagree. Pure function of its inputs: tested with hand-made runs.
#include <QString>
#include <optional>

namespace kvlab {

struct RunTrack;

struct LiveHeadlineText {
  QString headline;  // rich text: the numbers in <b>
  QString detail;    // one or two sentences
};

class LiveHeadline {
public:
  // bound: the infinite-cache token hit rate (0..1) of the run's source, when known.
  static LiveHeadlineText compose(const RunTrack* run, std::optional<double> bound);
  // "4.3 %", "91 %", "0.25 %": a percentage with the decimals a reader needs.
  static QString percent(double share);
  // "8.3×", "1.44×", "177×".
  static QString factor(double x);
};

}  // namespace kvlab
