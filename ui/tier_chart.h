// SPDX-License-Identifier: MIT
#pragma once
// Where each request's prompt tokens came from when the run has tiers under the device cache (a host
// tier, a remote Redis tier): stacked per request, device hits at the bottom, then host, remote, and the
// computed rest on top (the order the prefix walk takes along the prompt). Under it, the bytes each tier
// took in and gave out over the run, from the run's final per-tier counters (RunSummary::tiers; shown
// when the run ends). Only counted figures: hit tokens per request from the runner's records, bytes from
// the tiers' own counters (the remote tier counts every fetched blob, also one after a gap that the hit
// cannot use, so hit tokens x bytes per token would undercount). Applies to tiered live runs only.
#include <string>

#include "ui/chart_panel.h"

class QAreaSeries;
class QBarCategoryAxis;
class QBarSeries;
class QBarSet;
class QValueAxis;
class QLineSeries;

namespace kvlab {

struct RequestPoint;

class TierChart : public ChartPanel {
  Q_OBJECT
public:
  explicit TierChart(const RunHistory* history, QWidget* parent = nullptr);

  // A run has tiers when it was started with a host tier or a remote tier (RunInfo).
  static bool hasTiers(const RunTrack* run);
  bool appliesTo(const RunTrack* run) const override;

  // One request's prompt split by source: device = hitTokens - host - remote (saturating at 0).
  struct Split {
    std::uint32_t device = 0;
    std::uint32_t host = 0;
    std::uint32_t remote = 0;
    std::uint32_t computed = 0;
  };
  static Split splitOf(const RequestPoint& point);
  // The current run per request: request,prompt_tokens,device_hit_tokens,host_hit_tokens,
  // remote_hit_tokens,computed_tokens (CSV with a header line; the header only without a run).
  std::string csv() const override;

protected:
  void refresh() override;
  QString notApplicableText() const override;

private:
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  // The four stacked bands, bottom to top (device, host, remote, computed): each band's upper and lower
  // boundary (a line series belongs to one area only, so a band's lower line copies the band below's top).
  static constexpr int kBands = 4;
  QLineSeries* m_tops[kBands] = {};
  QLineSeries* m_bottoms[kBands] = {};
  QChart* m_bytesChart = nullptr;
  QBarSeries* m_bytes = nullptr;
  QBarSet* m_bytesIn = nullptr;
  QBarSet* m_bytesOut = nullptr;
  QBarCategoryAxis* m_tierAxis = nullptr;
  QValueAxis* m_bytesAxis = nullptr;
  ByteScale m_byteScale;
  int m_bytesRunId = -1;  // the run whose summary the bars show
};

}  // namespace kvlab
