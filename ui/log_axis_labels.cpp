// SPDX-License-Identifier: MIT
#include "ui/log_axis_labels.h"

#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <vector>

namespace kvlab {

namespace {
void clearLabels(QCategoryAxis* axis) {
  for (const QString& label : axis->categoriesLabels()) axis->remove(label);
}

QString trimmed(double v) {
  QString s = QString::number(v, 'g', 3);
  return s;
}
}  // namespace

QString LogAxisLabels::countText(double v) {
  if (v >= 1e9) return trimmed(v / 1e9) + QLatin1Char('G');
  if (v >= 1e6) return trimmed(v / 1e6) + QLatin1Char('M');
  if (v >= 1e3) return trimmed(v / 1e3) + QLatin1Char('k');
  return QString::number(v, 'f', 0);
}

QString LogAxisLabels::bytesText(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (unit < 5 && bytes >= 1024) {
    bytes /= 1024;
    ++unit;
  }
  return QStringLiteral("%1 %2").arg(trimmed(bytes), QLatin1String(kUnits[unit]));
}

QCategoryAxis* LogAxisLabels::newAxis(const QString& title) {
  auto* axis = new QCategoryAxis;
  axis->setTitleText(title);
  axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
  axis->setRange(0, 1);
  return axis;
}

LogAxisLabels::HitRateAxes LogAxisLabels::addHitRateAxes(QChart* chart, const QString& sizeTitle) {
  HitRateAxes a{newAxis(sizeTitle), newAxis(QObject::tr("K/V bytes")), new QValueAxis};
  chart->addAxis(a.size, Qt::AlignBottom);
  a.bytes->setGridLineVisible(false);
  chart->addAxis(a.bytes, Qt::AlignTop);
  a.rate->setTitleText(QObject::tr("token hit rate (%)"));
  chart->addAxis(a.rate, Qt::AlignLeft);
  return a;
}

void LogAxisLabels::setCountRange(QCategoryAxis* axis, double lo, double hi) {
  clearLabels(axis);
  const double a = toAxis(lo), b = toAxis(hi);
  axis->setRange(a, b);
  axis->setStartValue(a);
  const bool wide = b - a >= 3;
  for (int d = int(std::floor(a)); d <= int(std::ceil(b)); ++d)
    for (const double m : {1.0, 2.0, 5.0}) {
      if (wide && m != 1.0) continue;
      const double v = m * std::pow(10.0, d);
      const double x = toAxis(v);
      if (x < a + 0.03 * (b - a) || x > b - 0.03 * (b - a)) continue;  // at the very end it would be cut
      axis->append(countText(v), x);
    }
}

void LogAxisLabels::setBytesRange(QCategoryAxis* axis, double lo, double hi, double bytesPerToken) {
  clearLabels(axis);
  const double a = toAxis(lo), b = toAxis(hi);
  axis->setRange(a, b);
  axis->setStartValue(a);
  std::vector<double> values;
  for (double unit = 1024; unit <= 1024.0 * 1024 * 1024 * 1024 * 1024; unit *= 1024)
    for (const double m : {1.0, 10.0, 100.0}) values.push_back(m * unit);
  for (const double bytes : values) {
    const double x = toAxis(bytes / std::max(bytesPerToken, 1e-9));
    if (x < a + 0.03 * (b - a) || x > b - 0.03 * (b - a)) continue;
    axis->append(bytesText(bytes), x);
  }
}

}  // namespace kvlab
