// SPDX-License-Identifier: MIT
#pragma once
// The Tune page's answer, as text: at the chosen cache size, the best online policy, its token hit rate,
// its distance to the infinite-cache bound and to Belady (only where Belady is above it: under prefix
// chains farthest-next-use can fall below a real policy and is then no bound), and the size at which that
// policy reaches 90 % of the bound. Figures from core/replay/sweep_ranking over the sweep's points (the
// same replay counts as `kvlab-cli sweep`). Pure: tested with hand-made sweeps.
#include <QString>
#include <cstdint>

namespace kvlab {

struct TuneResults;

struct TuneHeadlineText {
  QString headline;  // rich text
  QString detail;
};

class TuneHeadline {
public:
  static constexpr double kShareOfBound = 0.9;
  static TuneHeadlineText compose(const TuneResults& results, std::uint64_t chosenTokens, bool running);
  // "262k tokens (32 GiB of llama-3-8b K/V)"
  static QString sizeText(const TuneResults& results, std::uint64_t tokens);
};

}  // namespace kvlab
