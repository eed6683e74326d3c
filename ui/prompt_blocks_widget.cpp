// SPDX-License-Identifier: MIT
#include "ui/prompt_blocks_widget.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>

#include "ui/chart_palette.h"

namespace kvlab {

PromptBlocksWidget::PromptBlocksWidget(QWidget* parent) : QWidget(parent) {
  QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
  policy.setHeightForWidth(true);
  setSizePolicy(policy);
}

void PromptBlocksWidget::setPrompt(std::uint32_t promptTokens, std::uint32_t hitTokens,
                                   std::uint32_t tokensPerCell) {
  m_promptTokens = promptTokens;
  m_hitTokens = std::min(hitTokens, promptTokens);
  m_tokensPerCell = std::max<std::uint32_t>(1, tokensPerCell);
  m_unitEnds.clear();
  for (std::uint32_t end = m_tokensPerCell; end < promptTokens; end += m_tokensPerCell)
    m_unitEnds.push_back(end);
  if (promptTokens > 0) m_unitEnds.push_back(promptTokens);
  updateGeometry();
  update();
}

void PromptBlocksWidget::setUnits(std::uint32_t promptTokens, std::uint32_t hitTokens,
                                  std::vector<std::uint32_t> unitEnds) {
  m_promptTokens = promptTokens;
  m_hitTokens = std::min(hitTokens, promptTokens);
  m_tokensPerCell = 0;
  m_unitEnds.clear();
  for (const std::uint32_t end : unitEnds)
    if (end > (m_unitEnds.empty() ? 0 : m_unitEnds.back()) && end <= promptTokens) m_unitEnds.push_back(end);
  if (promptTokens > 0 && (m_unitEnds.empty() || m_unitEnds.back() < promptTokens))
    m_unitEnds.push_back(promptTokens);
  updateGeometry();
  update();
}

int PromptBlocksWidget::cellCount() const { return int(m_unitEnds.size()); }

int PromptBlocksWidget::columnsFor(int width) const { return std::max(1, (width + kGap) / (kCell + kGap)); }

int PromptBlocksWidget::heightForWidth(int width) const {
  const int rows = std::max(1, (cellCount() + columnsFor(width) - 1) / columnsFor(width));
  return rows * (kCell + kGap);
}

QSize PromptBlocksWidget::sizeHint() const { return {600, heightForWidth(600)}; }

int PromptBlocksWidget::cellAt(const QPoint& pos) const {
  const int columns = columnsFor(width());
  const int col = pos.x() / (kCell + kGap);
  const int row = pos.y() / (kCell + kGap);
  if (col >= columns) return -1;
  const int index = row * columns + col;
  return index < cellCount() ? index : -1;
}

void PromptBlocksWidget::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  const int columns = columnsFor(width());
  const int cells = cellCount();
  const QColor hit = ChartPalette::hit();
  const QColor computed = ChartPalette::computed();
  for (int i = 0; i < cells; ++i) {
    const QRect rect((i % columns) * (kCell + kGap), (i / columns) * (kCell + kGap), kCell, kCell);
    const std::uint32_t first = cellBegin(i);
    const std::uint32_t last = cellEnd(i);  // exclusive
    const std::uint32_t hitInCell = m_hitTokens > first ? std::min(m_hitTokens, last) - first : 0;
    const double hitShare = double(hitInCell) / double(last - first);
    painter.fillRect(rect, computed);
    if (hitShare > 0) {
      QRect hitRect = rect;
      hitRect.setWidth(std::max(1, int(kCell * hitShare + 0.5)));
      painter.fillRect(hitRect, hit);
    }
    painter.setPen(QPen(palette().color(QPalette::Base).darker(140), 0.5));
    painter.drawRect(rect.adjusted(0, 0, -1, -1));
  }
}

bool PromptBlocksWidget::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const int cell = cellAt(help->pos());
    if (cell < 0) {
      QToolTip::hideText();
    } else {
      const std::uint32_t first = cellBegin(cell);
      const std::uint32_t last = cellEnd(cell);
      const bool isHit = last <= m_hitTokens;
      QToolTip::showText(help->globalPos(), tr("tokens %1-%2: %3")
                                                .arg(first)
                                                .arg(last - 1)
                                                .arg(isHit                  ? tr("reused from the cache")
                                                     : first >= m_hitTokens ? tr("computed")
                                                                            : tr("partly reused")));
    }
    return true;
  }
  return QWidget::event(event);
}

}  // namespace kvlab
