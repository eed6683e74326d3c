// SPDX-License-Identifier: MIT
#include "ui/miss_ratio_chart.h"

#include <QPen>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <map>

#include "core/policies/policy_registry.h"
#include "core/util/units.h"
#include "ui/chart_palette.h"
#include "ui/log_axis_labels.h"
#include "ui/tune_results.h"

namespace kvlab {

namespace {

// The swept size nearest to axis position x (log10 tokens).
std::uint64_t nearestSize(const std::vector<std::uint64_t>& sizes, double x) {
  std::uint64_t best = sizes.empty() ? 0 : sizes.front();
  double bestD = INFINITY;
  for (const std::uint64_t s : sizes) {
    const double d = std::abs(LogAxisLabels::toAxis(double(s)) - x);
    if (d < bestD) {
      bestD = d;
      best = s;
    }
  }
  return best;
}

}  // namespace

MissRatioChart::MissRatioChart(QWidget* parent)
    : ChartPanel(nullptr, QStringLiteral("tune-miss-ratio"), tr("Hit rate vs cache size, per policy"),
                 tr("<b>Miss-ratio curves.</b> Token hit rate of a replay of the whole source at each cache "
                    "size (log axis), one line per eviction policy. <b>Dashed black</b>: Belady (farthest "
                    "next use) over the prefix tree: it evicts the leaf block needed farthest in the future "
                    "and does not cache a block needed later than everything cached; a reference, not a "
                    "proven optimum (where it falls below a real policy the legend says so). <b>Grey dashed</b>: an infinite cache (every reuse hits). <b>Rings</b>: knees, the "
                    "smallest size reaching 90% of that policy's hit rate at the largest size swept. "
                    "<b>Vertical line</b>: the size chosen above the table. Top axis: the same sizes in "
                    "bytes of K/V for the chosen model. Click a point to open it in the Live view."),
                 parent) {
  const LogAxisLabels::HitRateAxes axes = LogAxisLabels::addHitRateAxes(chart(), tr("cache size (tokens, log)"));
  m_x = axes.size;
  m_bytes = axes.bytes;
  m_y = axes.rate;
  LogAxisLabels::setCountRange(m_x, 1e3, 1e6);
  LogAxisLabels::setCountRange(m_bytes, 1e3, 1e6);
  setNiceRange(m_y, 0, 100);

  m_bound = addLine(tr("infinite cache"), QColor(0x77, 0x77, 0x77), 1.5, m_x, m_y, Qt::DashLine);
  m_chosen = addLine(tr("chosen size"), QColor(0x33, 0x33, 0x33), 1.0, m_x, m_y, Qt::DotLine);
  m_chosen->setObjectName(QStringLiteral("tuneChosenSize"));
  m_knees = new QScatterSeries;
  m_knees->setName(tr("knees"));
  m_knees->setMarkerSize(13);
  m_knees->setColor(Qt::transparent);
  m_knees->setBorderColor(Qt::black);
  m_knees->setPen(QPen(Qt::black, 2));
  chart()->addSeries(m_knees);
  m_knees->attachAxis(m_x);
  m_knees->attachAxis(m_y);
  setNotice(tr("Choose a source and press Sweep."));
}

QLineSeries* MissRatioChart::curveFor(const std::string& policy) {
  const QString name = QString::fromStdString(policy);
  if (QLineSeries* s = m_curves.value(name)) return s;
  const bool opt = policy == "opt";
  QLineSeries* s = addLine(QString::fromStdString(policyLabel(policy)), ChartPalette::policy(policy),
                           opt ? 2.5 : 2.0, m_x, m_y, opt ? Qt::DashLine : Qt::SolidLine);
  s->setPointsVisible(true);
  s->setProperty("kvlabPolicy", name);
  connect(s, &QXYSeries::clicked, this, [this, name](const QPointF& p) {
    if (m_results && !m_results->info.sizes.empty())
      Q_EMIT pointActivated(name, nearestSize(m_results->info.sizes, p.x()));
  });
  attachTooltip(s, [this, policy](const QPointF& p) {
    if (!m_results) return QString();
    const std::uint64_t size = nearestSize(m_results->info.sizes, p.x());
    const SweepPoint* point = m_results->find(policy, 0, size);
    if (!point) return QString();
    return tr("%1\n%2 tokens = %3 of K/V (%4)\ntoken hit rate %5%, block hit rate %6%%7\nclick: open in "
              "the Live view")
        .arg(QString::fromStdString(policyLabel(policy)), LogAxisLabels::countText(double(size)),
             QString::fromStdString(formatBytes(saturatingMul(size, m_results->bytesPerToken))),
             QString::fromStdString(m_results->model))
        .arg(100 * point->result.tokenHitRate(), 0, 'f', 2)
        .arg(100 * point->result.blockHitRate(), 0, 'f', 2)
        .arg(point->knee ? tr("\nknee of this curve") : QString());
  });
  m_curves.insert(name, s);
  return s;
}

void MissRatioChart::setResults(const TuneResults& results) {
  m_results = &results;
  const TuneSourceInfo& info = results.info;
  setNotice(results.empty() ? tr("Choose a source and press Sweep.") : QString());
  // Curves of policies no longer swept go; the others get their finished points in size order.
  for (auto it = m_curves.begin(); it != m_curves.end();) {
    if (std::find(info.policies.begin(), info.policies.end(), it.key().toStdString()) ==
        info.policies.end()) {
      chart()->removeSeries(it.value());
      delete it.value();
      it = m_curves.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<SweepPoint> points = results.curves;
  TraceSweep::markKnees(points);
  std::map<std::string, std::size_t> finished;
  for (const SweepPoint& p : points) ++finished[p.config.policy];
  double top = 0;
  QList<QPointF> knees;
  std::map<std::string, QList<QPointF>> lines;
  for (const std::string& policy : info.policies) {
    QList<QPointF>& line = lines[policy];
    for (const SweepPoint& p : points)
      if (p.config.policy == policy) {
        line.append({LogAxisLabels::toAxis(double(p.config.maxTokens)), 100 * p.result.tokenHitRate()});
        top = std::max(top, line.back().y());
        // A knee is only defined once the curve has its largest size.
        if (p.knee && finished[policy] == info.sizes.size()) knees.append(line.back());
      }
    std::sort(line.begin(), line.end(), [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
    curveFor(policy)->replace(line);
  }
  // Names: a complete curve identical to an earlier one is drawn under it: say so in the legend. Belady
  // below an online policy at some size is no bound there: say so too.
  bool beladyBelow = false;
  for (std::size_t i = 0; i < info.policies.size(); ++i) {
    const std::string& policy = info.policies[i];
    QString name = QString::fromStdString(policyLabel(policy));
    const bool complete = finished[policy] == info.sizes.size() && !info.sizes.empty();
    for (std::size_t j = 0; complete && j < i; ++j)
      if (lines[info.policies[j]] == lines[policy] && finished[info.policies[j]] == info.sizes.size()) {
        name += tr(" (= %1)").arg(QString::fromStdString(policyLabel(info.policies[j])));
        break;
      }
    if (policy == "opt")
      for (const std::string& other : info.policies) {
        if (other == "opt") continue;
        for (const QPointF& q : lines[other])
          for (const QPointF& b : lines[policy])
            beladyBelow = beladyBelow || (b.x() == q.x() && b.y() + 1e-9 < q.y());
      }
    if (policy == "opt" && beladyBelow) name += tr(", below a real policy: not a bound here");
    curveFor(policy)->setName(name);
  }
  m_knees->replace(knees);
  m_knees->setVisible(!knees.isEmpty());
  const double lo = info.sizes.empty() ? 1e3 : double(info.sizes.front());
  const double hi = info.sizes.empty() ? 1e6 : double(info.sizes.back());
  // A 15 % margin on the log scale keeps the end points off the frame.
  const double xmin = std::max(1.0, lo / 1.15), xmax = hi * 1.15;
  LogAxisLabels::setCountRange(m_x, xmin, xmax);
  const double bpt = double(std::max<std::uint64_t>(results.bytesPerToken, 1));
  LogAxisLabels::setBytesRange(m_bytes, xmin, xmax, bpt);
  m_bytes->setTitleText(results.empty()
                            ? tr("K/V bytes")
                            : tr("K/V bytes for %1 (%2 per token)")
                                  .arg(QString::fromStdString(results.model),
                                       QString::fromStdString(formatBytes(results.bytesPerToken))));
  const double bound = 100 * info.unlimited.tokenHitRate();
  m_bound->setName(tr("infinite cache %1%").arg(bound, 0, 'f', 1));
  m_bound->setVisible(!results.empty());
  m_bound->replace(results.empty() ? QList<QPointF>{}
                                   : QList<QPointF>{{LogAxisLabels::toAxis(xmin), bound},
                                                    {LogAxisLabels::toAxis(xmax), bound}});
  m_top = std::max({top, bound, 1.0});
  setNiceRange(m_y, 0, m_top);
  drawChosen();
  setFooter(results.empty() ? QString()
                            : tr("%1 · block size %2 tokens · %3 requests · footprint %4 tokens")
                                  .arg(QString::fromStdString(info.source))
                                  .arg(info.blockSize)
                                  .arg(info.requests)
                                  .arg(info.footprintTokens));
}

void MissRatioChart::setChosenSize(quint64 tokens) {
  m_chosenTokens = tokens;
  drawChosen();
}

void MissRatioChart::drawChosen() {
  const bool shown = m_chosenTokens > 0 && m_results && !m_results->empty();
  const double x = shown ? LogAxisLabels::toAxis(double(m_chosenTokens)) : 0;
  m_chosen->replace(shown ? QList<QPointF>{{x, 0}, {x, m_top}} : QList<QPointF>{});
  m_chosen->setName(shown ? tr("chosen: %1 tokens").arg(LogAxisLabels::countText(double(m_chosenTokens)))
                          : tr("chosen size"));
  m_chosen->setVisible(shown);
  legendChanged();
}

}  // namespace kvlab
