// SPDX-License-Identifier: MIT
#pragma once
// Draws one prompt as a grid of cells, one per cache unit (a block, a radix node, a prompt entry) in reading
// order: cells served from the cache in the hit colour, computed cells in the computed colour (a cell on
// the border is split by its share of hit tokens). Hits are always a prefix, so the picture is one green
// run followed by one orange run. With tiers (setTierTokens) the reused prefix is coloured by where it came
// from, in the order the lookup walks the tiers along the prompt: device first, then host, then remote
// (core/runner/live_kv_cache.h lookup()). Cells are equal squares; the tooltip gives each unit's tokens.
#include <QColor>
#include <QWidget>
#include <array>
#include <cstdint>
#include <vector>

namespace kvlab {

class PromptBlocksWidget : public QWidget {
  Q_OBJECT
public:
  explicit PromptBlocksWidget(QWidget* parent = nullptr);

  // Fixed-size cells of tokensPerCell tokens (blocks).
  void setPrompt(std::uint32_t promptTokens, std::uint32_t hitTokens, std::uint32_t tokensPerCell);
  // One cell per unit: unitEnds are ascending token offsets, the last one promptTokens.
  void setUnits(std::uint32_t promptTokens, std::uint32_t hitTokens, std::vector<std::uint32_t> unitEnds);
  // Of the hit tokens (set by setPrompt/setUnits, which reset these to 0), how many came from the host and
  // the remote tier; the rest are device hits. Call after setPrompt/setUnits.
  void setTierTokens(std::uint32_t hostTokens, std::uint32_t remoteTokens);
  std::uint32_t tokensPerCell() const { return m_tokensPerCell; }
  int cellCount() const;
  // Where a cell's tokens came from, in token order along the prompt.
  enum class Source { Device, Host, Remote, Computed };
  static constexpr int kSources = 4;
  static QColor colorOf(Source source);
  // Tokens of `cell` from each source (indexed by Source).
  std::array<std::uint32_t, kSources> cellTokens(int cell) const;
  // The cell's rectangle in widget coordinates for the current width.
  QRect cellRect(int cell) const;

  bool hasHeightForWidth() const override { return true; }
  int heightForWidth(int width) const override;
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return {120, 24}; }

protected:
  void paintEvent(QPaintEvent* event) override;
  bool event(QEvent* event) override;  // tooltips: which tokens a cell holds

private:
  int columnsFor(int width) const;
  int cellAt(const QPoint& pos) const;
  std::uint32_t cellBegin(int cell) const { return cell == 0 ? 0 : m_unitEnds[std::size_t(cell) - 1]; }
  std::uint32_t cellEnd(int cell) const { return m_unitEnds[std::size_t(cell)]; }

  static constexpr int kCell = 12;  // px, square
  static constexpr int kGap = 2;    // px
  std::uint32_t m_promptTokens = 0;
  std::uint32_t m_hitTokens = 0;
  std::uint32_t m_hostTokens = 0;
  std::uint32_t m_remoteTokens = 0;
  std::uint32_t m_tokensPerCell = 16;
  std::vector<std::uint32_t> m_unitEnds;  // one per cell
};

}  // namespace kvlab
