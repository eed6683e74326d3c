// SPDX-License-Identifier: MIT
#include "ui/ttl_heatmap_widget.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <optional>

#include "core/policies/policy_registry.h"
#include "core/util/units.h"
#include "ui/picture_export.h"
#include "ui/tune_results.h"

namespace kvlab {

namespace {

QString ttlText(TimeMs ms) {
  return ms <= 0 ? QStringLiteral("TTL off") : QString::fromStdString(formatDurationMs(ms));
}

QString tokensText(std::uint64_t tokens) {
  const double t = double(tokens);
  if (t >= 1e6) return QStringLiteral("%1M").arg(t / 1e6, 0, 'g', 3);
  if (t >= 1e3) return QStringLiteral("%1k").arg(t / 1e3, 0, 'g', 3);
  return QString::number(tokens);
}

}  // namespace

TtlHeatmapWidget::TtlHeatmapWidget(QWidget* parent) : QWidget(parent) {
  setMinimumSize(320, 200);
  setMouseTracking(true);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

QColor TtlHeatmapWidget::colour(double t) {
  // viridis at 0, 0.25, 0.5, 0.75, 1 (matplotlib's table), linearly interpolated.
  static const double kStops[5][3] = {
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const double x = t * 4;
  const int i = std::min(3, int(x));
  const double f = x - i;
  return QColor::fromRgbF(float((kStops[i][0] + f * (kStops[i + 1][0] - kStops[i][0])) / 255),
                          float((kStops[i][1] + f * (kStops[i + 1][1] - kStops[i][1])) / 255),
                          float((kStops[i][2] + f * (kStops[i + 1][2] - kStops[i][2])) / 255));
}

QString TtlHeatmapWidget::title() const {
  return tr("Token hit rate of %1: cache size × TTL")
      .arg(m_policyLabel.isEmpty() ? tr("a policy") : m_policyLabel);
}

void TtlHeatmapWidget::setResults(const TuneResults& results) {
  m_policy = QString::fromStdString(results.info.heatmapPolicy);
  m_policyLabel = QString::fromStdString(policyLabel(results.info.heatmapPolicy));
  m_ttls = results.info.ttlsMs;
  m_sizes = results.info.sizes;
  m_values.assign(m_ttls.size() * m_sizes.size(), -1);
  m_max = 0;
  for (std::size_t r = 0; r < m_ttls.size(); ++r)
    for (std::size_t c = 0; c < m_sizes.size(); ++c)
      if (const SweepPoint* p = results.find(results.info.heatmapPolicy, m_ttls[r], m_sizes[c])) {
        m_values[r * m_sizes.size() + c] = p->result.tokenHitRate();
        m_max = std::max(m_max, p->result.tokenHitRate());
      }
  update();
}

double TtlHeatmapWidget::cellValue(int row, int column) const {
  if (row < 0 || column < 0 || row >= rows() || column >= columns()) return -1;
  return m_values[std::size_t(row) * m_sizes.size() + std::size_t(column)];
}

TtlHeatmapWidget::Layout TtlHeatmapWidget::layoutFor(const QRectF& target, const QFontMetricsF& fm) const {
  Layout l;
  double left = fm.horizontalAdvance(QStringLiteral("TTL off"));
  for (const TimeMs ttl : m_ttls) left = std::max(left, fm.horizontalAdvance(ttlText(ttl)));
  left += 14;
  const double top = fm.height() * 1.8;
  const double bottom = fm.height() * 2.6;
  const double legendW = fm.horizontalAdvance(QStringLiteral("100.0%")) + 24;
  l.grid =
      QRectF(target.left() + left, target.top() + top, std::max(10.0, target.width() - left - legendW - 8),
             std::max(10.0, target.height() - top - bottom));
  l.cellW = columns() ? l.grid.width() / columns() : 0;
  l.cellH = rows() ? l.grid.height() / rows() : 0;
  l.legend = QRectF(l.grid.right() + 14, l.grid.top(), 14, l.grid.height());
  return l;
}

void TtlHeatmapWidget::setTypeScale(const TypeScale& scale) {
  m_scale = scale;
  setFont(scale.font(TextRole::Body, font()));
  update();
}

void TtlHeatmapWidget::setNote(const QString& note) {
  m_note = note;
  update();
}

void TtlHeatmapWidget::paint(QPainter& painter, const QRectF& target, const TypeScale& scale) const {
  painter.save();
  const QFont base = scale.font(TextRole::Tick, font());
  painter.setFont(base);
  const QFontMetricsF fm(base, painter.device());  // the target's resolution (PDF: 150 dpi)
  painter.fillRect(target, Qt::white);
  const QFont bold = scale.font(TextRole::ChartTitle, font());
  painter.setFont(bold);
  painter.setPen(Qt::black);
  const QFontMetricsF titleFm(bold, painter.device());
  double titleH = titleFm.height() * 1.4;
  painter.drawText(QRectF(target.left(), target.top(), target.width(), titleH),
                   Qt::AlignHCenter | Qt::AlignVCenter, title());
  if (!m_note.isEmpty()) {
    painter.setFont(base);
    const QRectF noteRect(target.left(), target.top() + titleH, target.width(), fm.height() * 2.2);
    painter.drawText(noteRect, Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, m_note);
    titleH += noteRect.height();
  }
  painter.setFont(base);
  const QRectF below(target.left(), target.top() + titleH - fm.height() * 1.8, target.width(),
                     target.height() - titleH + fm.height() * 1.8);
  if (rows() == 0 || columns() == 0) {
    painter.drawText(target, Qt::AlignCenter, tr("The heatmap fills in when a sweep runs."));
    painter.restore();
    return;
  }
  const Layout l = layoutFor(below, fm);
  // Values in the cells: the widget's font, or down to 60 % of it on narrow cells; none if even that
  // does not fit (the tooltip still has them).
  std::optional<QFont> cellFont;
  for (const double shrink : {1.0, 0.85, 0.7, 0.6}) {
    QFont f = base;
    f.setPixelSize(std::max(6, int(std::lround(base.pixelSize() * shrink))));
    const QFontMetricsF m(f, painter.device());
    if (l.cellW > m.horizontalAdvance(QStringLiteral("99.9")) + 3 && l.cellH > m.height()) {
      cellFont = f;
      break;
    }
  }
  for (int r = 0; r < rows(); ++r) {
    const double y = l.grid.top() + r * l.cellH;
    painter.setPen(Qt::black);
    painter.drawText(QRectF(target.left(), y, l.grid.left() - target.left() - 6, l.cellH),
                     Qt::AlignRight | Qt::AlignVCenter, ttlText(m_ttls[std::size_t(r)]));
    for (int c = 0; c < columns(); ++c) {
      const QRectF cell(l.grid.left() + c * l.cellW, y, l.cellW, l.cellH);
      const double v = cellValue(r, c);
      const QColor fill = v < 0 ? QColor(0xDD, 0xDD, 0xDD) : colour(m_max > 0 ? v / m_max : 0);
      painter.fillRect(cell, fill);
      painter.setPen(QPen(Qt::white, 1));
      painter.drawRect(cell);
      if (v >= 0 && cellFont) {
        painter.setFont(*cellFont);
        // Perceived brightness (Rec. 601 luma), not HSL lightness: viridis' yellow has an HSL lightness under
        // 0.5 and white text on it was unreadable.
        const double luma = 0.299 * fill.redF() + 0.587 * fill.greenF() + 0.114 * fill.blueF();
        painter.setPen(luma > 0.5 ? Qt::black : Qt::white);
        painter.drawText(cell, Qt::AlignCenter, QString::number(100 * v, 'f', 1));
        painter.setFont(base);
      }
    }
  }
  painter.setPen(Qt::black);
  const int labelEvery =
      std::max(1, int(std::ceil(fm.horizontalAdvance(QStringLiteral("9.99M  ")) / std::max(1.0, l.cellW))));
  for (int c = 0; c < columns(); c += labelEvery)
    painter.drawText(QRectF(l.grid.left() + c * l.cellW - 20, l.grid.bottom() + 2, l.cellW + 40, fm.height()),
                     Qt::AlignHCenter | Qt::AlignTop, tokensText(m_sizes[std::size_t(c)]));
  painter.drawText(QRectF(l.grid.left(), l.grid.bottom() + fm.height() + 2, l.grid.width(), fm.height()),
                   Qt::AlignHCenter | Qt::AlignTop, tr("cache size (tokens); cells: token hit rate (%)"));
  // Legend: the colour scale from 0 % (bottom) to the largest cell (top).
  for (int i = 0; i < int(l.legend.height()); ++i)
    painter.fillRect(QRectF(l.legend.left(), l.legend.bottom() - i - 1, l.legend.width(), 1),
                     colour(double(i) / std::max(1.0, l.legend.height() - 1)));
  painter.setPen(Qt::black);
  painter.drawRect(l.legend);
  painter.drawText(QPointF(l.legend.right() + 3, l.legend.top() + fm.ascent()),
                   QStringLiteral("%1%").arg(100 * m_max, 0, 'f', 1));
  painter.drawText(QPointF(l.legend.right() + 3, l.legend.bottom()), QStringLiteral("0%"));
  painter.restore();
}

QPoint TtlHeatmapWidget::cellAt(const QRectF& target, const QPointF& pos) const {
  // The layout paint() uses on screen: the title (and note) above the grid.
  const QFont base = m_scale.font(TextRole::Tick, font());
  const QFontMetricsF fm(base);
  double titleH = QFontMetricsF(m_scale.font(TextRole::ChartTitle, font())).height() * 1.4;
  if (!m_note.isEmpty()) titleH += fm.height() * 2.2;
  const QRectF below(target.left(), target.top() + titleH - fm.height() * 1.8, target.width(),
                     target.height() - titleH + fm.height() * 1.8);
  const Layout l = layoutFor(below, fm);
  if (!l.grid.contains(pos) || l.cellW <= 0 || l.cellH <= 0) return {-1, -1};
  const int c = std::min(columns() - 1, int((pos.x() - l.grid.left()) / l.cellW));
  const int r = std::min(rows() - 1, int((pos.y() - l.grid.top()) / l.cellH));
  return {c, r};
}

void TtlHeatmapWidget::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  paint(painter, QRectF(rect()));
}

bool TtlHeatmapWidget::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(e);
    const QPoint cell = cellAt(QRectF(rect()), help->pos());
    if (cell.x() < 0) {
      QToolTip::hideText();
      return true;
    }
    const double v = cellValue(cell.y(), cell.x());
    QToolTip::showText(
        help->globalPos(),
        tr("%1, %2 tokens, %3\n%4\nclick: open in the Live view")
            .arg(m_policyLabel, QString::number(m_sizes[std::size_t(cell.x())]),
                 ttlText(m_ttls[std::size_t(cell.y())]),
                 v < 0 ? tr("not finished yet") : tr("token hit rate %1%").arg(100 * v, 0, 'f', 2)),
        this);
    return true;
  }
  return QWidget::event(e);
}

void TtlHeatmapWidget::mouseReleaseEvent(QMouseEvent* e) {
  const QPoint cell = cellAt(QRectF(rect()), e->position());
  if (cell.x() >= 0 && e->button() == Qt::LeftButton)
    Q_EMIT cellActivated(m_policy, m_ttls[std::size_t(cell.y())], m_sizes[std::size_t(cell.x())]);
  QWidget::mouseReleaseEvent(e);
}

QByteArray TtlHeatmapWidget::toPng(const QSize& size) const {
  return renderPng(size, [this](QPainter& painter, const QRectF& target) {
    paint(painter, target, TypeScale::exported());
  });
}

QByteArray TtlHeatmapWidget::toSvg(const QSize& size) const {
  return renderSvg(size, title(), [this](QPainter& painter, const QRectF& target) {
    paint(painter, target, TypeScale::exported());
  });
}

}  // namespace kvlab
