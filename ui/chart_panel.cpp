// SPDX-License-Identifier: MIT
#include "ui/chart_panel.h"

#include <QBuffer>
#include <QCursor>
#include <QGraphicsLayout>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QPainter>
#include <QSvgGenerator>
#include <QToolTip>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <iterator>

#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

ChartPanel::ChartPanel(const RunHistory* history, QString fileStem, const QString& title,
                       const QString& explanation, QWidget* parent)
    : QWidget(parent), m_history(history), m_fileStem(std::move(fileStem)), m_title(title) {
  m_chart = new QChart;
  m_chart->setTitle(title);
  QFont titleFont = m_chart->titleFont();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
  titleFont.setBold(true);
  m_chart->setTitleFont(titleFont);
  m_chart->setAnimationOptions(QChart::NoAnimation);  // live data: animations only lag behind
  m_chart->legend()->setAlignment(Qt::AlignBottom);
  QFont legendFont = m_chart->legend()->font();
  legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
  m_chart->legend()->setFont(legendFont);
  m_chart->legend()->setShowToolTips(true);  // full text when a long legend entry is elided
  m_chart->setMargins(QMargins(4, 4, 4, 4));
  m_chart->layout()->setContentsMargins(0, 0, 0, 0);
  m_chart->setBackgroundRoundness(0);

  m_view = new QChartView(m_chart, this);
  m_view->setRenderHint(QPainter::Antialiasing);
  m_view->setMinimumSize(220, 170);

  m_explanation = new QLabel(explanation, this);
  m_explanation->setWordWrap(true);
  m_explanation->setTextFormat(Qt::RichText);
  m_explanation->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  m_explanation->setMinimumWidth(150);
  m_explanation->setMaximumWidth(220);
  QFont small = m_explanation->font();
  small.setPointSizeF(small.pointSizeF() * 0.9);
  m_explanation->setFont(small);
  m_explanation->setObjectName(QStringLiteral("chartExplanation"));
  m_explanation->setStyleSheet(
      QStringLiteral("QLabel { color: palette(window-text); padding: 6px; "
                     "background: palette(alternate-base); border-radius: 4px; }"));

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->setSpacing(4);
  layout->addWidget(m_view, 3);
  layout->addWidget(m_explanation, 1);

  connect(history, &RunHistory::updated, this, [this] { refresh(); });
  connect(history, &RunHistory::runStarted, this, [this] {
    rebuildEarlier();
    refresh();
  });
  connect(history, &RunHistory::cleared, this, [this] {
    rebuildEarlier();
    refresh();
  });
}

QString ChartPanel::explanation() const { return m_explanation->text(); }

void ChartPanel::setExplanationVisible(bool visible) { m_explanation->setVisible(visible); }

void ChartPanel::renderChart(QPainter* painter, const QRectF& target) const {
  m_view->render(painter, target, m_view->viewport()->rect());
}

QByteArray ChartPanel::toPng(const QSize& size) const {
  QImage image(size, QImage::Format_ARGB32_Premultiplied);
  image.fill(Qt::white);
  {
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    renderChart(&painter, QRectF(QPointF(0, 0), QSizeF(size)));
  }
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  image.save(&buffer, "PNG");
  return bytes;
}

QByteArray ChartPanel::toSvg(const QSize& size) const {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  QSvgGenerator generator;
  generator.setOutputDevice(&buffer);
  generator.setSize(size);
  generator.setViewBox(QRect(QPoint(0, 0), size));
  generator.setTitle(m_title);
  generator.setDescription(QStringLiteral("KV Cache Lab chart"));
  {
    QPainter painter(&generator);
    renderChart(&painter, QRectF(QPointF(0, 0), QSizeF(size)));
  }
  return bytes;
}

ChartPanel::ByteScale ChartPanel::byteScale(double maxBytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  ByteScale scale;
  int unit = 0;
  while (unit < 4 && maxBytes >= 1024.0 * scale.divisor) {
    scale.divisor *= 1024.0;
    ++unit;
  }
  scale.unit = QString::fromLatin1(kUnits[unit]);
  return scale;
}

QList<QPointF> ChartPanel::decimate(const QList<QPointF>& points, int maxPoints) {
  if (points.size() <= maxPoints || maxPoints < 2) return points;
  QList<QPointF> out;
  out.reserve(maxPoints);
  const double stride = double(points.size() - 1) / double(maxPoints - 1);
  for (int i = 0; i < maxPoints; ++i) out.append(points[qsizetype(std::llround(i * stride))]);
  out.last() = points.last();
  return out;
}

QLineSeries* ChartPanel::addLine(const QString& name, const QColor& color, qreal width, QAbstractAxis* x,
                                 QAbstractAxis* y, Qt::PenStyle style) {
  auto* series = new QLineSeries;
  series->setName(name);
  QPen pen(color, width);
  pen.setStyle(style);
  series->setPen(pen);
  m_chart->addSeries(series);
  series->attachAxis(x);
  series->attachAxis(y);
  return series;
}

void ChartPanel::attachTooltip(QXYSeries* series, std::function<QString(const QPointF&)> text) {
  connect(series, &QXYSeries::hovered, this,
          [this, text = std::move(text)](const QPointF& point, bool state) {
            if (state)
              QToolTip::showText(QCursor::pos(), text(point), m_view);
            else
              QToolTip::hideText();
          });
}

void ChartPanel::setNiceRange(QValueAxis* axis, double min, double max) {
  if (!(max > min)) max = min + 1;
  axis->setRange(min, max);
  axis->applyNiceNumbers();
}

void ChartPanel::setCountRange(QValueAxis* axis, double max) {
  max = std::max(max, 1.0);
  double step = 1;
  for (double decade = 1;; decade *= 10) {
    const double candidates[] = {decade, 2 * decade, 5 * decade};
    const auto fits = std::find_if(std::begin(candidates), std::end(candidates),
                                   [max](double c) { return std::ceil(max / c) <= 5; });
    if (fits != std::end(candidates)) {
      step = *fits;
      break;
    }
  }
  const int ticks = int(std::ceil(max / step));
  axis->setRange(0, ticks * step);
  axis->setTickCount(ticks + 1);
  axis->setLabelFormat(QStringLiteral("%.0f"));
}

void ChartPanel::removeEarlierSeries() {
  for (QLineSeries* series : std::as_const(m_earlierSeries)) {
    m_chart->removeSeries(series);
    delete series;
  }
  m_earlierSeries.clear();
}

QLineSeries* ChartPanel::addEarlierLine(const RunTrack& run, const QList<QPointF>& points,
                                        const QColor& color, QAbstractAxis* x, QAbstractAxis* y) {
  QLineSeries* series = addLine(run.label, ChartPalette::faded(color), 1.5, x, y, Qt::DashLine);
  series->replace(decimate(points));
  m_earlierSeries.append(series);
  return series;
}

}  // namespace kvlab
