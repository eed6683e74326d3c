// SPDX-License-Identifier: MIT
#include "ui/lru_curve_chart.h"

#include <QPen>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/analyze/trace_analysis.h"
#include "core/util/units.h"
#include "ui/chart_palette.h"
#include "ui/log_axis_labels.h"

namespace kvlab {

namespace {
constexpr int kLogSamples = 240;
}

LruCurveChart::LruCurveChart(QWidget* parent)
    : ChartPanel(nullptr, QStringLiteral("workload-lru-curve"), tr("LRU hit rate at every cache size"),
                 tr("<b>How much cache this workload needs.</b> Token hit rate of an LRU block cache at every "
                    "size (log axis, in blocks of the trace's block size), from one pass over the trace: a "
                    "block's stack distance decides whether it is cached at every size at once, and a block "
                    "hits only when the blocks before it in its prompt do too (prefix caching). "
                    "<b>Grey dashed</b>: an infinite cache, where every reuse hits: no cache size does better. "
                    "<b>Rings</b>: the smallest sizes reaching 50, 80, 90 and 95 % of that bound. Every "
                    "point equals <tt>kvlab-cli replay --policy lru --max-blocks N</tt> on the same trace. "
                    "Top axis: the same sizes in bytes of K/V for the chosen model."),
                 parent) {
  const LogAxisLabels::HitRateAxes axes = LogAxisLabels::addHitRateAxes(chart(), tr("cache size (blocks, log)"));
  m_x = axes.size;
  m_bytes = axes.bytes;
  m_y = axes.rate;
  LogAxisLabels::setCountRange(m_x, 1, 1e4);
  setNiceRange(m_y, 0, 100);

  m_curve = addLine(tr("LRU"), ChartPalette::policy("lru"), 2.5, m_x, m_y);
  m_curve->setObjectName(QStringLiteral("workloadLruCurve"));
  m_bound = addLine(tr("infinite cache"), QColor(0x77, 0x77, 0x77), 1.5, m_x, m_y, Qt::DashLine);
  m_sizes = new QScatterSeries;
  m_sizes->setName(tr("50/80/90/95 % of the bound"));
  m_sizes->setMarkerSize(13);
  m_sizes->setColor(Qt::transparent);
  m_sizes->setBorderColor(Qt::black);
  m_sizes->setPen(QPen(Qt::black, 2));
  chart()->addSeries(m_sizes);
  m_sizes->attachAxis(m_x);
  m_sizes->attachAxis(m_y);
  attachTooltip(m_curve, [this](const QPointF& p) -> QString {
    if (m_samples.empty()) return QString();
    // The sample nearest the pointer on the log axis.
    const Sample* best = &m_samples.front();
    for (const Sample& s : m_samples)
      if (std::abs(LogAxisLabels::toAxis(double(s.blocks)) - p.x()) <
          std::abs(LogAxisLabels::toAxis(double(best->blocks)) - p.x()))
        best = &s;
    QString text = tr("%1 blocks (%2 tokens)").arg(best->blocks).arg(LogAxisLabels::countText(double(best->blocks) * m_blockSize));
    if (m_bytesPerToken)
      text += tr(" = %1 of K/V").arg(QString::fromStdString(
                  formatBytes(saturatingMul(best->blocks * m_blockSize, m_bytesPerToken))));
    return text + tr("\ntoken hit rate %1%").arg(100 * best->rate, 0, 'f', 2);
  });
  setNotice(tr("Open a trace (File ▸ Open, or drop it here) to see how cacheable it is."));
}

void LruCurveChart::setAnalysis(const TraceAnalysis* a, std::uint64_t bytesPerToken, const QString& notice) {
  m_samples.clear();
  m_curve->clear();
  m_bound->clear();
  m_sizes->clear();
  m_bytesPerToken = bytesPerToken;
  m_bytes->setVisible(bytesPerToken > 0);
  if (!a || a->promptTokens == 0) {
    setNotice(notice.isEmpty() ? tr("No requests measured.") : notice);
    legendChanged();
    return;
  }
  m_blockSize = a->blockSize;
  // Sizes 1 .. the footprint (where LRU reaches the bound), log-spaced, plus the analysis' samples.
  const std::uint64_t top = std::max<std::uint64_t>(a->distinctBlocks, 2);
  std::vector<std::uint64_t> sizes;
  for (int i = 0; i <= kLogSamples; ++i)
    sizes.push_back(std::uint64_t(std::llround(std::pow(double(top), double(i) / kLogSamples))));
  for (const CurveSample& s : a->lruCurve) sizes.push_back(std::max<std::uint64_t>(s.capacityBlocks, 1));
  for (const BoundSize& b : a->boundSizes)
    if (b.capacityBlocks) sizes.push_back(std::max<std::uint64_t>(*b.capacityBlocks, 1));
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  QList<QPointF> points;
  for (const std::uint64_t c : sizes) {
    const CurveSample s = a->lruAt(c);
    m_samples.push_back({c, s.hitTokens, s.tokenHitRate});
    points.append({LogAxisLabels::toAxis(double(c)), 100 * s.tokenHitRate});
  }
  m_curve->replace(points);
  const double lo = 1, hi = double(sizes.back());
  const double bound = 100 * a->infiniteHitRate();
  m_bound->replace({{LogAxisLabels::toAxis(lo), bound}, {LogAxisLabels::toAxis(hi), bound}});
  for (const BoundSize& b : a->boundSizes)
    if (b.capacityBlocks)
      m_sizes->append(LogAxisLabels::toAxis(double(std::max<std::uint64_t>(*b.capacityBlocks, 1))),
                      100 * a->lruAt(*b.capacityBlocks).tokenHitRate);
  LogAxisLabels::setCountRange(m_x, lo, hi);
  if (bytesPerToken)
    LogAxisLabels::setBytesRange(m_bytes, lo, hi, double(bytesPerToken) * a->blockSize);
  setNiceRange(m_y, 0, std::min(100.0, std::max(1.0, bound * 1.15)));
  setNotice(a->infiniteHitTokens == 0 ? tr("No prompt reuses a block of an earlier one: nothing to cache.")
                                      : QString());
  setFooter(tr("bound %1% of %2 prompt tokens · footprint %3 blocks")
                .arg(bound, 0, 'f', 1)
                .arg(LogAxisLabels::countText(double(a->promptTokens)))
                .arg(LogAxisLabels::countText(double(a->distinctBlocks))));
  legendChanged();
}

std::string LruCurveChart::csv() const {
  if (m_samples.empty()) return {};
  std::ostringstream out;
  out << "capacity_blocks,capacity_tokens,hit_tokens,token_hit_rate\n";
  for (const Sample& s : m_samples)
    out << s.blocks << ',' << s.blocks * m_blockSize << ',' << s.hitTokens << ',' << s.rate << '\n';
  return out.str();
}

}  // namespace kvlab
