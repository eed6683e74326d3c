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
  m_hostTokens = m_remoteTokens = 0;
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
  m_hostTokens = m_remoteTokens = 0;
  m_tokensPerCell = 0;
  m_unitEnds.clear();
  for (const std::uint32_t end : unitEnds)
    if (end > (m_unitEnds.empty() ? 0 : m_unitEnds.back()) && end <= promptTokens) m_unitEnds.push_back(end);
  if (promptTokens > 0 && (m_unitEnds.empty() || m_unitEnds.back() < promptTokens))
    m_unitEnds.push_back(promptTokens);
  updateGeometry();
  update();
}

void PromptBlocksWidget::setTierTokens(std::uint32_t hostTokens, std::uint32_t remoteTokens) {
  m_hostTokens = std::min(hostTokens, m_hitTokens);
  m_remoteTokens = std::min(remoteTokens, m_hitTokens - m_hostTokens);
  update();
}

int PromptBlocksWidget::cellCount() const { return int(m_unitEnds.size()); }

QColor PromptBlocksWidget::colorOf(Source source) {
  switch (source) {
    case Source::Device:
      return ChartPalette::tierDevice();
    case Source::Host:
      return ChartPalette::tierHost();
    case Source::Remote:
      return ChartPalette::tierRemote();
    case Source::Computed:
      break;
  }
  return ChartPalette::computed();
}

std::array<std::uint32_t, PromptBlocksWidget::kSources> PromptBlocksWidget::cellTokens(int cell) const {
  std::array<std::uint32_t, kSources> tokens{};
  if (cell < 0 || cell >= cellCount()) return tokens;
  // Source boundaries along the prompt: [0, device) [device, +host) [.., +remote) [hit, prompt).
  const std::uint32_t deviceEnd = m_hitTokens - m_hostTokens - m_remoteTokens;
  const std::uint32_t ends[kSources] = {deviceEnd, deviceEnd + m_hostTokens, m_hitTokens, m_promptTokens};
  const std::uint32_t first = cellBegin(cell);
  const std::uint32_t last = cellEnd(cell);  // exclusive
  std::uint32_t begin = 0;
  for (int k = 0; k < kSources; ++k) {
    const std::uint32_t lo = std::max(first, begin);
    const std::uint32_t hi = std::min(last, ends[k]);
    tokens[std::size_t(k)] = hi > lo ? hi - lo : 0;
    begin = ends[k];
  }
  return tokens;
}

QRect PromptBlocksWidget::cellRect(int cell) const {
  const int columns = columnsFor(width());
  return {(cell % columns) * (kCell + kGap), (cell / columns) * (kCell + kGap), kCell, kCell};
}

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
  const int cells = cellCount();
  for (int i = 0; i < cells; ++i) {
    const QRect rect = cellRect(i);
    // Left to right within the cell, each source by its share of the cell's tokens (computed fills the
    // rest, so rounding never leaves a gap).
    painter.fillRect(rect, colorOf(Source::Computed));
    const std::array<std::uint32_t, kSources> tokens = cellTokens(i);
    const double cellTokensTotal = double(cellEnd(i) - cellBegin(i));
    double x = rect.left();
    for (int k = 0; k + 1 < kSources; ++k) {
      if (tokens[std::size_t(k)] == 0) continue;
      const double w = std::max(1.0, kCell * double(tokens[std::size_t(k)]) / cellTokensTotal);
      const int left = int(x + 0.5);
      const int right = std::min(rect.right() + 1, int(x + w + 0.5));
      painter.fillRect(QRect(left, rect.top(), std::max(1, right - left), kCell), colorOf(Source(k)));
      x += w;
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
      const bool tiered = m_hostTokens + m_remoteTokens > 0;
      const QString names[kSources] = {
          tiered ? tr("reused from the device cache") : tr("reused from the cache"),
          tr("reused from the host tier"), tr("fetched from the remote tier"), tr("computed")};
      const std::array<std::uint32_t, kSources> tokens = cellTokens(cell);
      QStringList parts;
      for (int k = 0; k < kSources; ++k)
        if (tokens[std::size_t(k)] == last - first)
          parts << names[k];
        else if (tokens[std::size_t(k)] > 0)
          parts << tr("%1 %2").arg(tokens[std::size_t(k)]).arg(names[k]);
      QToolTip::showText(
          help->globalPos(),
          tr("tokens %1-%2: %3").arg(first).arg(last - 1).arg(parts.join(QStringLiteral(", "))));
    }
    return true;
  }
  return QWidget::event(event);
}

}  // namespace kvlab
