// SPDX-License-Identifier: MIT
#include "ui/tier_chart.h"

#include <QCursor>
#include <QToolTip>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <sstream>

#include "core/util/csv_writer.h"
#include "core/util/units.h"
#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

TierChart::TierChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(history, QStringLiteral("tiers"), tr("Tokens per request, by tier"),
                 tr("<b>What am I looking at?</b><br>Each request's prompt, stacked by where its K/V came "
                    "from: the <b>device</b> cache, the <b>host</b>-memory tier (blocks the device cache "
                    "evicted), the <b>remote</b> Redis tier (shared with other labs and machines), and the "
                    "rest <b>computed</b> in the prefill. Along a prompt the reused prefix is device first, "
                    "then host, then remote. Below: the bytes each tier took in (stored, demoted, promoted "
                    "into it) and gave out (hits read from it) over the run, as its own counters counted "
                    "them (at the end of the run)."),
                 parent) {
  m_x = new QValueAxis;
  m_x->setTitleText(tr("Request #"));
  m_x->setLabelFormat(QStringLiteral("%d"));
  m_y = new QValueAxis;
  m_y->setTitleText(tr("Tokens"));
  m_y->setLabelFormat(QStringLiteral("%d"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_y, Qt::AlignLeft);
  // Four bands, bottom to top; each has its own lower line (a line series belongs to one area only).
  struct Band {
    QString name;
    QColor color;
    QString objectName;
  };
  const Band bands[kBands] = {
      {tr("device"), ChartPalette::tierDevice(), QStringLiteral("tierDevice")},
      {tr("host"), ChartPalette::tierHost(), QStringLiteral("tierHost")},
      {tr("remote"), ChartPalette::tierRemote(), QStringLiteral("tierRemote")},
      {tr("computed"), ChartPalette::computed(), QStringLiteral("tierComputed")},
  };
  for (int b = 0; b < kBands; ++b) {
    const Band& band = bands[b];
    m_tops[b] = new QLineSeries(this);
    m_tops[b]->setObjectName(band.objectName + QStringLiteral("Top"));
    m_bottoms[b] = new QLineSeries(this);
    m_bottoms[b]->setObjectName(band.objectName + QStringLiteral("Bottom"));
    auto* area = new QAreaSeries(m_tops[b], m_bottoms[b]);
    area->setObjectName(band.objectName);
    area->setName(band.name);
    area->setColor(band.color);
    area->setBorderColor(band.color.darker(115));
    chart()->addSeries(area);
    area->attachAxis(m_x);
    area->attachAxis(m_y);
    connect(area, &QAreaSeries::hovered, this, [this](const QPointF& p, bool state) {
      const RunTrack* run = this->history()->current();
      const auto i = qsizetype(std::floor(p.x() - 0.5));
      if (!state || !run || i < 0 || i >= qsizetype(run->points.size())) {
        QToolTip::hideText();
        return;
      }
      const Split s = splitOf(run->points[std::size_t(i)]);
      QToolTip::showText(QCursor::pos(),
                         tr("request %1: device %2 · host %3 · remote %4 · computed %5 tokens")
                             .arg(i + 1)
                             .arg(s.device)
                             .arg(s.host)
                             .arg(s.remote)
                             .arg(s.computed));
    });
  }
  m_x->setRange(0.5, 10.5);
  m_y->setRange(0, 1);

  m_bytesChart = addStackedChart(tr("Bytes moved per tier"));
  // Two charts and a footer share one cell of the Live grid: let each chart be shorter than a lone one.
  for (QChartView* view : findChildren<QChartView*>()) view->setMinimumHeight(110);
  m_bytes = new QBarSeries(this);
  m_bytes->setObjectName(QStringLiteral("tierBytes"));
  m_bytesIn = new QBarSet(tr("bytes in"));
  m_bytesIn->setColor(ChartPalette::used());
  m_bytesOut = new QBarSet(tr("bytes out"));
  m_bytesOut->setColor(ChartPalette::hit());
  m_bytes->append(m_bytesIn);
  m_bytes->append(m_bytesOut);
  m_bytesChart->addSeries(m_bytes);
  m_tierAxis = new QBarCategoryAxis(this);
  m_bytesAxis = new QValueAxis(this);
  m_bytesAxis->setLabelFormat(QStringLiteral("%.4g"));
  m_bytesChart->addAxis(m_tierAxis, Qt::AlignBottom);
  m_bytesChart->addAxis(m_bytesAxis, Qt::AlignLeft);
  m_bytes->attachAxis(m_tierAxis);
  m_bytes->attachAxis(m_bytesAxis);
  m_bytesAxis->setRange(0, 1);
  m_bytesAxis->setTitleText(tr("Bytes"));
}

bool TierChart::hasTiers(const RunTrack* run) {
  return run && (!run->info.remote.empty() || run->info.hostMaxBytes > 0);
}

bool TierChart::appliesTo(const RunTrack* run) const { return hasTiers(run) && !isDecodeRun(run); }

QString TierChart::notApplicableText() const {
  if (isDecodeRun(history()->current())) return ChartPanel::notApplicableText();
  return tr(
      "This run has one tier, the device cache. Set a host size or a remote URL under Controls ▸ "
      "Tiers (live runs at block granularity) to see where reused tokens come from.");
}

TierChart::Split TierChart::splitOf(const RequestPoint& p) {
  Split s;
  s.host = std::min(p.hostHitTokens, p.hitTokens);
  s.remote = std::min(p.remoteHitTokens, p.hitTokens - s.host);
  s.device = p.hitTokens - s.host - s.remote;
  s.computed = p.promptTokens - std::min(p.hitTokens, p.promptTokens);
  return s;
}

std::string TierChart::csv() const {
  std::ostringstream out;
  CsvWriter csv(out);
  csv.row({"request", "prompt_tokens", "device_hit_tokens", "host_hit_tokens", "remote_hit_tokens",
           "computed_tokens"});
  if (const RunTrack* run = history()->current()) {
    for (const RequestPoint& p : run->points) {
      const Split s = splitOf(p);
      csv.field(p.index)
          .field(p.promptTokens)
          .field(s.device)
          .field(s.host)
          .field(s.remote)
          .field(s.computed);
      csv.endRow();
    }
  }
  return out.str();
}

void TierChart::refresh() {
  const RunTrack* run = history()->current();
  const bool show = appliesTo(run);
  // Steps: request i (x = i + 1) covers [i + 0.5, i + 1.5], so a band's height reads off per request.
  QList<QPointF> zero, device, host, remote, prompt;
  double maxY = 1;
  std::uint64_t sums[4] = {0, 0, 0, 0};
  if (show) {
    for (const RequestPoint& p : run->points) {
      const Split s = splitOf(p);
      const double x = p.index + 1;
      for (const double dx : {-0.5, 0.5}) {
        zero.append(QPointF(x + dx, 0));
        device.append(QPointF(x + dx, s.device));
        host.append(QPointF(x + dx, s.device + s.host));
        remote.append(QPointF(x + dx, s.device + s.host + s.remote));
        prompt.append(QPointF(x + dx, p.promptTokens));
      }
      maxY = std::max(maxY, double(p.promptTokens));
      sums[0] += s.device;
      sums[1] += s.host;
      sums[2] += s.remote;
      sums[3] += s.computed;
    }
  }
  // Each band's lower line is the band below's upper line.
  const QList<QPointF>* levels[kBands + 1] = {&zero, &device, &host, &remote, &prompt};
  for (int b = 0; b < kBands; ++b) {
    m_bottoms[b]->replace(*levels[b]);
    m_tops[b]->replace(*levels[b + 1]);
  }
  const double requests = show ? std::max<double>(run->points.size(), run->info.requestsTotal) : 10;
  m_x->setRange(0.5, std::max(1.0, requests) + 0.5);
  setCountRange(m_y, maxY);
  // Bytes per tier and transfer times: only once the run's counters are final.
  const bool haveSummary = show && run->summary && !run->summary->tiers.empty();
  QStringList footer;
  if (show && !run->points.empty()) {
    // Only the tiers this run has (device always).
    const std::uint64_t total = sums[0] + sums[1] + sums[2] + sums[3];
    const auto part = [total](const QString& name, std::uint64_t n) {
      return tr("%1 %2 (%3 %)")
          .arg(name)
          .arg(n)
          .arg(total ? 100.0 * double(n) / double(total) : 0.0, 0, 'f', 1);
    };
    QStringList parts{part(tr("device"), sums[0])};
    if (run->info.hostMaxBytes > 0) parts << part(tr("host"), sums[1]);
    if (!run->info.remote.empty()) parts << part(tr("remote"), sums[2]);
    parts << tr("computed %1").arg(sums[3]);
    footer << tr("Tokens: %1").arg(parts.join(QStringLiteral(" · ")));
  }
  if (haveSummary) {
    QStringList transfer;
    for (const TierReport& t : run->summary->tiers)
      if (t.name != "device" || t.transferMs > 0)  // the device tier copies only with offloaded storage
        transfer << tr("%1 %2 ms (%3)")
                        .arg(QString::fromStdString(t.name))
                        .arg(t.transferMs, 0, 'f', 1)
                        .arg(t.transferCostModel ? tr("cost model") : tr("measured"));
    if (!transfer.isEmpty()) footer << tr("Transfer: %1").arg(transfer.join(QStringLiteral(" · ")));
    // Remote faults are misses (the run stays correct, only slower): worth seeing without an export.
    for (const TierReport& t : run->summary->tiers)
      if (t.remote && t.errors + t.timeouts + t.corrupt > 0)
        footer << tr("Remote faults (misses): %1 errors · %2 time-outs · %3 corrupt")
                      .arg(t.errors)
                      .arg(t.timeouts)
                      .arg(t.corrupt);
  }
  setFooter(footer.join(QLatin1Char('\n')));

  const int runId = haveSummary ? run->runId : -1;
  if (runId == m_bytesRunId) return;
  m_bytesRunId = runId;
  m_bytesIn->remove(0, m_bytesIn->count());
  m_bytesOut->remove(0, m_bytesOut->count());
  m_tierAxis->clear();
  if (!haveSummary) {
    m_bytesChart->setTitle(tr("Bytes moved per tier (at the end of the run)"));
    m_bytesAxis->setTitleText(tr("Bytes"));
    m_bytesAxis->setRange(0, 1);
    return;
  }
  double maxBytes = 1;
  for (const TierReport& t : run->summary->tiers)
    maxBytes = std::max({maxBytes, double(t.bytesIn), double(t.bytesOut)});
  m_byteScale = byteScale(maxBytes);
  QStringList names;
  for (const TierReport& t : run->summary->tiers) {
    names << QString::fromStdString(t.name);
    m_bytesIn->append(double(t.bytesIn) / m_byteScale.divisor);
    m_bytesOut->append(double(t.bytesOut) / m_byteScale.divisor);
  }
  m_tierAxis->append(names);
  m_bytesAxis->setTitleText(m_byteScale.unit);
  setNiceRange(m_bytesAxis, 0, maxBytes / m_byteScale.divisor);
  m_bytesChart->setTitle(tr("Bytes moved per tier (counted)"));
}

}  // namespace kvlab
