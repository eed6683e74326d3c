// SPDX-License-Identifier: MIT
#include "ui/layer_occupancy_chart.h"

#include <QCursor>
#include <QToolTip>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include "core/util/units.h"
#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

LayerOccupancyChart::LayerOccupancyChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(history, QStringLiteral("layer-occupancy"), tr("What the cache holds"),
                 tr("<b>What am I looking at?</b><br>Block and radix mode: bytes held now, by how often "
                    "their entries were reused since stored. A cache full of never-reused bytes is "
                    "holding K/V nobody asks for. Prompt mode keeps each transformer layer separately: bars "
                    "are bytes per layer, the grey line entries, the dashed line an equal share of the max "
                    "size (not a limit)."),
                 parent) {
  m_x = new QBarCategoryAxis;
  m_x->setVisible(false);
  m_layerAxis = new QValueAxis;
  m_layerAxis->setTitleText(tr("Layer"));
  m_layerAxis->setLabelFormat(QStringLiteral("%d"));
  m_layerAxis->setTickType(QValueAxis::TicksDynamic);
  m_layerAxis->setTickAnchor(0);
  m_layerAxis->setGridLineVisible(false);
  m_bytes = new QValueAxis;
  m_bytes->setTitleText(tr("Per layer (MiB)"));
  m_bytes->setLabelFormat(QStringLiteral("%.4g"));
  m_entries = new QValueAxis;
  m_entries->setTitleText(tr("Entries per layer"));
  m_entries->setLabelFormat(QStringLiteral("%d"));
  chart()->addAxis(m_x, Qt::AlignBottom);
  chart()->addAxis(m_layerAxis, Qt::AlignBottom);
  chart()->addAxis(m_bytes, Qt::AlignLeft);
  chart()->addAxis(m_entries, Qt::AlignRight);

  m_bars = new QBarSeries;
  m_bytesSet = new QBarSet(tr("bytes"));
  m_bytesSet->setColor(ChartPalette::used());
  m_bytesSet->setBorderColor(ChartPalette::used().darker(120));
  m_bars->append(m_bytesSet);
  m_bars->setBarWidth(0.8);
  chart()->addSeries(m_bars);
  m_bars->attachAxis(m_x);
  m_bars->attachAxis(m_bytes);
  m_entryLine = addLine(tr("entries"), ChartPalette::entries(), 1.5, m_layerAxis, m_entries);
  m_entryLine->setPointsVisible(true);
  m_share = addLine(tr("equal share, not a limit"), ChartPalette::maxSize(), 2.0, m_layerAxis, m_bytes,
                    Qt::DashLine);
  m_bytesSet->setObjectName(QStringLiteral("layerBytes"));
  m_share->setObjectName(QStringLiteral("layerShare"));

  connect(m_bytesSet, &QBarSet::hovered, this, [this](bool status, int index) {
    if (!status) {
      QToolTip::hideText();
      return;
    }
    const RunTrack* run = this->history()->current();
    if (run && m_byReuse && index >= 0 && index < kReuseBuckets) {
      QToolTip::showText(
          QCursor::pos(),
          tr("%1 in entries reused %2")
              .arg(QString::fromStdString(formatBytes(run->live.bytesByReuse[std::size_t(index)])),
                   m_x->at(index)));
      return;
    }
    if (!run || index < 0 || std::size_t(index) >= run->live.layerBytes.size()) return;
    const std::uint64_t entries =
        std::size_t(index) < run->live.layerEntries.size() ? run->live.layerEntries[std::size_t(index)] : 0;
    QToolTip::showText(QCursor::pos(),
                       tr("layer %1: %2 in %3 entries")
                           .arg(index)
                           .arg(QString::fromStdString(formatBytes(run->live.layerBytes[std::size_t(index)])))
                           .arg(entries));
  });
  attachTooltip(m_entryLine, [](const QPointF& p) {
    return tr("layer %1: %2 entries").arg(qRound(p.x())).arg(qRound64(p.y()));
  });
  m_bytes->setRange(0, 1);
  m_entries->setRange(0, 1);
}

void LayerOccupancyChart::setCategories(const QStringList& categories, bool byLayer) {
  m_x->setCategories(categories);
  m_x->setVisible(!byLayer);
  m_layerAxis->setVisible(byLayer);
  m_entries->setVisible(byLayer);
  m_entryLine->setVisible(byLayer);
  m_share->setVisible(byLayer);
  const int n = int(categories.size());
  // Category i sits at x = i, so the value axis over [-0.5, n - 0.5] lines up with the bars.
  m_layerAxis->setRange(-0.5, std::max(1, n) - 0.5);
  m_layerAxis->setTickInterval(n <= 16 ? 1 : 4);
}

void LayerOccupancyChart::setBars(const QList<qreal>& values) {
  if (m_bytesSet->count() != values.size()) {
    m_bytesSet->remove(0, m_bytesSet->count());
    m_bytesSet->append(values);
  } else {
    for (int i = 0; i < values.size(); ++i) m_bytesSet->replace(i, values[i]);
  }
}

void LayerOccupancyChart::refresh() {
  const RunTrack* run = history()->current();
  const CacheSnapshot* cache = run ? &run->live : nullptr;
  m_byReuse = run && run->info.granularity != Granularity::Prompt;
  if (m_byReuse) {
    chart()->setTitle(tr("Cache held, by reuse count"));
    if (m_layers != -2) {
      m_layers = -2;
      setCategories({tr("never"), tr("once"), tr("2-3×"), tr("4-7×"), tr("8+×")}, /*byLayer=*/false);
      m_bytesSet->setLabel(tr("bytes, by times their entries were reused"));
    }
    double maxBytes = 1024;  // at least 1 KiB on the axis
    for (const Bytes b : cache->bytesByReuse) maxBytes = std::max(maxBytes, double(b));
    m_scale = byteScale(maxBytes);
    m_bytes->setTitleText(tr("Bytes held (%1)").arg(m_scale.unit));
    QList<qreal> values;
    for (const Bytes b : cache->bytesByReuse) values.append(double(b) / m_scale.divisor);
    setBars(values);
    m_entryLine->replace(QList<QPointF>());
    m_share->replace(QList<QPointF>());
    setNiceRange(m_bytes, 0, maxBytes / m_scale.divisor);
    setNotice(cache->usedBytes == 0 && !run->points.empty() ? tr("The cache holds nothing.") : QString());
    return;
  }
  chart()->setTitle(tr("Cache held, per layer"));
  m_bytesSet->setLabel(tr("bytes"));
  const int layers = cache ? int(cache->layerBytes.size()) : 0;
  if (layers != m_layers) {
    m_layers = layers;
    QStringList categories;
    for (int l = 0; l < layers; ++l) categories.append(QString::number(l));
    setCategories(categories, /*byLayer=*/true);
  }
  double maxBytes = 1024;
  double maxEntries = 1;
  const double share = cache && layers ? double(cache->capacityBytes) / layers : 0;
  if (cache) {
    for (Bytes b : cache->layerBytes) maxBytes = std::max(maxBytes, double(b));
    for (std::uint64_t n : cache->layerEntries) maxEntries = std::max(maxEntries, double(n));
  }
  // As in the memory chart: a share far above the bars would flatten them; then the legend names it.
  const bool shareOffScale = share > 2 * maxBytes && cache && cache->usedBytes > 0;
  if (!shareOffScale) maxBytes = std::max(maxBytes, share);
  m_share->setName(shareOffScale ? tr("equal share %1 (above the chart), not a limit")
                                       .arg(QString::fromStdString(formatBytes(Bytes(share))))
                                 : tr("equal share, not a limit"));
  m_scale = byteScale(maxBytes);
  m_bytes->setTitleText(tr("Per layer (%1)").arg(m_scale.unit));
  QList<qreal> values;
  QList<QPointF> entries;
  values.reserve(layers);
  for (int l = 0; l < layers; ++l) {
    values.append(double(cache->layerBytes[std::size_t(l)]) / m_scale.divisor);
    const std::uint64_t n =
        std::size_t(l) < cache->layerEntries.size() ? cache->layerEntries[std::size_t(l)] : 0;
    entries.append(QPointF(l, double(n)));
  }
  setBars(values);
  m_entryLine->replace(entries);
  QList<QPointF> shareLine;
  if (layers > 0 && !shareOffScale)
    shareLine = {QPointF(-0.5, share / m_scale.divisor), QPointF(layers - 0.5, share / m_scale.divisor)};
  m_share->replace(shareLine);
  setNiceRange(m_bytes, 0, maxBytes / m_scale.divisor);
  setCountRange(m_entries, maxEntries);
  setNotice(QString());
}

}  // namespace kvlab
