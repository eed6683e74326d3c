// SPDX-License-Identifier: MIT
#include "ui/report_document.h"

#include <QAbstractTextDocumentLayout>
#include <QPdfWriter>
#include <QTextDocument>
#include <algorithm>

#include "ui/chart_panel.h"

namespace kvlab {

namespace {
constexpr double kGap = 18;  // device pixels between blocks (150 dpi: ~3 mm)

// Report text: 10 pt body at the writer's resolution; headline 18 pt.
QString styled(const QString& html) {
  return QStringLiteral(
             "<html><head><style>body{font-size:10pt} h1{font-size:20pt} h2{font-size:16pt} "
             "h3{font-size:12pt} .headline{font-size:17pt; font-weight:bold} .detail{font-size:11pt}"
             "</style></head><body>%1</body></html>")
      .arg(html);
}
}  // namespace

ReportDocument::ReportDocument(QPdfWriter& writer) : m_writer(writer), m_painter(&writer) {
  m_page = QRectF(QPointF(0, 0), QSizeF(writer.width(), writer.height()));
}

ReportDocument::~ReportDocument() { finish(); }

void ReportDocument::finish() {
  if (m_painter.isActive()) m_painter.end();
}

void ReportDocument::ensureRoom(double height) {
  if (!m_used || m_y + height <= m_page.height()) return;
  m_writer.newPage();
  ++m_pages;
  m_y = 0;
  m_used = false;
}

double ReportDocument::htmlHeight(const QString& html) const {
  QTextDocument doc;
  doc.documentLayout()->setPaintDevice(&m_writer);
  doc.setHtml(styled(html));
  doc.setTextWidth(m_page.width());
  return doc.size().height();
}

void ReportDocument::drawHtml(const QString& html) {
  QTextDocument doc;
  doc.documentLayout()->setPaintDevice(&m_writer);
  doc.setHtml(styled(html));
  doc.setTextWidth(m_page.width());
  const double total = doc.size().height();
  ensureRoom(std::min(total, m_page.height()));
  if (m_y + total <= m_page.height()) {
    m_painter.save();
    m_painter.translate(0, m_y);
    doc.drawContents(&m_painter, QRectF(0, 0, m_page.width(), total));
    m_painter.restore();
    m_y += total + kGap;
    m_used = true;
    return;
  }
  // Longer than a page: QTextDocument paginates (never splitting a line), one page after the other.
  doc.setPageSize(m_page.size());
  const int count = doc.pageCount();
  for (int i = 0; i < count; ++i) {
    if (i > 0 || m_used) {
      m_writer.newPage();
      ++m_pages;
    }
    m_painter.save();
    m_painter.translate(0, -i * m_page.height());
    doc.drawContents(&m_painter, QRectF(0, i * m_page.height(), m_page.width(), m_page.height()));
    m_painter.restore();
    m_used = true;
  }
  m_y = m_page.height();  // the next block starts a page
}

void ReportDocument::section(const QString& title, const QString& headline, const QString& detail) {
  // The first section shares the first page with the report's title; each later one starts a page.
  const bool first = m_sections++ == 0;
  if (m_used && !first) {
    m_writer.newPage();
    ++m_pages;
    m_y = 0;
    m_used = false;
  }
  QString html = QStringLiteral("<h2>%1</h2>").arg(title.toHtmlEscaped());
  if (!headline.isEmpty()) html += QStringLiteral("<p class='headline'>%1</p>").arg(headline.toHtmlEscaped());
  if (!detail.isEmpty()) html += QStringLiteral("<p class='detail'>%1</p>").arg(detail.toHtmlEscaped());
  drawHtml(html);
}

void ReportDocument::html(const QString& html) {
  if (!html.isEmpty()) drawHtml(html);
}

void ReportDocument::chart(const ChartPanel& chart, double fraction) {
  QString notes = QStringLiteral("<small>%1</small>").arg(chart.explanation());
  if (!chart.notice().isEmpty())
    notes = QStringLiteral("<p><b>%1</b></p>").arg(chart.notice().toHtmlEscaped()) + notes;
  if (!chart.footer().isEmpty()) notes += QStringLiteral("<p>%1</p>").arg(chart.footer().toHtmlEscaped());
  const double plots = double(chart.charts().size());
  const double height = m_page.height() * std::min(0.8, fraction * (plots > 1 ? 1.6 : 1.0));
  // The chart and at least the start of its notes on the same page.
  ensureRoom(height + std::min(htmlHeight(notes), m_page.height() * 0.2));
  chart.renderChart(&m_painter, QRectF(0, m_y, m_page.width(), height));
  m_y += height + 6;
  m_used = true;
  drawHtml(notes);
}

void ReportDocument::drawing(const std::function<void(QPainter&, const QRectF&)>& paint, double fraction,
                             const QString& caption) {
  const double height = m_page.height() * fraction;
  ensureRoom(height + (caption.isEmpty() ? 0 : htmlHeight(caption)));
  paint(m_painter, QRectF(0, m_y, m_page.width(), height));
  m_y += height + 6;
  m_used = true;
  if (!caption.isEmpty())
    drawHtml(caption);
  else
    m_y += kGap;
}

}  // namespace kvlab
