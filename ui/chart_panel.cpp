// SPDX-License-Identifier: MIT
#include "ui/chart_panel.h"

#include <QCursor>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QToolTip>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <QtCharts/QXYSeries>
#include <algorithm>
#include <cmath>
#include <iterator>

#include "ui/chart_palette.h"
#include "ui/picture_export.h"
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
  m_baseTitleFont = titleFont;
  QFont legendFont = m_chart->legend()->font();
  legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
  m_baseLegendFont = legendFont;
  m_baseFont = font();
  styleChart(m_chart);

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

  m_notice = new QLabel(m_view);
  m_notice->setObjectName(QStringLiteral("chartNotice"));
  m_notice->setWordWrap(true);
  m_notice->setAlignment(Qt::AlignCenter);
  m_notice->setAttribute(Qt::WA_TransparentForMouseEvents);
  m_notice->setStyleSheet(
      QStringLiteral("QLabel { background: rgba(255,255,255,225); border: 1px solid #999; border-radius: "
                     "4px; padding: 8px; }"));
  m_notice->hide();
  m_footer = new QLabel(this);
  m_footer->setObjectName(QStringLiteral("chartFooter"));
  m_footer->setWordWrap(true);
  m_footer->hide();

  m_column = new QVBoxLayout;
  m_column->setContentsMargins(0, 0, 0, 0);
  m_column->setSpacing(0);
  m_column->addWidget(m_view, 1);
  m_column->addWidget(m_footer);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->setSpacing(4);
  layout->addLayout(m_column, 3);
  layout->addWidget(m_explanation, 1);

  if (!history) return;  // a chart fed by its page (Tune) rather than by the live run's history
  connect(history, &RunHistory::updated, this, [this] { followHistory(/*rebuild=*/false); });
  connect(history, &RunHistory::runStarted, this, [this] { followHistory(/*rebuild=*/true); });
  connect(history, &RunHistory::cleared, this, [this] { followHistory(/*rebuild=*/true); });
}

void ChartPanel::followHistory(bool rebuild) {
  // The "not for this run" notice goes before refresh() (which may set its own, e.g. why a chart is empty)
  // and comes after it, so neither hides the other.
  const bool applies = appliesTo(m_history->current());
  if (applies && m_notApplicableShown) setNotice(QString());
  m_notApplicableShown = !applies;
  if (rebuild) rebuildEarlier();
  refresh();
  if (!applies) showNotApplicable();
}

void ChartPanel::styleChart(QChart* chart) {
  chart->setTitleFont(m_baseTitleFont);
  chart->setAnimationOptions(QChart::NoAnimation);  // live data: animations only lag behind
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->legend()->setFont(m_baseLegendFont);
  chart->legend()->setShowToolTips(true);  // full text when a long legend entry is elided
  chart->setMargins(QMargins(4, 4, 4, 4));
  chart->layout()->setContentsMargins(0, 0, 0, 0);
  chart->setBackgroundRoundness(0);
}

QChart* ChartPanel::addStackedChart(const QString& title) {
  auto* chart = new QChart;
  chart->setTitle(title);
  styleChart(chart);
  scaleChart(chart, m_scale);
  auto* view = new QChartView(chart, this);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumSize(220, 170);
  m_column->insertWidget(m_column->indexOf(m_footer), view, 1);
  m_stacked.append(chart);
  return chart;
}

QList<QChart*> ChartPanel::charts() const { return QList<QChart*>{m_chart} + m_stacked; }

bool ChartPanel::isDecodeRun(const RunTrack* run) { return run && run->info.scenarioKind == "decode"; }

bool ChartPanel::appliesTo(const RunTrack* run) const { return !isDecodeRun(run); }

void ChartPanel::showNotApplicable() { setNotice(notApplicableText()); }

QString ChartPanel::notApplicableText() const {
  return isDecodeRun(m_history->current())
             ? tr("The decode scenario does not use the shared prefix cache this chart is about: see "
                  "the decode lesson chart.")
             : tr("This chart is for the decode scenario: run \"decode\" to fill it.");
}

QString ChartPanel::explanation() const { return m_explanation->text(); }

void ChartPanel::setExplanationVisible(bool visible) { m_explanation->setVisible(visible); }

void ChartPanel::setNotice(const QString& text) {
  if (m_notice->text() == text && m_notice->isHidden() == text.isEmpty()) return;
  m_notice->setText(text);
  m_notice->setVisible(!text.isEmpty());
  placeNotice();
}

void ChartPanel::placeNotice() {
  if (m_notice->isHidden()) return;
  const QRect area = m_view->viewport()->rect();
  const int width = std::min(area.width() - 20, std::max(160, area.width() * 2 / 3));
  m_notice->setFixedWidth(std::max(60, width));
  m_notice->adjustSize();
  m_notice->move(area.center() - m_notice->rect().center());
}

void ChartPanel::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  placeNotice();
}

QString ChartPanel::notice() const { return m_notice->isHidden() ? QString() : m_notice->text(); }

void ChartPanel::setFooter(const QString& text) {
  m_footer->setText(text);
  m_footer->setVisible(!text.isEmpty());
}

QString ChartPanel::footer() const { return m_footer->text(); }

void ChartPanel::setPresentationScale(double scale) {
  m_scale = scale;
  for (QChart* chart : charts()) scaleChart(chart, scale);
  const QFont base = m_baseFont;
  QFont explanation = base;
  explanation.setPointSizeF(base.pointSizeF() * 0.9 * scale);
  m_explanation->setFont(explanation);
  m_explanation->setMaximumWidth(int(220 * scale));
  QFont notice = base;
  notice.setPointSizeF(base.pointSizeF() * scale);
  m_notice->setFont(notice);
  m_footer->setFont(notice);
}

void ChartPanel::scaleChart(QChart* chart, double scale) const {
  auto scaled = [scale](QFont font) {
    font.setPointSizeF(font.pointSizeF() * scale);
    return font;
  };
  chart->setTitleFont(scaled(m_baseTitleFont));
  chart->legend()->setFont(scaled(m_baseLegendFont));
  for (QAbstractAxis* axis : chart->axes()) {
    axis->setLabelsFont(scaled(m_baseFont));
    QFont title = scaled(m_baseFont);
    title.setBold(true);
    axis->setTitleFont(title);
  }
  for (QAbstractSeries* series : chart->series()) {
    auto* xy = qobject_cast<QXYSeries*>(series);
    if (!xy) continue;
    const QVariant width = xy->property("kvlabBaseWidth");
    if (!width.isValid()) continue;
    QPen pen = xy->pen();
    pen.setWidthF(width.toDouble() * scale);
    xy->setPen(pen);
  }
}

void ChartPanel::renderChart(QPainter* painter, const QRectF& target) const {
  // Lay each chart out for its share of the target, render its scene 1:1 into it, then give the view its
  // size back: the export fills its canvas instead of keeping the on-screen aspect ratio with a blank band.
  const QList<QChart*> all = charts();
  const double height = target.height() / double(all.size());
  for (qsizetype i = 0; i < all.size(); ++i) {
    QChart* chart = all[i];
    const QRectF part(target.left(), target.top() + double(i) * height, target.width(), height);
    const QSizeF onScreen = chart->size();
    chart->resize(part.size());
    chart->scene()->render(painter, part, QRectF(chart->pos(), part.size()), Qt::IgnoreAspectRatio);
    chart->resize(onScreen);
  }
}

QByteArray ChartPanel::toPng(const QSize& size) const {
  return renderPng(size, [this](QPainter& painter, const QRectF& target) { renderChart(&painter, target); });
}

QByteArray ChartPanel::toSvg(const QSize& size) const {
  return renderSvg(size, m_title,
                   [this](QPainter& painter, const QRectF& target) { renderChart(&painter, target); });
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
  if (points.size() <= maxPoints || maxPoints < 4) return points;
  const qsizetype buckets = maxPoints / 2 - 1;  // two points per bucket, plus the first and the last
  const qsizetype inner = points.size() - 2;
  QList<QPointF> out;
  out.reserve(maxPoints);
  out.append(points.first());
  for (qsizetype b = 0; b < buckets; ++b) {
    const qsizetype begin = 1 + b * inner / buckets;
    const qsizetype end = 1 + (b + 1) * inner / buckets;  // exclusive
    if (begin >= end) continue;
    qsizetype lo = begin;
    qsizetype hi = begin;
    for (qsizetype i = begin + 1; i < end; ++i) {
      if (points[i].y() < points[lo].y()) lo = i;
      if (points[i].y() > points[hi].y()) hi = i;
    }
    out.append(points[std::min(lo, hi)]);
    if (lo != hi) out.append(points[std::max(lo, hi)]);
  }
  out.append(points.last());
  return out;
}

double ChartPanel::niceStep(double max, int ticks) {
  if (!(max > 0)) return 1;
  const double raw = max / std::max(1, ticks);
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * decade >= raw * 0.999) return m * decade;
  return 10 * decade;
}

QString ChartPanel::labelFormatFor(double step) {
  int decimals = 0;
  while (decimals < 6 &&
         std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;
  return QStringLiteral("%.%1f").arg(decimals);
}

QLineSeries* ChartPanel::addLine(const QString& name, const QColor& color, qreal width, QAbstractAxis* x,
                                 QAbstractAxis* y, Qt::PenStyle style, QChart* into) {
  auto* series = new QLineSeries;
  series->setName(name);
  QPen pen(color, width * m_scale);
  pen.setStyle(style);
  series->setPen(pen);
  series->setProperty("kvlabBaseWidth", width);
  (into ? into : m_chart)->addSeries(series);
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

QLogValueAxis* ChartPanel::newLogAxis(const QString& title) {
  auto* axis = new QLogValueAxis;
  axis->setBase(10);
  axis->setTitleText(title);
  axis->setLabelFormat(QStringLiteral("%.10g"));  // labels sit on powers of ten: never more than 10 digits
  axis->setMinorTickCount(8);
  return axis;
}

void ChartPanel::setNiceRange(QValueAxis* axis, double min, double max) {
  if (!(max > min)) max = min + 1;
  const double step = niceStep(max - min);
  axis->setTickType(QValueAxis::TicksDynamic);
  axis->setTickAnchor(0);
  axis->setTickInterval(step);
  axis->setLabelFormat(labelFormatFor(step));
  axis->setRange(min, max + (max - min) * 0.03);
}

double ChartPanel::setAlignedRange(QValueAxis* axis, double max, int ticks) {
  const double step = niceStep(std::max(max, 1e-9), ticks);
  axis->setTickType(QValueAxis::TicksFixed);
  axis->setTickCount(ticks + 1);
  axis->setLabelFormat(labelFormatFor(step));
  axis->setRange(0, step * ticks);
  return step * ticks;
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
  // Small counts: whole ticks up to the next step (0, 1, 2, 3); large ones hug the data (0..12031).
  const double top = max <= 10 ? std::ceil(max / step) * step : max;
  axis->setTickType(QValueAxis::TicksDynamic);
  axis->setTickAnchor(0);
  axis->setTickInterval(step);
  axis->setRange(0, top);
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
  series->setPen([&] {
    QPen pen = series->pen();
    pen.setWidthF(1.5 * m_scale);
    return pen;
  }());
  series->replace(decimate(points));
  m_earlierSeries.append(series);
  return series;
}

}  // namespace kvlab
