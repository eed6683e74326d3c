// SPDX-License-Identifier: MIT
#include "ui/ttft_bars_widget.h"

#include <QPainter>
#include <algorithm>

#include "ui/chart_palette.h"

namespace kvlab {

TtftBarsWidget::TtftBarsWidget(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  hide();
}

void TtftBarsWidget::setTimes(double cachedMs, double uncachedMs, const QString& costModel) {
  m_cachedMs = cachedMs;
  m_uncachedMs = uncachedMs;
  m_costModel = costModel;
  setVisible(uncachedMs >= 0);
  update();
}

QString TtftBarsWidget::formatMs(double ms) {
  if (ms >= 10000) return tr("%1 s").arg(ms / 1000.0, 0, 'f', 1);
  if (ms >= 100) return tr("%1 ms").arg(ms, 0, 'f', 0);
  return tr("%1 ms").arg(ms, 0, 'f', 1);
}

QSize TtftBarsWidget::sizeHint() const { return {400, 2 * (fontMetrics().height() + 6) + 2}; }

void TtftBarsWidget::paintEvent(QPaintEvent*) {
  if (m_uncachedMs < 0) return;
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  const int rowHeight = fontMetrics().height() + 6;
  const QString suffix = m_costModel.isEmpty() ? QString() : tr(" (cost model, %1)").arg(m_costModel);
  const QString labels[] = {tr("TTFT with the cache"), tr("without")};
  const int labelWidth =
      std::max(fontMetrics().horizontalAdvance(labels[0]), fontMetrics().horizontalAdvance(labels[1])) + 8;
  const double values[] = {m_cachedMs, m_uncachedMs};
  const QColor colors[] = {ChartPalette::cached(), ChartPalette::uncached()};
  const double longest = std::max({m_cachedMs, m_uncachedMs, 1e-9});
  const int valueWidth = fontMetrics().horizontalAdvance(QStringLiteral("00000.0 ms") + suffix) + 8;
  const int barSpace = std::max(10, width() - labelWidth - valueWidth);
  for (int i = 0; i < 2; ++i) {
    const int y = i * rowHeight;
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(QRect(0, y, labelWidth, rowHeight), Qt::AlignVCenter | Qt::AlignLeft, labels[i]);
    const int length = std::max(1, int(barSpace * values[i] / longest + 0.5));
    painter.fillRect(QRect(labelWidth, y + 3, length, rowHeight - 6), colors[i]);
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(QRect(labelWidth + length + 4, y, valueWidth, rowHeight),
                     Qt::AlignVCenter | Qt::AlignLeft, formatMs(values[i]) + (i == 0 ? suffix : QString()));
  }
}

}  // namespace kvlab
