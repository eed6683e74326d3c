// SPDX-License-Identifier: MIT
#pragma once
// The Fleet page's answer, as text: each router's fleet token hit rate against the shared-cache bound
// (oracle-shared: one cache of N x capacity that every replica reads, what perfect routing plus perfect
// sharing could reach), the best router first, and why routers differ. The figures are core/fleet's
// FleetResult values, the same as `kvlab-cli fleet --router all`. Pure: tested with hand-made rows.
#include <QString>
#include <cstdint>
#include <vector>

namespace kvlab {

struct FleetRow {
  QString router;
  double hitRate = 0;        // fleet token hit rate, 0..1
  double loadImbalance = 1;  // max / mean prompt tokens per replica
  bool sharedCache = false;  // the oracle-shared bound
  std::uint64_t evictions = 0;
};

struct FleetHeadlineText {
  QString headline;  // rich text
  QString detail;
};

class FleetHeadline {
public:
  // rows: in the order they ran (any order is fine); replicas: N.
  static FleetHeadlineText compose(const std::vector<FleetRow>& rows, int replicas, bool running);
};

}  // namespace kvlab
