// SPDX-License-Identifier: MIT
#pragma once
// Workload page: the LRU hit-rate curve over every cache size, from kvlab-cli analyze's one stack-distance
// pass (core/analyze TraceAnalysis). Token hit rate vs cache size in blocks (log axis; the same sizes in
// bytes of K/V on top when a model is chosen), the infinite-cache bound as a dashed line, and rings at the
// smallest sizes reaching 50/80/90/95 % of the bound. The curve is a step function known at every size;
// the chart samples it at about 240 log-spaced sizes plus the analysis' own samples, each an exact value.
// x is log10(blocks) (LogAxisLabels::toAxis). GUI thread only.
#include <cstdint>
#include <vector>

#include "ui/chart_panel.h"

class QCategoryAxis;
class QScatterSeries;

namespace kvlab {

struct TraceAnalysis;

class LruCurveChart : public ChartPanel {
  Q_OBJECT
public:
  explicit LruCurveChart(QWidget* parent = nullptr);
  // analysis nullptr: empty, with notice as the reason. bytesPerToken 0 = no bytes axis.
  void setAnalysis(const TraceAnalysis* analysis, std::uint64_t bytesPerToken, const QString& notice = {});

  QLineSeries* curve() const { return m_curve; }
  QLineSeries* bound() const { return m_bound; }
  QScatterSeries* boundSizes() const { return m_sizes; }
  QCategoryAxis* sizeAxis() const { return m_x; }
  QCategoryAxis* bytesAxis() const { return m_bytes; }

  // capacity_blocks,hit_tokens,token_hit_rate for every sampled size.
  std::string csv() const override;

protected:
  void refresh() override {}

private:
  struct Sample {
    std::uint64_t blocks, hitTokens;
    double rate;
  };
  QCategoryAxis* m_x = nullptr;
  QCategoryAxis* m_bytes = nullptr;
  QValueAxis* m_y = nullptr;
  QLineSeries* m_curve = nullptr;
  QLineSeries* m_bound = nullptr;
  QScatterSeries* m_sizes = nullptr;
  std::vector<Sample> m_samples;
  std::uint32_t m_blockSize = 0;
  std::uint64_t m_bytesPerToken = 0;
};

}  // namespace kvlab
