// SPDX-License-Identifier: MIT
#include "ui/prefill_savings_chart.h"

#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>

#include "core/policies/policy_registry.h"
#include "ui/chart_palette.h"
#include "ui/log_axis_labels.h"
#include "ui/tune_results.h"

namespace kvlab {

PrefillSavingsChart::PrefillSavingsChart(QWidget* parent)
    : ChartPanel(nullptr, QStringLiteral("tune-prefill-saved"), tr("Prefill time saved (cost model)"),
                 tr("<b>Cost view (cost model).</b> Prefill time the cache saves at each size: tokens "
                    "saved (hit tokens, counted by the replay) × the cost model's prefill seconds per "
                    "token for the chosen model and hardware (a roofline at the source's mean prompt "
                    "length), per hour of the trace's arrivals (or over the whole source when all its "
                    "requests arrive at once). An estimate to judge a size in GPU-seconds, not a "
                    "measurement."),
                 parent) {
  m_x = LogAxisLabels::newAxis(tr("cache size (tokens, log)"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  m_y = new QValueAxis;
  m_y->setTitleText(tr("s saved / h"));
  chart()->addAxis(m_y, Qt::AlignLeft);
  LogAxisLabels::setCountRange(m_x, 1e3, 1e6);
  setNiceRange(m_y, 0, 1);
  m_bound = addLine(tr("infinite cache"), QColor(0x77, 0x77, 0x77), 1.5, m_x, m_y, Qt::DashLine);
}

void PrefillSavingsChart::setResults(const TuneResults& results) {
  const TuneSourceInfo& info = results.info;
  const QString hw = QString::fromStdString(results.hardware);
  const QString unit = results.perHour() ? tr("s saved / h") : tr("s saved, total");
  chart()->setTitle(results.empty() ? title() : tr("Prefill time saved (cost model, %1)").arg(hw));
  m_y->setTitleText(unit);  // the title says "cost model, <hardware>"
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
  double top = 0;
  for (const std::string& policy : info.policies) {
    const QString name = QString::fromStdString(policy);
    QLineSeries* s = m_curves.value(name);
    if (!s) {
      const bool opt = policy == "opt";
      s = addLine(QString::fromStdString(policyLabel(policy)), ChartPalette::policy(policy), opt ? 2.5 : 2.0,
                  m_x, m_y, opt ? Qt::DashLine : Qt::SolidLine);
      s->setPointsVisible(true);
      attachTooltip(s, [this, hw, unit](const QPointF& p) {
        return tr("%1 tokens: %2 %3 (cost model, %4)")
            .arg(LogAxisLabels::countText(LogAxisLabels::fromAxis(p.x())))
            .arg(TuneResults::secondsText(p.y()))
            .arg(unit, hw);
      });
      m_curves.insert(name, s);
    }
    QList<QPointF> line;
    for (const SweepPoint& p : results.curves)
      if (p.config.policy == policy) {
        line.append(
            {LogAxisLabels::toAxis(double(p.config.maxTokens)), results.savedSeconds(p.result.hitTokens)});
        top = std::max(top, line.back().y());
      }
    std::sort(line.begin(), line.end(), [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
    s->replace(line);
  }
  const double lo = info.sizes.empty() ? 1e3 : double(info.sizes.front());
  const double hi = info.sizes.empty() ? 1e6 : double(info.sizes.back());
  const double xmin = std::max(1.0, lo / 1.15), xmax = hi * 1.15;
  LogAxisLabels::setCountRange(m_x, xmin, xmax);
  const double bound = results.empty() ? 0 : results.savedSeconds(info.unlimited.hitTokens);
  m_bound->setName(tr("infinite cache %1 s").arg(TuneResults::secondsText(bound)));
  m_bound->replace(results.empty() ? QList<QPointF>{}
                                   : QList<QPointF>{{LogAxisLabels::toAxis(xmin), bound},
                                                    {LogAxisLabels::toAxis(xmax), bound}});
  setNiceRange(m_y, 0, std::max({top, bound, 1e-3}));
  setFooter(results.empty() ? QString()
                            : tr("cost model, %1: %2 µs of prefill per token for %3 at %4 prompt tokens "
                                 "(the source's mean); trace span %5 s")
                                  .arg(hw)
                                  .arg(results.prefillSecondsPerToken * 1e6, 0, 'f', 2)
                                  .arg(QString::fromStdString(results.model))
                                  .arg(info.meanPromptTokens, 0, 'f', 0)
                                  .arg(info.spanS, 0, 'f', 0));
  legendChanged();
}

}  // namespace kvlab
