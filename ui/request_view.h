// SPDX-License-Identifier: MIT
#pragma once
// The latest request, for newcomers: a headline (tokens, hit share), TTFT with and without the cache as two
// bars to scale, where the cached TTFT went (lookup, assembly of the cached K/V, compute, against the
// FLOP-ideal time), why the computed tokens were not reused (cold / evicted / expired / orphaned / too large,
// for this request and the run), the prompt drawn as one cell per cache unit (block, radix node, prompt
// entry) coloured reused vs computed (with tiers: reused by the tier it came from, device / host / remote),
// a legend, and the text itself with the reused prefix highlighted.
// It follows the newest finished request. Its context menu pins that request's prefix (pinRequested).
#include <QWidget>

#include "ui/type_scale.h"

class QLabel;

namespace kvlab {

class PromptBlocksWidget;
class RunHistory;
class TtftBarsWidget;
struct MissBreakdown;
struct RequestRecord;

class RequestView : public QWidget {
  Q_OBJECT
public:
  explicit RequestView(const RunHistory* history, QWidget* parent = nullptr);

  // Tokens per drawn cell: the block size when it is known, else 16; coarser for very long prompts so the
  // grid stays at most kMaxCells cells.
  static std::uint32_t tokensPerCellFor(std::uint32_t promptTokens, std::uint32_t blockSize);
  static constexpr std::uint32_t kMaxCells = 600;
  // "first use 120 · recomputed after eviction 40 · ..." (reasons with zero tokens left out; "none" when
  // all are zero): tokens computed, by why they were not in the cache.
  static QString missText(const MissBreakdown& misses);
  QString missLine() const;
  // "Where the cached TTFT went · lookup 2.0 ms · assembly 8.0 ms · compute 90.0 ms · ideal 50.0 ms ...":
  // the runner's own timers of a measured request with a hit; the ideal is the uncached TTFT scaled by the
  // FLOPs the cached prefill still computes (only with a baseline). Empty for trace replays (cost model)
  // and requests that reused nothing.
  static QString breakdownText(const RequestRecord& record);
  // The sentence comparing this request's TTFT with and without the cache, true for every case (nothing
  // reused, slower with the cache, cost model).
  static QString timingText(std::uint32_t hitTokens, double cachedMs, double uncachedMs, bool costModel);
  // Window or projector sizes; the prompt text's monospace font follows the body size.
  void setTypeScale(const TypeScale& scale);

Q_SIGNALS:
  void pinRequested(int requestIndex);  // "Pin this request's prefix" in the context menu

private:
  void refresh();
  void applyTextFont();
  void showContextMenu(const QPoint& pos);

  const RunHistory* m_history;
  QLabel* m_headline = nullptr;
  QLabel* m_legend = nullptr;
  QLabel* m_misses = nullptr;
  QLabel* m_breakdown = nullptr;
  TtftBarsWidget* m_bars = nullptr;
  PromptBlocksWidget* m_blocks = nullptr;
  QLabel* m_text = nullptr;
  TypeScale m_typeScale = TypeScale::window();
  int m_shownRunId = -1;
  int m_shownIndex = -1;
};

}  // namespace kvlab
