// SPDX-License-Identifier: MIT
#include "ui/chart_panel.h"

#include <QCursor>
#include <QDir>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QTextDocument>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QBarLegendMarker>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <QtCharts/QXYSeries>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

#include "core/util/atomic_file.h"
#include "ui/chart_palette.h"
#include "ui/picture_export.h"
#include "ui/run_history.h"

namespace kvlab {

ChartPanel::ChartPanel(const RunHistory* history, QString fileStem, const QString& title,
                       const QString& explanation, QWidget* parent)
    : QWidget(parent), m_history(history), m_fileStem(std::move(fileStem)), m_title(title) {
  m_chart = new QChart;
  m_chart->setTitle(title);
  m_family = font();
  styleChart(m_chart);

  m_view = new QChartView(m_chart, this);
  m_view->setRenderHint(QPainter::Antialiasing);
  m_view->setMinimumSize(160, 150);

  m_explanation = new QLabel(explanation, this);
  m_explanation->setWordWrap(true);
  m_explanation->setTextFormat(Qt::RichText);
  m_explanation->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  m_explanation->setObjectName(QStringLiteral("chartExplanation"));
  m_explanation->setStyleSheet(
      QStringLiteral("QLabel { color: palette(window-text); padding: 6px; "
                     "background: palette(alternate-base); border-radius: 4px; }"));
  m_explanationArea = new QScrollArea(this);
  m_explanationArea->setObjectName(QStringLiteral("chartExplanationArea"));
  m_explanationArea->setWidget(m_explanation);
  m_explanationArea->setWidgetResizable(true);
  m_explanationArea->setFrameShape(QFrame::NoFrame);
  m_explanationArea->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

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

  m_legendTimer = new QTimer(this);
  m_legendTimer->setSingleShot(true);
  m_legendTimer->setInterval(0);
  connect(m_legendTimer, &QTimer::timeout, this, &ChartPanel::refreshLegends);
  auto* legend = new QLabel(this);
  legend->setObjectName(QStringLiteral("chartLegend"));
  legend->setWordWrap(true);
  legend->setTextFormat(Qt::RichText);
  legend->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
  m_legends.append(legend);
  m_column = new QVBoxLayout;
  m_column->setContentsMargins(0, 0, 0, 0);
  m_column->setSpacing(0);
  m_column->addWidget(m_view, 1);
  m_column->addWidget(legend);
  m_column->addWidget(m_footer);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->setSpacing(4);
  layout->addLayout(m_column, 3);
  layout->addWidget(m_explanationArea, 1);
  setTypeScale(m_typeScale);

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
  legendChanged();
}

void ChartPanel::legendChanged() {
  if (!m_legendTimer->isActive()) m_legendTimer->start();
}

QString ChartPanel::legendHtmlFor(const QChart* chart, int swatchPx) {
  QStringList entries;
  for (QLegendMarker* marker : chart->legend()->markers()) {
    // Not marker->isVisible(): that is the hidden Qt legend's item, false until laid out.
    if (marker->label().isEmpty() || !marker->series() || !marker->series()->isVisible()) continue;
    QColor colour = marker->brush().color();
    QString swatch = QStringLiteral("■");
    if (auto* bar = qobject_cast<QBarLegendMarker*>(marker)) {
      colour = bar->barset()->color();
    } else if (auto* scatter = qobject_cast<QScatterSeries*>(marker->series())) {
      colour = scatter->borderColor().alpha() > 0 && scatter->color().alpha() == 0 ? scatter->borderColor()
                                                                                   : scatter->color();
      swatch = scatter->color().alpha() == 0 ? QStringLiteral("○") : QStringLiteral("●");
    } else if (auto* area = qobject_cast<QAreaSeries*>(marker->series())) {
      colour = area->color();
    } else if (auto* xy = qobject_cast<QXYSeries*>(marker->series())) {
      colour = xy->pen().color();
      swatch = xy->pen().style() == Qt::SolidLine ? QStringLiteral("━━") : QStringLiteral("╍╍");
    }
    colour.setAlpha(255);  // a faded line's swatch must still be readable
    entries << QStringLiteral(
                   "<span style='white-space:nowrap'><span style='color:%1; font-size:%2px'>%3</span>"
                   "&nbsp;%4</span>")
                   .arg(colour.name())
                   .arg(swatchPx)
                   .arg(swatch, marker->label().toHtmlEscaped());
  }
  return entries.join(QStringLiteral(" &nbsp; "));
}

void ChartPanel::refreshLegends() {
  const QList<QChart*> all = charts();
  for (qsizetype i = 0; i < all.size() && i < m_legends.size(); ++i) {
    const QString html = legendHtmlFor(all[i], m_typeScale.pixels(TextRole::Legend));
    if (m_legends[i]->text() != html) m_legends[i]->setText(html);
    m_legends[i]->setVisible(!html.isEmpty());
  }
}

QString ChartPanel::legendHtml(int chart) const {
  const QList<QChart*> all = charts();
  return chart >= 0 && chart < all.size() ? legendHtmlFor(all[chart], m_typeScale.pixels(TextRole::Legend))
                                          : QString();
}

QStringList ChartPanel::legendEntries(int chart) const {
  QStringList names;
  const QList<QChart*> all = charts();
  if (chart < 0 || chart >= all.size()) return names;
  for (QLegendMarker* marker : all[chart]->legend()->markers())
    if (!marker->label().isEmpty() && marker->series() && marker->series()->isVisible())
      names << marker->label();
  return names;
}

QLabel* ChartPanel::legendLabel(int chart) const {
  return chart >= 0 && chart < m_legends.size() ? m_legends[chart] : nullptr;
}

void ChartPanel::styleChart(QChart* chart) {
  chart->setAnimationOptions(QChart::NoAnimation);  // live data: animations only lag behind
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->legend()->setVisible(false);      // drawn as wrapped text under the plot instead (no elided entries)
  chart->legend()->setShowToolTips(true);  // full text when a long legend entry is elided
  chart->setMargins(QMargins(4, 4, 4, 4));
  chart->layout()->setContentsMargins(0, 0, 0, 0);
  chart->setBackgroundRoundness(0);
}

QChart* ChartPanel::addStackedChart(const QString& title) {
  auto* chart = new QChart;
  chart->setTitle(title);
  styleChart(chart);
  scaleChart(chart, m_typeScale);
  auto* view = new QChartView(chart, this);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumSize(160, 150);
  m_column->insertWidget(m_column->indexOf(m_footer), view, 1);
  auto* legend = new QLabel(this);
  legend->setObjectName(QStringLiteral("chartLegend"));
  legend->setWordWrap(true);
  legend->setTextFormat(Qt::RichText);
  legend->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
  legend->setFont(m_typeScale.font(TextRole::Legend, m_family));
  m_column->insertWidget(m_column->indexOf(m_footer), legend);
  m_legends.append(legend);
  m_stacked.append(chart);
  legendChanged();
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

void ChartPanel::setExplanationVisible(bool visible) {
  m_explanationWanted = visible;
  m_explanationArea->setVisible(m_explanationWanted && !m_compact);
}

void ChartPanel::setCompact(bool compact) {
  m_compact = compact;
  m_explanationArea->setVisible(m_explanationWanted && !m_compact);
  m_view->setToolTip(compact ? m_explanation->text() : QString());
}

bool ChartPanel::isExplanationShown() const { return m_explanationWanted && !m_compact; }

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

void ChartPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  for (QChart* chart : charts()) scaleChart(chart, m_typeScale);
  refreshLegends();
}

QString ChartPanel::notice() const { return m_notice->isHidden() ? QString() : m_notice->text(); }

void ChartPanel::setFooter(const QString& text) {
  m_footer->setText(text);
  m_footer->setVisible(!text.isEmpty());
}

QString ChartPanel::footer() const { return m_footer->text(); }

void ChartPanel::setTypeScale(const TypeScale& scale) {
  m_typeScale = scale;
  for (QChart* chart : charts()) scaleChart(chart, scale);
  const QFont explanation = scale.font(TextRole::Explanation, m_family);
  m_explanation->setFont(explanation);
  // About 13 to 19 characters' widths beside the chart, whatever the type size.
  m_explanationArea->setMinimumWidth(9 * scale.pixels(TextRole::Explanation));
  m_explanationArea->setMaximumWidth(19 * scale.pixels(TextRole::Explanation));
  const QFont body = scale.font(TextRole::Body, m_family);
  m_notice->setFont(body);
  m_footer->setFont(body);
  for (QLabel* legend : std::as_const(m_legends)) legend->setFont(scale.font(TextRole::Legend, m_family));
  refreshLegends();
  placeNotice();
}

void ChartPanel::scaleChart(QChart* chart, const TypeScale& scale) const {
  chart->setTitleFont(scale.font(TextRole::ChartTitle, m_family));
  chart->legend()->setFont(scale.font(TextRole::Legend, m_family));
  const QFont ticks = scale.font(TextRole::Tick, m_family);
  const QFont titles = scale.font(TextRole::AxisTitle, m_family);
  for (QAbstractAxis* axis : chart->axes()) {
    if (axis->labelsFont() != ticks) axis->setLabelsFont(ticks);
    if (axis->titleFont() != titles) axis->setTitleFont(titles);
  }
  for (QAbstractSeries* series : chart->series()) {
    auto* xy = qobject_cast<QXYSeries*>(series);
    if (!xy) continue;
    const QVariant width = xy->property("kvlabBaseWidth");
    if (!width.isValid()) continue;
    QPen pen = xy->pen();
    pen.setWidthF(width.toDouble() * scale.lineScale());
    if (pen != xy->pen()) xy->setPen(pen);
  }
}

void ChartPanel::renderChart(QPainter* painter, const QRectF& target) const {
  // Lay each chart out for its share of the target, render its scene 1:1 into it, then give the view its
  // size back: the export fills its canvas instead of keeping the on-screen aspect ratio with a blank band.
  const QList<QChart*> all = charts();
  const double height = target.height() / double(all.size());
  const TypeScale exportScale = TypeScale::exported();
  for (qsizetype i = 0; i < all.size(); ++i) {
    QChart* chart = all[i];
    const QRectF part(target.left(), target.top() + double(i) * height, target.width(), height);
    // The legend, wrapped to the canvas' width, under the plot.
    QTextDocument legend;
    legend.setDefaultFont(exportScale.font(TextRole::Legend, m_family));
    legend.setDocumentMargin(2);
    legend.setHtml(QStringLiteral("<div align=center>%1</div>")
                       .arg(legendHtmlFor(chart, exportScale.pixels(TextRole::Legend))));
    legend.setTextWidth(part.width());
    const double legendHeight = legend.isEmpty() ? 0 : std::min(legend.size().height(), part.height() * 0.4);
    const QRectF plot(part.left(), part.top(), part.width(), part.height() - legendHeight);
    const QSizeF onScreen = chart->size();
    scaleChart(chart, exportScale);
    chart->resize(plot.size());
    chart->layout()->invalidate();
    chart->layout()->activate();
    chart->scene()->render(painter, plot, QRectF(chart->pos(), plot.size()), Qt::IgnoreAspectRatio);
    scaleChart(chart, m_typeScale);
    chart->resize(onScreen);
    chart->layout()->invalidate();
    chart->layout()->activate();
    if (legendHeight > 0) {
      painter->save();
      painter->translate(plot.left(), plot.bottom());
      legend.drawContents(painter, QRectF(0, 0, part.width(), legendHeight));
      painter->restore();
    }
  }
}

QByteArray ChartPanel::toPng(const QSize& size) const {
  return renderPng(size, [this](QPainter& painter, const QRectF& target) { renderChart(&painter, target); });
}

QByteArray ChartPanel::toSvg(const QSize& size) const {
  return renderSvg(size, m_title,
                   [this](QPainter& painter, const QRectF& target) { renderChart(&painter, target); });
}

QStringList ChartPanel::writeFiles(const QString& dir, const QSize& size) const {
  const QDir d(dir);
  QStringList written;
  const auto write = [&](const QString& name, const QByteArray& bytes) {
    written << d.filePath(name);
    if (bytes.isEmpty()) throw std::runtime_error("nothing to write to " + written.last().toStdString());
    writeFileAtomically(written.last().toStdString(), bytes.toStdString());
  };
  write(m_fileStem + QStringLiteral(".png"), toPng(size));
  write(m_fileStem + QStringLiteral(".svg"), toSvg(size));
  const std::string data = csv();
  if (!data.empty()) write(m_fileStem + QStringLiteral(".csv"), QByteArray::fromStdString(data));
  return written;
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
  QPen pen(color, width * m_typeScale.lineScale());
  pen.setStyle(style);
  series->setPen(pen);
  series->setProperty("kvlabBaseWidth", width);
  QChart* chart = into ? into : m_chart;
  chart->addSeries(series);
  series->attachAxis(x);
  series->attachAxis(y);
  scaleChart(chart, m_typeScale);  // axes added since the last styling get the scale's fonts too
  connect(series, &QXYSeries::nameChanged, this, &ChartPanel::legendChanged);
  connect(series, &QXYSeries::visibleChanged, this, &ChartPanel::legendChanged);
  legendChanged();
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
  // Each earlier run its own colour (the same in every chart), named by what differs between the runs.
  const int k = m_history ? m_history->earlierIndex(run) : -1;
  const QColor c = k >= 0 ? ChartPalette::earlierRun(k) : ChartPalette::faded(color);
  QLineSeries* series =
      addLine(m_history ? m_history->legendLabel(run) : run.label, c, 1.5, x, y, Qt::DashLine);
  series->replace(decimate(points));
  m_earlierSeries.append(series);
  return series;
}

}  // namespace kvlab
