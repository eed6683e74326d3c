// SPDX-License-Identifier: MIT
#pragma once
// The Serving page's answer, as text: median and p99 time to first token with prefix caching against
// without, the ratio, and why — how loaded the engine was (an overloaded engine's TTFT is mostly queueing,
// which magnifies every token the cache saves) and where the saved tokens came from (prefix hits across
// requests, and preempted requests that found their own blocks still cached). Every figure is from the two
// ServingSummary values of core/serving, the same numbers `kvlab-cli simulate --compare` prints. Pure:
// tested with hand-made summaries.
#include <QString>

#include "ui/serving_comparison.h"

namespace kvlab {

struct ServingHeadlineText {
  QString headline;  // rich text
  QString detail;
};

class ServingHeadline {
public:
  static ServingHeadlineText compose(const ServingComparison& c);
  // "2.6 s", "3,707 s", "850 ms": a time in ms as a reader wants it.
  static QString duration(double ms);
  // Hours or minutes: "2.3 h", "46 min", "58 s".
  static QString span(double seconds);
};

}  // namespace kvlab
