// SPDX-License-Identifier: MIT
#pragma once
// A readable log axis for sizes: charts draw x = log10(value) on a QCategoryAxis whose labels sit on round
// values ("10k", "100k", "1M" tokens; "1 GiB", "10 GiB" of K/V) instead of QLogValueAxis' printf labels
// ("1000000"). A second axis can label the same positions in another unit (tokens below, bytes above).
#include <QString>
#include <algorithm>
#include <cmath>
#include <functional>

class QCategoryAxis;
class QChart;
class QValueAxis;

namespace kvlab {

class LogAxisLabels {
public:
  static double toAxis(double value) { return std::log10(std::max(value, 1e-300)); }
  static double fromAxis(double x) { return std::pow(10.0, x); }
  // "950", "1k", "2.5k", "12k", "1M", "93.6M", "1.2G": a count in at most 3 significant digits.
  static QString countText(double value);
  // "512 MiB", "1 GiB", "10 GiB", "1 TiB".
  static QString bytesText(double bytes);
  // Range [lo, hi] (values, > 0) with labels at 1, 2, 5 x 10^k tokens (only 10^k over 3 decades or more).
  static void setCountRange(QCategoryAxis* axis, double lo, double hi);
  // Range [lo, hi] in tokens labelled in bytes (bytesPerToken each): labels at 1, 10, 100 x KiB/MiB/GiB/TiB.
  static void setBytesRange(QCategoryAxis* axis, double lo, double hi, double bytesPerToken);
  // A new axis: labels on their values, no minor grid.
  static QCategoryAxis* newAxis(const QString& title);
  // The hit-rate-vs-size charts' axes, added to chart: sizes (log, sizeTitle) below, the same sizes in bytes
  // of K/V on top (no grid), token hit rate (%) on the left.
  struct HitRateAxes {
    QCategoryAxis* size;
    QCategoryAxis* bytes;
    QValueAxis* rate;
  };
  static HitRateAxes addHitRateAxes(QChart* chart, const QString& sizeTitle);
};

}  // namespace kvlab
