// SPDX-License-Identifier: MIT
#pragma once
// Tune page: token hit rate of one policy over cache size (columns, tokens) x TTL (rows), one painted cell
// per configuration with its value written in it, a colour scale (viridis, 0 % .. the largest cell) and its
// legend. Cells not finished yet are grey. Hover a cell for its numbers; click it to open that
// configuration in the Live view. Exports through the same painting code (PNG, SVG, PDF).
#include <QFontMetricsF>
#include <QWidget>
#include <cstdint>
#include <vector>

#include "core/cache/clock.h"
#include "ui/type_scale.h"

namespace kvlab {

struct TuneResults;

class TtlHeatmapWidget : public QWidget {
  Q_OBJECT
public:
  explicit TtlHeatmapWidget(QWidget* parent = nullptr);

  void setResults(const TuneResults& results);  // GUI thread; the page keeps results alive
  int rows() const { return int(m_ttls.size()); }
  int columns() const { return int(m_sizes.size()); }
  // Token hit rate (0..1) of a cell, -1 while it is not finished.
  double cellValue(int row, int column) const;
  QString fileStem() const { return QStringLiteral("tune-ttl-heatmap"); }
  QString title() const;

  // Paints the whole heatmap (title, cells, labels, legend) into target; used by paintEvent (the widget's
  // type scale) and exports (TypeScale::exported()).
  void paint(QPainter& painter, const QRectF& target) const { paint(painter, target, m_scale); }
  void paint(QPainter& painter, const QRectF& target, const TypeScale& scale) const;
  void setTypeScale(const TypeScale& scale);
  // A sentence under the heatmap's title (e.g. why its rows are equal); "" for none.
  void setNote(const QString& note);
  QString note() const { return m_note; }
  QByteArray toPng(const QSize& size) const;
  QByteArray toSvg(const QSize& size) const;
  // The cell under a point of a target painted at that rect, or {-1, -1}.
  QPoint cellAt(const QRectF& target, const QPointF& pos) const;
  // viridis, t in [0, 1]
  static QColor colour(double t);

Q_SIGNALS:
  void cellActivated(const QString& policy, qint64 ttlMs, quint64 maxTokens);

protected:
  void paintEvent(QPaintEvent* event) override;
  bool event(QEvent* event) override;  // tooltips
  void mouseReleaseEvent(QMouseEvent* event) override;

private:
  struct Layout {
    QRectF grid;
    double cellW = 0, cellH = 0;
    QRectF legend;
  };
  Layout layoutFor(const QRectF& target, const QFontMetricsF& fm) const;
  TypeScale m_scale = TypeScale::window();
  QString m_note;

  QString m_policy;
  QString m_policyLabel;
  std::vector<TimeMs> m_ttls;
  std::vector<std::uint64_t> m_sizes;
  std::vector<double> m_values;  // rows x columns, -1 = not finished
  double m_max = 0;
};

}  // namespace kvlab
