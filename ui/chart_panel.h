// SPDX-License-Identifier: MIT
#pragma once
// Base of every chart panel: a QChartView with the chart, a short "what am I looking at" text beside it,
// hover tooltips, export to PNG/SVG, and the compare-runs plumbing. Subclasses build their series once
// and, in refresh(), replace their points from the RunHistory they observe (never append point by point).
// Redraws follow RunHistory::updated, which the RunController already coalesces to <= 30 Hz.
// A panel may stack further charts under the first (addStackedChart); exports render them all, top to
// bottom. A panel says which runs it applies to (appliesTo): MainWindow shows only those, exports skip the
// others, and a panel that does not apply to the current run says why over its plot.
// Legends: Qt Charts elides legend entries that do not fit one row ("TTFT u…"). Each chart's legend is
// drawn instead as wrapped text under its plot (a swatch per entry, from the chart's own legend markers),
// on screen and in exports, so no entry is ever cut off.
#include <QFont>
#include <QList>
#include <QPointF>
#include <QSize>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <functional>
#include <string>

#include "ui/type_scale.h"

class QAbstractAxis;
class QTimer;
class QChart;
class QVBoxLayout;
class QChartView;
class QLabel;
class QLineSeries;
class QLogValueAxis;
class QPainter;
class QScrollArea;
class QValueAxis;
class QXYSeries;

namespace kvlab {

class RunHistory;
struct RunTrack;

class ChartPanel : public QWidget {
  Q_OBJECT
public:
  // history may be nullptr for a chart whose page feeds it directly (refresh() is then never called by
  // the base class).
  ChartPanel(const RunHistory* history, QString fileStem, const QString& title, const QString& explanation,
             QWidget* parent = nullptr);

  QChart* chart() const { return m_chart; }
  // The first chart, then the stacked ones, top to bottom.
  QList<QChart*> charts() const;
  QString title() const { return m_title; }
  QString fileStem() const { return m_fileStem; }  // "hit-rate": export file names
  QString explanation() const;
  void setExplanationVisible(bool visible);  // View ▸ Explanations
  // Compact: the explanation leaves the side of the chart for the chart's tooltip (a layout with three
  // columns has no room beside each chart); View ▸ Explanations still decides in the normal layout.
  void setCompact(bool compact);
  bool isExplanationShown() const;

  // Whether this chart means something for `run` (nullptr: no run yet). Default: every run except the
  // decode scenario's, which does not use the shared prefix cache these charts are about.
  virtual bool appliesTo(const RunTrack* run) const;
  static bool isDecodeRun(const RunTrack* run);
  // The chart's data as CSV (header line first), written beside its PNG/SVG by the exports; "" = none.
  virtual std::string csv() const { return {}; }

  // Fonts and line widths of the charts, the explanation, the notice and the footer (ui/type_scale.h):
  // the window's, or presentation mode's projector sizes. Exports always render with TypeScale::exported().
  void setTypeScale(const TypeScale& scale);
  const TypeScale& typeScale() const { return m_typeScale; }
  // A sentence over the plot area, e.g. why a chart is empty ("" hides it).
  void setNotice(const QString& text);
  QString notice() const;
  // A line of numbers under the chart ("" hides it).
  void setFooter(const QString& text);
  QString footer() const;
  // The legend of chart i (0 = the first) as shown under it: rich text, and the plain entry names.
  QString legendHtml(int chart = 0) const;
  QStringList legendEntries(int chart = 0) const;
  QLabel* legendLabel(int chart = 0) const;

  // Renders the chart (without the explanation) into target, laid out for the target's size (so the
  // export fills its canvas) and with the export type scale; used by PNG, SVG and PDF export.
  // Stacked charts share the height equally. The on-screen chart is given its size and fonts back.
  void renderChart(QPainter* painter, const QRectF& target) const;
  QByteArray toPng(const QSize& size) const;
  QByteArray toSvg(const QSize& size) const;
  // <stem>.png and <stem>.svg at `size`, and <stem>.csv when csv() has data, into dir (atomically);
  // returns the paths. Throws std::runtime_error naming a path that could not be written.
  static constexpr QSize kExportSize{1200, 750};
  QStringList writeFiles(const QString& dir, const QSize& size = kExportSize) const;

  // Plot-area units for byte axes: chooses B/KiB/MiB/GiB so the largest value reads as 1..1024.
  struct ByteScale {
    double divisor = 1;
    QString unit = QStringLiteral("B");
  };
  static ByteScale byteScale(double maxBytes);
  // At most about maxPoints points: the points are cut into maxPoints / 2 buckets by index and each bucket
  // keeps its minimum and its maximum (in x order), so spikes stay visible; the first and last points are
  // always kept.
  static QList<QPointF> decimate(const QList<QPointF>& points, int maxPoints = 1500);
  // Axis tick step for [0, max] with about `ticks` intervals: 1, 2, 2.5 or 5 x 10^k.
  static double niceStep(double max, int ticks = 5);
  // printf format with just enough decimals for labels `step` apart ("%.0f" for whole steps).
  static QString labelFormatFor(double step);

protected:
  void resizeEvent(QResizeEvent* event) override;  // keeps the notice centred
  void showEvent(QShowEvent* event) override;      // styles axes added after construction
  // Series, names or colours changed outside refresh() (charts fed by their page): redraw the legend.
  void legendChanged();
  const RunHistory* history() const { return m_history; }
  virtual void refresh() = 0;       // current run changed: replace the live series' points
  virtual void rebuildEarlier() {}  // the set of earlier runs changed: rebuild faded series
  // The notice over the plot when appliesTo(current run) is false. Default: about the decode scenario.
  virtual QString notApplicableText() const;

  // Adds to `into` (a stacked chart), or to the first chart when null; x and y must belong to it.
  QLineSeries* addLine(const QString& name, const QColor& color, qreal width, QAbstractAxis* x,
                       QAbstractAxis* y, Qt::PenStyle style = Qt::SolidLine, QChart* into = nullptr);
  // A further chart under the others, styled like the first (title font, legend, no animation).
  QChart* addStackedChart(const QString& title);
  // Shows text(point) in a tooltip while the mouse is over the series.
  void attachTooltip(QXYSeries* series, std::function<QString(const QPointF&)> text);
  // 0..max hugging the data (a 3 % margin, no rounding up to the next nice number), ticks at nice values.
  static void setNiceRange(QValueAxis* axis, double min, double max);
  // 0..max for counts: whole-number ticks (1, 2 or 5 x 10^k apart), never 0, 0, 1, 1; no padding.
  static void setCountRange(QValueAxis* axis, double max);
  // 0..ticks*step with exactly `ticks` intervals, so two axes set this way share their grid lines.
  static double setAlignedRange(QValueAxis* axis, double max, int ticks);
  // A base-10 log axis with plain-number labels (1000000, 0.001; no 1e+06) and 8 minor ticks per decade.
  static QLogValueAxis* newLogAxis(const QString& title);

  // Removes every faded series from earlier runs (subclasses add them again in rebuildEarlier()).
  void removeEarlierSeries();
  QLineSeries* addEarlierLine(const RunTrack& run, const QList<QPointF>& points, const QColor& color,
                              QAbstractAxis* x, QAbstractAxis* y);

private:
  void placeNotice();
  void styleChart(QChart* chart);
  void scaleChart(QChart* chart, const TypeScale& scale) const;
  void followHistory(bool rebuild);  // after a history signal: rebuildEarlier() if asked, refresh(), notices
  void refreshLegends();
  static QString legendHtmlFor(const QChart* chart, int swatchPx);
  void showNotApplicable();  // the "not for this run" notice
  const RunHistory* m_history;
  QString m_fileStem;
  QString m_title;
  QChart* m_chart = nullptr;
  QChartView* m_view = nullptr;
  QList<QChart*> m_stacked;  // owned by their views
  QList<QLabel*> m_legends;  // one per chart, under its view
  QTimer* m_legendTimer = nullptr;
  QVBoxLayout* m_column = nullptr;
  bool m_notApplicableShown = false;
  QLabel* m_explanation = nullptr;
  QScrollArea* m_explanationArea = nullptr;  // scrolls a long explanation instead of cutting it off
  bool m_explanationWanted = true;
  bool m_compact = false;
  QLabel* m_notice = nullptr;
  QLabel* m_footer = nullptr;
  TypeScale m_typeScale = TypeScale::window();
  QFont m_family;  // the widget font at construction: the type scale sets its size
  QList<QLineSeries*> m_earlierSeries;
};

}  // namespace kvlab
