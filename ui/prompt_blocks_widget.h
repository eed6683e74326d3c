// SPDX-License-Identifier: MIT
#pragma once
// Draws one prompt as a grid of cells, each covering `tokensPerCell` tokens, in reading order: cells served
// from the cache in the hit colour, computed cells in the computed colour (a cell on the border is split).
// Hits are always a prefix, so the picture is one green run followed by one orange run.
#include <QWidget>
#include <cstdint>

namespace kvlab {

class PromptBlocksWidget : public QWidget {
  Q_OBJECT
public:
  explicit PromptBlocksWidget(QWidget* parent = nullptr);

  void setPrompt(std::uint32_t promptTokens, std::uint32_t hitTokens, std::uint32_t tokensPerCell);
  std::uint32_t tokensPerCell() const { return m_tokensPerCell; }
  int cellCount() const;

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

  static constexpr int kCell = 12;  // px, square
  static constexpr int kGap = 2;    // px
  std::uint32_t m_promptTokens = 0;
  std::uint32_t m_hitTokens = 0;
  std::uint32_t m_tokensPerCell = 16;
};

}  // namespace kvlab
