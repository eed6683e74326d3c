// SPDX-License-Identifier: MIT
#pragma once
// The Tune page's results as files and report text: tune-sweep.csv (one row per finished configuration plus
// the infinite cache, the columns of `kvlab-cli sweep --format csv` and the cost model's prefill seconds
// saved) and the HTML of the report's "Tuning" section (what was swept, and a table as shown on the page).
#include <QString>
#include <string>

class QTableWidget;

namespace kvlab {

struct TuneResults;

class TuneReport {
public:
  static std::string csv(const TuneResults& results);
  static QString summaryHtml(const TuneResults& results);
  static QString tableHtml(const QTableWidget& table);
};

}  // namespace kvlab
