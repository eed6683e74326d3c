// SPDX-License-Identifier: MIT
#include "ui/serving_queue_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <sstream>

#include "core/util/csv_writer.h"
#include "ui/chart_palette.h"
#include "ui/serving_comparison.h"

namespace kvlab {

ServingQueueChart::ServingQueueChart(QWidget* parent)
    : ChartPanel(nullptr, QStringLiteral("serving-queue"), tr("Waiting requests over time"),
                 tr("<b>What am I looking at?</b><br>Requests that have arrived but are not yet admitted "
                    "to the running batch, over simulated time, with prefix caching and without. A line "
                    "that keeps rising: requests arrive faster than the engine serves them, and each one "
                    "waits behind all the others. Thin dashed lines, right axis: preemptions so far (a "
                    "running request that lost its KV blocks and is recomputed later)."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("simulated time (s, cost model)"));
  m_y = new QValueAxis;
  m_y->setTitleText(tr("waiting requests"));
  m_preemptY = new QValueAxis;
  m_preemptY->setTitleText(tr("preemptions so far"));
  m_preemptY->setGridLineVisible(false);
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  chart()->addAxis(m_preemptY, Qt::AlignRight);
  // Preemptions first: drawn under the queue lines they would otherwise hide.
  m_preemptWith = addLine(tr("preemptions, with"), ChartPalette::faded(ChartPalette::cached()), 1.0, m_x,
                          m_preemptY, Qt::DashLine);
  m_preemptWithout = addLine(tr("preemptions, without"), ChartPalette::faded(ChartPalette::uncached()), 1.0,
                             m_x, m_preemptY, Qt::DashLine);
  m_waitWith = addLine(tr("waiting, with prefix caching"), ChartPalette::cached(), 2.5, m_x, m_y);
  m_waitWithout = addLine(tr("waiting, without"), ChartPalette::uncached(), 2.5, m_x, m_y);
  setNiceRange(m_x, 0, 1);
  setCountRange(m_y, 1);
  setCountRange(m_preemptY, 1);
}

void ServingQueueChart::setData(const ServingComparison& data) {
  double maxT = 0, maxWait = 0, maxPreempt = 0;
  const auto fill = [&](const ServingSide& side, QLineSeries* wait, QLineSeries* preempt) {
    QList<QPointF> w, p;
    for (const ServingTimelinePoint& t : side.points) {
      w.append({t.timeS, double(t.waiting)});
      p.append({t.timeS, double(t.preemptions)});
      maxT = std::max(maxT, t.timeS);
      maxWait = std::max(maxWait, double(t.waiting));
      maxPreempt = std::max(maxPreempt, double(t.preemptions));
    }
    wait->replace(decimate(w));
    preempt->replace(decimate(p));
  };
  fill(data.sides[0], m_waitWith, m_preemptWith);
  fill(data.sides[1], m_waitWithout, m_preemptWithout);
  setNiceRange(m_x, 0, std::max(maxT, 1e-3));  // ends at the data (3 % margin), not at the next round number
  setCountRange(m_y, maxWait);
  setCountRange(m_preemptY, maxPreempt);
  legendChanged();
}

std::string ServingQueueChart::csv() const {
  std::ostringstream out;
  CsvWriter csv(out);
  csv.row({"prefix_cache", "time_s", "waiting", "preemptions_so_far"});
  for (const auto& [side, wait, preempt] :
       {std::tuple{"on", m_waitWith, m_preemptWith}, std::tuple{"off", m_waitWithout, m_preemptWithout}}) {
    const QList<QPointF> w = wait->points(), p = preempt->points();
    for (qsizetype i = 0; i < w.size() && i < p.size(); ++i) {
      csv.field(side).field(w[i].x()).field(w[i].y()).field(p[i].y());
      csv.endRow();
    }
  }
  return out.str();
}

}  // namespace kvlab
