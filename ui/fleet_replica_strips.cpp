// SPDX-License-Identifier: MIT
#include "ui/fleet_replica_strips.h"

#include <QPainter>
#include <algorithm>

namespace kvlab {

namespace {

// A horizontal bar of width w filled to fraction f, with a caption right of it.
void drawBar(QPainter& p, const QRectF& r, double f, const QColor& color, const QString& caption) {
  p.setPen(QColor(0xb0, 0xb0, 0xb0));
  p.setBrush(Qt::NoBrush);
  p.drawRect(r);
  p.setPen(Qt::NoPen);
  p.setBrush(color);
  p.drawRect(QRectF(r.left(), r.top(), r.width() * std::clamp(f, 0.0, 1.0), r.height()));
  p.setPen(Qt::black);
  p.drawText(
      QRectF(r.right() + 4, r.top() - 2, p.fontMetrics().horizontalAdvance(caption) + 8, r.height() + 4),
      Qt::AlignLeft | Qt::AlignVCenter, caption);
}

}  // namespace

FleetReplicaStrips::FleetReplicaStrips(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(120);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void FleetReplicaStrips::setView(const FleetLiveView& view) {
  m_view = view;
  update();
}

void FleetReplicaStrips::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().base());
  p.setFont(font());
  paint(p, QRectF(rect()));
}

void FleetReplicaStrips::paint(QPainter& p, const QRectF& area) const {
  p.save();
  p.translate(area.topLeft());
  const double areaW = area.width(), areaH = area.height();
  const QFontMetrics fm(p.font());
  const double line = fm.height() + 4;
  p.setPen(Qt::black);
  if (m_view.hitRate.empty()) {
    p.drawText(QRectF(0, 0, areaW, areaH), Qt::AlignCenter,
               tr("Compare the routers (or run one) to see each replica's cache"));
    p.restore();
    return;
  }
  // Short enough for the strip's 650 px at 1600 px wide (the request count is in the table); elided, never
  // cut mid-word, where the window is narrower still.
  const QString header = tr("%1 — hit rate %2 %, load imbalance %3 (busiest / mean)")
                             .arg(m_view.router)
                             .arg(100 * m_view.fleetHitRate, 0, 'f', 2)
                             .arg(m_view.loadImbalance, 0, 'f', 3);
  p.drawText(QPointF(6, line - 4), p.fontMetrics().elidedText(header, Qt::ElideRight, int(areaW) - 12));
  const std::size_t n = m_view.hitRate.size();
  const double labelW = fm.horizontalAdvance(QStringLiteral("replica 00")) + 8;
  const double captionW = fm.horizontalAdvance(QStringLiteral("100.0 %")) + 12;
  const double barW = std::max(40.0, (areaW - labelW - 3 * captionW - 6) / 3.0);
  const double top = line * 2.2;
  const double rowH = std::clamp((areaH - top - 4) / double(n), 6.0, line + 6);
  p.drawText(QPointF(labelW, top - 6), tr("hit rate"));
  p.drawText(QPointF(labelW + barW + captionW, top - 6), tr("occupancy"));
  p.drawText(QPointF(labelW + 2 * (barW + captionW), top - 6), tr("token share (| = even)"));
  const double even = n > 0 ? 1.0 / double(n) : 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double y = top + double(i) * rowH;
    const double h = std::max(4.0, rowH - 4);
    p.setPen(Qt::black);
    p.drawText(QRectF(4, y, labelW - 6, h), Qt::AlignLeft | Qt::AlignVCenter,
               m_view.sharedCache ? tr("shared") : tr("replica %1").arg(i));
    drawBar(p, QRectF(labelW, y, barW, h), m_view.hitRate[i], QColor(0x2e, 0x86, 0xc1),
            QStringLiteral("%1 %").arg(100 * m_view.hitRate[i], 0, 'f', 1));
    drawBar(p, QRectF(labelW + barW + captionW, y, barW, h), m_view.occupancy[i], QColor(0x8e, 0x44, 0xad),
            QStringLiteral("%1 %").arg(100 * m_view.occupancy[i], 0, 'f', 0));
    // Token share on a 0..2/N scale, so the even share sits in the middle.
    const QRectF share(labelW + 2 * (barW + captionW), y, barW, h);
    const double over = m_view.tokenShare[i] > even * 1.1;
    drawBar(p, share, even > 0 ? m_view.tokenShare[i] / (2 * even) : 0,
            over ? QColor(0xd3, 0x54, 0x00) : QColor(0x27, 0xae, 0x60),
            QStringLiteral("%1 %").arg(100 * m_view.tokenShare[i], 0, 'f', 1));
    p.setPen(QPen(Qt::black, 1.5));
    p.drawLine(QPointF(share.center().x(), y - 1), QPointF(share.center().x(), y + h + 1));
  }
  p.restore();
}

}  // namespace kvlab
