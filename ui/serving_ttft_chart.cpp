// SPDX-License-Identifier: MIT
#include "ui/serving_ttft_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/util/csv_writer.h"
#include "ui/chart_palette.h"
#include "ui/serving_comparison.h"

namespace kvlab {

namespace {
constexpr int kMaxPoints = 600;  // per curve: a quantile every 1/600 of the requests

// (ttft s, % of requests with a TTFT at most that), at most kMaxPoints, the last one at 100 %.
QList<QPointF> cumulative(const std::vector<ServingRequestResult>& done) {
  std::vector<double> s;
  s.reserve(done.size());
  for (const ServingRequestResult& r : done) s.push_back(std::max(r.ttftMs() / 1e3, 1e-4));
  std::sort(s.begin(), s.end());
  QList<QPointF> points;
  const std::size_t n = s.size();
  if (n == 0) return points;
  const std::size_t step = std::max<std::size_t>(1, n / kMaxPoints);
  for (std::size_t k = step - 1; k < n; k += step) points.append({s[k], 100.0 * double(k + 1) / double(n)});
  if (points.last().y() < 100) points.append({s.back(), 100.0});
  return points;
}
}  // namespace

ServingTtftChart::ServingTtftChart(QWidget* parent)
    : ChartPanel(nullptr, QStringLiteral("serving-ttft"),
                 tr("Time to first token: with vs without the cache"),
                 tr("<b>What am I looking at?</b><br>Each line: the share of requests whose first token came "
                    "within the time on the x axis (a cumulative distribution, log axis: each grid step is "
                    "10× longer). The further left, the faster. A line crosses 50 % at its median TTFT and "
                    "99 % at its p99. Both runs serve the same requests on the same cost model; only prefix "
                    "caching differs."),
                 parent) {
  m_x = newLogAxis(tr("time to first token (s, cost model, log)"));
  m_y = new QValueAxis;
  m_y->setTitleText(tr("requests (%)"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  setNiceRange(m_y, 0, 100);
  m_x->setRange(0.01, 100);
  m_with = addLine(tr("with prefix caching"), ChartPalette::cached(), 3.0, m_x, m_y);
  m_without = addLine(tr("without"), ChartPalette::uncached(), 3.0, m_x, m_y);
  m_with->setObjectName(QStringLiteral("servingTtftWith"));
  m_without->setObjectName(QStringLiteral("servingTtftWithout"));
  const auto tip = [](const QPointF& p) {
    return tr("%1 % of requests got their first token within %2 s")
        .arg(p.y(), 0, 'f', 1)
        .arg(p.x(), 0, 'g', 3);
  };
  attachTooltip(m_with, tip);
  attachTooltip(m_without, tip);
  setNotice(tr("Press Simulate: the source is served with and without prefix caching."));
}

void ServingTtftChart::setData(const ServingComparison& data) {
  const QList<QPointF> with = cumulative(data.sides[0].done);
  const QList<QPointF> without = cumulative(data.sides[1].done);
  m_with->replace(with);
  m_without->replace(without);
  double lo = INFINITY, hi = 0;
  for (const QList<QPointF>* line : {&with, &without})
    for (const QPointF& p : *line) {
      lo = std::min(lo, p.x());
      hi = std::max(hi, p.x());
    }
  if (hi > 0) {
    // Whole decades around the data, so the labels are 0.1, 1, 10, ... and the ends are not cut.
    m_x->setRange(std::pow(10.0, std::floor(std::log10(lo))),
                  std::pow(10.0, std::ceil(std::log10(hi) + 1e-9)));
  }
  setNotice(data.empty() ? tr("Press Simulate: the source is served with and without prefix caching.")
                         : QString());
  legendChanged();
}

std::string ServingTtftChart::csv() const {
  std::ostringstream out;
  CsvWriter csv(out);
  csv.row({"prefix_cache", "ttft_s", "share_of_requests"});
  for (const auto& [side, series] : {std::pair{"on", m_with}, std::pair{"off", m_without}})
    for (const QPointF& p : series->points()) {
      csv.field(side).field(p.x()).field(p.y() / 100.0);
      csv.endRow();
    }
  return out.str();
}

}  // namespace kvlab
