// SPDX-License-Identifier: MIT
#pragma once
// The PDF report as a flow of blocks on A4 pages: headings, HTML text, charts with their explanation and
// on-screen notes, and free drawings. A block that does not fit the rest of the page starts the next one;
// a page is only started for a block that goes on it, so the report never has an empty page. Each page of
// the app (Live, Workload, Serving, Fleet, Tune) appends its own section (PageWidget::appendReport).
// GUI thread (it renders widgets). The caller owns the QPdfWriter and ends it after finish().
#include <QPainter>
#include <QRectF>
#include <QString>
#include <functional>

class QPdfWriter;

namespace kvlab {

class ChartPanel;

class ReportDocument {
public:
  explicit ReportDocument(QPdfWriter& writer);
  ~ReportDocument();
  ReportDocument(const ReportDocument&) = delete;
  ReportDocument& operator=(const ReportDocument&) = delete;

  QRectF page() const { return m_page; }  // device pixels, margins excluded
  int pages() const { return m_pages; }   // started so far

  // A section: starts on a new page (unless the current one is still empty) with a title and, in large
  // type, the page's headline and its explanation.
  void section(const QString& title, const QString& headline = {}, const QString& detail = {});
  // HTML that flows across pages when it is longer than one.
  void html(const QString& html);
  // A chart (every stacked plot of it) at `fraction` of the page height, then its explanation, the notice
  // it shows over the plot and its footer, as on screen.
  void chart(const ChartPanel& chart, double fraction = 0.42);
  // Any drawing at `fraction` of the page height, with a caption under it.
  void drawing(const std::function<void(QPainter&, const QRectF&)>& paint, double fraction,
               const QString& caption = {});
  void finish();

private:
  void ensureRoom(double height);  // a new page when `height` does not fit under m_y (never on an empty one)
  double htmlHeight(const QString& html) const;
  void drawHtml(const QString& html);
  QPdfWriter& m_writer;
  QPainter m_painter;
  QRectF m_page;
  double m_y = 0;       // where the next block goes
  bool m_used = false;  // something was drawn on the current page
  int m_pages = 1;
  int m_sections = 0;
};

}  // namespace kvlab
